"""The home page, the error pages, and the markup every page owes keyboard and
screen-reader users."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from catalog import create_app
from catalog.auth.services import create_user
from catalog.extensions import db
from catalog.models import OfferingStatus, Role, User
from catalog.security import policy
from config import TestingConfig
from tests.factories import PASSWORD, make_course, make_offering, make_user
from tests.html import assert_accessible_layout, page

EMPTY_MESSAGE = "No training is published at the moment. Please check again soon."
NOT_FOUND_MESSAGE = "We could not find that page. It may have moved, or the address may be wrong."
SERVER_ERROR_MESSAGE = (
    "Something went wrong on our side. It has been logged; please try again later."
)


def offering_cards(response) -> list[dict[str, str]]:
    return page(response).all("li", **{"class": "offering-card"})


# --- Home page ------------------------------------------------------------------------


def test_home_lists_published_upcoming_offerings_only(client):
    make_offering(make_course("ENG-101", title="Earthmoving Plant Operation"))
    make_offering(make_course("MED-201", title="Field Medical Assistants"), starts_in_days=5)
    make_offering(make_course("DRF-001", title="Draft Course"), status=OfferingStatus.DRAFT)
    make_offering(make_course("CAN-001", title="Cancelled Course"), status=OfferingStatus.CANCELLED)
    make_offering(make_course("OLD-001", title="Finished Course"), starts_in_days=-60)
    db.session.commit()

    response = client.get("/")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Earthmoving Plant Operation" in body
    assert "Field Medical Assistants" in body
    assert body.index("Field Medical Assistants") < body.index("Earthmoving Plant Operation")
    for hidden in ("Draft Course", "Cancelled Course", "Finished Course"):
        assert hidden not in body
    assert len(offering_cards(response)) == 2
    assert EMPTY_MESSAGE not in body


def test_home_says_so_when_nothing_is_published(client):
    make_offering(status=OfferingStatus.DRAFT)
    db.session.commit()

    response = client.get("/")

    assert response.status_code == 200
    assert EMPTY_MESSAGE in response.get_data(as_text=True)
    assert offering_cards(response) == []


def test_home_shows_the_soonest_and_links_to_the_full_list(client):
    for day in range(21):
        make_offering(make_course(f"PG-{day:03d}"), starts_in_days=20 + day)
    db.session.commit()

    response = client.get("/")

    assert page(response).text_by_id["soonest-heading"] == "Starting soonest"
    body = response.get_data(as_text=True)
    shown = len(offering_cards(response))
    assert 0 < shown < 21
    assert "PG-000" in body and "PG-020" not in body, "soonest first"
    assert page(response).all("a", href="/catalogue"), "a way to the full list"
    assert "See all 21 upcoming offerings" in body


def test_the_full_list_shows_twenty_offerings_a_page(client, app):
    assert app.config["CATALOGUE_PAGE_SIZE"] == 20
    for day in range(21):
        make_offering(make_course(f"PG-{day:03d}"), starts_in_days=20 + day)
    db.session.commit()

    first = client.get("/catalogue")
    second = client.get("/catalogue?page=2")

    assert len(offering_cards(first)) == 20
    assert "Page 1 of 2" in first.get_data(as_text=True)
    assert page(first).all("a", rel="next")[0]["href"] == "/catalogue?page=2"
    assert not page(first).all("a", rel="prev")
    assert len(offering_cards(second)) == 1
    assert "PG-020" in second.get_data(as_text=True)
    assert "PG-020" not in first.get_data(as_text=True)
    assert "Page 2 of 2" in second.get_data(as_text=True)
    assert not page(second).all("a", rel="next")


# --- Error pages ---------------------------------------------------------------------


def test_unknown_url_gets_a_friendly_404_in_the_site_layout(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    doc = page(response)
    assert NOT_FOUND_MESSAGE in doc.text_by_id["content"]
    assert doc.all("a", href="/account/login"), "the site's navigation is there"
    assert "Traceback" not in response.get_data(as_text=True)
    assert_accessible_layout(response)


@pytest.fixture
def failing_app(app, monkeypatch):
    """A separate app run as in production, with a page that writes, then fails.

    Routes must be added before an app serves its first request, so the shared app
    cannot be used.
    """

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        TESTING = False
        PROPAGATE_EXCEPTIONS = False

    failing = create_app(Config)
    monkeypatch.setitem(policy.RULES, "explode", policy.Rule(policy.PUBLIC))

    @failing.route("/explode")
    def explode():
        create_user(email="halfway@example.org", password=PASSWORD, name="Half Way")
        db.session.flush()
        raise RuntimeError("connection string postgresql://secret-password@db")

    yield failing
    with failing.app_context():
        db.engine.dispose()


def test_server_error_gets_a_plain_500_page(failing_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get("/explode")

    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert SERVER_ERROR_MESSAGE in body
    for leak in ("Traceback", "RuntimeError", "secret-password", "explode()"):
        assert leak not in body
    assert_accessible_layout(response)
    assert any(record.exc_info for record in caplog.records), "the error is logged"
    assert db.session.scalar(select(func.count()).select_from(User)) == 0, "nothing written"


# --- Markup every page owes --------------------------------------------------------------


@pytest.fixture
def member(client):
    make_user("member@example.org", Role.TRAINEE)
    db.session.commit()
    response = client.post(
        "/account/login", data={"email": "member@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("method", "url", "data", "status"),
    [
        ("get", "/", None, 200),
        ("get", "/account/login", None, 200),
        ("get", "/account/register", None, 200),
        ("get", "/catalogue", None, 200),
        ("post", "/account/login", {"email": "x@example.org", "password": "wrong one"}, 422),
        ("post", "/account/register", {"email": "not an address", "password": "x"}, 422),
        ("get", "/missing", None, 404),
        ("get", "/account/logout", None, 405),
    ],
    ids=["home", "login", "register", "catalogue", "login-error", "register-error", "404", "405"],
)
def test_public_pages_are_accessible(client, method, url, data, status):
    make_offering()
    db.session.commit()

    response = getattr(client, method)(url, data=data)

    assert response.status_code == status
    assert_accessible_layout(response)


@pytest.mark.parametrize(
    ("method", "url", "data", "status"),
    [
        ("get", "/", None, 200),
        ("get", "/account/profile", None, 200),
        ("post", "/account/profile", {"name": "", "timezone": "Nowhere", "submit": "Save"}, 422),
        ("post", "/account/password", {"pw-current_password": "x"}, 422),
    ],
    ids=["home", "profile", "profile-error", "password-error"],
)
def test_member_pages_are_accessible(member, method, url, data, status):
    response = getattr(member, method)(url, data=data)

    assert response.status_code == status
    assert_accessible_layout(response)


def test_invalid_form_has_an_error_summary_linking_to_fields(client):
    response = client.post("/account/register", data={"email": "not an address"})

    doc = page(response)
    summary = [a for a in doc.elements if "error-summary" in a[1].get("class", "")]
    assert summary, "an error summary heads the form"
    assert summary[0][1].get("role") == "alert"
    targets = {a["href"] for a in doc.all("a") if a.get("href", "").startswith("#")}
    assert {"#name", "#email", "#password", "#confirm", "#country"} <= targets
