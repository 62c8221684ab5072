"""Safe redirects: every ``next=`` stays on the site (login, the language switch,
the catalogue managers' buttons and forms)."""

from __future__ import annotations

import pytest

from catalog.extensions import db
from catalog.models import CourseStatus, Role
from catalog.urls import safe_next
from tests.factories import PASSWORD, make_course, make_user

OFF_SITE = [
    "https://evil.example/",
    "http:evil.example",
    "//evil.example",
    "///evil.example",
    " //evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    "/\t/evil.example",
    "/\r\nSet-Cookie: planted=1",
]
ON_SITE = ["/account/profile", "/catalogue?discipline=engineering&page=2", "/manage#offerings"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target, "/home") == "/home"


def test_an_encoded_line_break_stays_an_inert_path():
    # Percent-encoded, it is part of a path on this site, never a header.
    target = "/%0d%0aLocation: https://evil.example"
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", ON_SITE)
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", [None, ""])
def test_safe_next_falls_back_without_a_target(target):
    assert safe_next(target, "/home") == "/home"


@pytest.fixture
def trainee():
    make_user("trainee@example.org")
    db.session.commit()


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_stays_on_the_site(client, trainee, target):
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": "trainee@example.org", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_stays_on_the_site(client, target):
    response = client.post("/language", data={"language": "fr", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "planted" not in str(response.headers)


def test_the_language_switch_goes_back_to_the_page(client):
    response = client.post("/language", data={"language": "fr", "next": ON_SITE[1]})

    assert response.headers["Location"] == ON_SITE[1]


@pytest.fixture
def coordinator(client, auth):
    make_user("coordinator@example.org", Role.COORDINATOR)
    db.session.commit()
    auth.login("coordinator@example.org")


@pytest.mark.parametrize("target", [*OFF_SITE, "/manage"])
def test_a_manage_button_goes_back_on_the_site_only(client, coordinator, target):
    course = make_course(status=CourseStatus.PUBLISHED)
    db.session.commit()

    response = client.post(f"/manage/courses/{course.id}/unpublish", data={"next": target})

    assert response.status_code == 302
    expected = "/manage" if target == "/manage" else f"/manage/courses/{course.id}/edit"
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_a_manage_form_goes_back_on_the_site_only(client, coordinator, target):
    response = client.post(
        "/manage/organisations/new",
        data={"name": "Kenya IPSTC", "kind": "training_centre", "country": "KE", "next": target},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/manage"
