"""Public pages kept for visitors who are not logged in (catalog/pagecache.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from catalog.extensions import db
from catalog.models import (
    Course,
    DataVersion,
    Enrolment,
    EnrolmentStatus,
    JobState,
    Offering,
)
from catalog.pagecache import page_store
from tests.factories import make_course, make_offering, make_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def cache_state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def stamp() -> int:
    return db.session.scalar(select(DataVersion.stamp))


@pytest.fixture
def offering():
    offering = make_offering(make_course("CACHE-1", title="Field Medical Assistants Course"))
    db.session.commit()
    return offering


def test_a_second_visitor_gets_the_kept_page(client, app, offering):
    first = client.get("/catalogue")
    second = app.test_client().get("/catalogue")
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    assert "Field Medical Assistants Course" in second.get_data(as_text=True)
    # The same page apart from each visitor's own CSRF token.
    assert TOKEN.sub("", first.get_data(as_text=True)) == TOKEN.sub(
        "", second.get_data(as_text=True)
    )


def test_every_visitor_gets_a_token_of_their_own_that_works(client, app, offering, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client.get(f"/offerings/{offering.id}")
    tokens = []
    for _ in range(2):
        visitor = app.test_client()
        page = visitor.get(f"/offerings/{offering.id}")
        assert cache_state(page) == "hit"
        token = TOKEN.search(page.get_data(as_text=True)).group(1)
        tokens.append(token)
        switched = visitor.post(
            "/language", data={"language": "fr", "next": "/", "csrf_token": token}
        )
        assert switched.status_code == 302
        assert "Catalogue" in visitor.get("/").get_data(as_text=True)
    assert tokens[0] != tokens[1]


def test_a_change_is_seen_at_once(client, offering):
    assert "Field Medical Assistants Course" in client.get("/catalogue").get_data(as_text=True)
    offering.course.title = "Field Medical Instructors Course"
    db.session.commit()
    page = client.get("/catalogue")
    assert cache_state(page) == "miss"
    assert "Field Medical Instructors Course" in page.get_data(as_text=True)


def test_seats_taken_show_at_once(client, offering):
    url = f"/offerings/{offering.id}"
    assert "20 of 20" in client.get(url).get_data(as_text=True)
    db.session.add(Enrolment(offering=offering, user=make_user(), status=EnrolmentStatus.CONFIRMED))
    db.session.commit()
    assert "19 of 20" in client.get(url).get_data(as_text=True)


def test_a_bulk_update_changes_the_stamp(offering):
    before = stamp()
    db.session.execute(update(Course).values(title="Renamed in bulk"))
    db.session.commit()
    assert stamp() != before


def test_a_rolled_back_change_and_bookkeeping_leave_the_stamp(offering):
    before = stamp()
    offering.capacity = 5
    db.session.flush()
    db.session.rollback()
    db.session.add(JobState(job_id="deliver_outbox", last_ok=True))
    db.session.commit()
    db.session.execute(update(JobState).values(last_result="sent 3"))
    db.session.commit()
    assert stamp() == before


def test_language_and_zone_are_kept_apart(client, offering):
    assert cache_state(client.get("/catalogue")) == "miss"
    french = client.get("/catalogue", headers={"Accept-Language": "fr"})
    assert cache_state(french) == "miss"
    assert 'lang="fr"' in french.get_data(as_text=True)
    client.set_cookie("tz", "Asia/Tokyo")
    assert cache_state(client.get("/catalogue")) == "miss"
    assert cache_state(client.get("/catalogue")) == "hit"
    client.delete_cookie("tz")
    assert cache_state(client.get("/catalogue", headers={"Accept-Language": "fr"})) == "hit"


def test_logged_in_people_always_get_a_fresh_page(client, auth, offering):
    make_user("trainee@example.org")
    db.session.commit()
    client.get("/catalogue")
    auth.login("trainee@example.org")
    page = client.get("/catalogue")
    assert cache_state(page) is None
    assert "Log out" in page.get_data(as_text=True)


def test_a_flash_message_is_never_kept(client, auth, offering):
    make_user("trainee@example.org")
    db.session.commit()
    auth.login("trainee@example.org")
    auth.logout()  # flashes "You are logged out"
    page = client.get("/")
    assert cache_state(page) is None
    assert cache_state(client.get("/")) == "miss"


def test_pages_expire(client, app, offering, monkeypatch):
    import catalog.pagecache as pagecache

    client.get("/catalogue")
    now = pagecache.time.monotonic()
    monkeypatch.setattr(
        pagecache.time, "monotonic", lambda: now + app.config["PAGE_CACHE_SECONDS"] + 1
    )
    assert cache_state(client.get("/catalogue")) == "miss"


def test_errors_and_other_pages_are_not_kept(client, offering):
    for _ in range(2):
        assert cache_state(client.get("/offerings/999999")) is None
        assert cache_state(client.get("/account/login")) is None


def test_the_store_stays_within_its_bytes(client, app, monkeypatch):
    store = page_store(app)
    monkeypatch.setattr(store, "max_bytes", 30_000)
    for index in range(20):
        make_offering(make_course(f"BYTES-{index}"))
    db.session.commit()
    for offering in db.session.scalars(select(Offering)):
        client.get(f"/offerings/{offering.id}")
    assert 0 < len(store) < 20
    assert store.size <= 30_000


def test_facet_counts_are_shared_until_the_data_changes(client, auth, offering):
    from tests.querycount import count_queries

    make_user("trainee@example.org")
    db.session.commit()
    auth.login("trainee@example.org")

    def queries() -> int:
        with count_queries() as counted:
            page = client.get("/catalogue?mode=in_person")
        assert cache_state(page) is None  # the page itself is the trainee's own
        return counted.count

    counting = queries()
    assert queries() == counting - 1  # the facet counts were remembered
    make_offering(offering.course)
    db.session.commit()
    assert queries() == counting
    assert "2 offerings" in client.get("/catalogue?mode=in_person").get_data(as_text=True)


def test_the_home_page_shares_the_catalogues_facet_counts(client, auth, offering):
    from tests.querycount import count_queries

    make_user("trainee@example.org")
    db.session.commit()
    auth.login("trainee@example.org")

    def home_queries() -> int:
        with count_queries() as counted:
            assert client.get("/").status_code == 200
        return counted.count

    client.get("/catalogue")  # counts the facets of the unfiltered catalogue
    shared = home_queries()
    make_offering(offering.course)
    db.session.commit()
    assert home_queries() == shared + 1  # a change: counted again
