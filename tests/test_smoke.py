from tests.factories import make_offering


def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Upcoming training" in response.data


def test_catalogue_course_and_offering_pages_render(client):
    from catalog.extensions import db

    offering = make_offering()
    db.session.commit()
    assert client.get("/catalogue").status_code == 200
    assert client.get(f"/courses/{offering.course.code}").status_code == 200
    assert client.get(f"/offerings/{offering.id}").status_code == 200
    assert client.get("/catalogue?discipline=engineering&q=heavy&open=1").status_code == 200
