"""Sessions: cookie flags, a new session on login, and server-side invalidation by a
per-user session version (logout, password change, role change), for the session
cookie and the "keep me logged in" cookie alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from catalog.auth.services import set_roles
from catalog.extensions import db
from catalog.models import Role, User
from tests.factories import PASSWORD, make_user
from tests.html import page
from tests.security_support import production_app

NEW_PASSWORD = "violet harbour lantern"
EMAIL = "trainee@example.org"


@pytest.fixture
def trainee():
    user = make_user(EMAIL, Role.TRAINEE)
    db.session.commit()
    return user


def log_in(client, email: str = EMAIL, password: str = PASSWORD, **extra):
    response = client.post("/account/login", data={"email": email, "password": password, **extra})
    assert response.status_code == 302, "logged in"
    return response


def is_logged_in(client) -> bool:
    response = client.get("/account/profile")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"
    return False


def change_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD):
    return client.post(
        "/account/password",
        data={"pw-current_password": current, "pw-new_password": new, "pw-confirm": new},
    )


def stored(email: str = EMAIL) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def set_cookies(response) -> dict[str, dict[str, str]]:
    """Each Set-Cookie of a response: name -> its attributes (lower-cased names)."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            attributes = {key: value for key, value in morsel.items() if value}
            # SimpleCookie keeps flag attributes as True; spell them out.
            lowered = header.lower()
            attributes["secure"] = "; secure" in lowered
            attributes["httponly"] = "; httponly" in lowered
            cookies[name] = attributes
    return cookies


# --- Cookie flags ------------------------------------------------------------------


def test_cookies_in_production_are_secure_httponly_lax_and_host_only(app):
    make_user(EMAIL)
    db.session.commit()
    with production_app(app) as production:
        client = production.test_client()
        form = client.get("/account/login", base_url="https://localhost")
        token = page(form).by_id("csrf_token")["value"]
        response = client.post(
            "/account/login",
            base_url="https://localhost",
            data={"email": EMAIL, "password": PASSWORD, "remember": "y", "csrf_token": token},
            # Flask-WTF checks the referrer of HTTPS posts.
            headers={"Referer": "https://localhost/account/login"},
        )

    assert response.status_code == 302
    cookies = set_cookies(response)
    assert set(cookies) == {"__Host-session", "__Host-remember_token"}
    for name, attributes in cookies.items():
        assert attributes["secure"], name
        assert attributes["httponly"], name
        assert attributes["samesite"] == "Lax", name
        assert attributes["path"] == "/", name
        assert "domain" not in attributes, f"{name}: __Host- cookies name no domain"


def test_cookies_in_testing_are_httponly_and_lax(client, trainee):
    response = log_in(client, remember="y")

    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        assert cookies[name]["httponly"]
        assert cookies[name]["samesite"] == "Lax"


def test_remember_cookie_lasts_a_month(client, trainee):
    response = log_in(client, remember="y")

    expires = parsedate_to_datetime(set_cookies(response)["remember_token"]["expires"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)


# --- A new session on login --------------------------------------------------------


def test_login_starts_a_new_session(client, trainee):
    client.get("/account/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["csrf_token"] = "known-to-an-attacker"
    before = client.get_cookie("session").value

    log_in(client)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != "known-to-an-attacker"
        assert session["_user_id"] == f"{trainee.id}:{stored().session_version}"
    assert client.get_cookie("session").value != before


# --- Server-side invalidation --------------------------------------------------------


def test_password_change_logs_out_every_other_session(app, trainee):
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here)
    log_in(elsewhere)
    version = stored().session_version

    response = change_password(here)

    assert response.status_code == 302
    assert stored().session_version == version + 1
    assert not is_logged_in(elsewhere)
    assert is_logged_in(here), "the browser that changed it stays logged in"


def test_logout_in_one_browser_logs_out_the_others(app, trainee):
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here)
    log_in(elsewhere)
    assert is_logged_in(elsewhere)

    assert here.post("/account/logout").status_code == 302

    assert not is_logged_in(here)
    assert not is_logged_in(elsewhere)
    log_in(elsewhere)
    assert is_logged_in(elsewhere), "logging in again works"


def test_a_copied_session_cookie_stops_working_after_logout(app, trainee):
    victim = app.test_client()
    log_in(victim)
    stolen = victim.get_cookie("session").value
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    assert is_logged_in(attacker), "a copied cookie works while the session lasts"

    victim.post("/account/logout")

    attacker.set_cookie("session", stolen)
    assert not is_logged_in(attacker)


def test_remember_cookie_logs_in_after_the_browser_closes(app, trainee):
    client = app.test_client()
    log_in(client, remember="y")
    client.delete_cookie("session")  # the browser was closed

    assert is_logged_in(client)


def test_password_change_ends_remembered_logins_too(app, trainee):
    here, remembered = app.test_client(), app.test_client()
    log_in(here)
    log_in(remembered, remember="y")
    remembered.delete_cookie("session")  # only the remember cookie is left

    change_password(here)

    response = remembered.get("/account/profile")
    assert response.status_code == 302
    # The stale remember cookie is deleted, not tried again on every request.
    assert set_cookies(response)["remember_token"]["expires"].startswith("Thu, 01 Jan 1970")
    assert remembered.get_cookie("remember_token") is None
    assert not is_logged_in(remembered)


def test_logout_ends_remembered_logins_elsewhere(app, trainee):
    here, remembered = app.test_client(), app.test_client()
    log_in(here)
    log_in(remembered, remember="y")
    stolen = remembered.get_cookie("remember_token").value

    here.post("/account/logout")

    attacker = app.test_client()
    attacker.set_cookie("remember_token", stolen)
    assert not is_logged_in(attacker)
    assert not is_logged_in(remembered)


def test_the_browser_that_changed_its_password_stays_remembered(app, trainee):
    client = app.test_client()
    log_in(client, remember="y")

    change_password(client)
    client.delete_cookie("session")

    assert is_logged_in(client), "the remember cookie was renewed with the new version"


def test_role_change_logs_the_person_out(app, trainee):
    client = app.test_client()
    log_in(client)

    set_roles(None, stored(), [Role.TRAINEE, Role.INSTRUCTOR])
    db.session.commit()

    assert not is_logged_in(client)
    log_in(client)
    assert Role.INSTRUCTOR in stored().roles


def test_deactivation_ends_sessions(app, trainee):
    client = app.test_client()
    log_in(client, remember="y")
    user = stored()
    user.active = False
    db.session.commit()

    assert not is_logged_in(client)
    client.delete_cookie("session")
    assert not is_logged_in(client)


@pytest.mark.parametrize("value", ["{id}", "{id}:", "{id}:x", ":1", "{id}:99", "abc"])
def test_a_session_without_the_current_version_is_refused(client, trainee, value):
    with client.session_transaction() as session:
        session["_user_id"] = value.format(id=trainee.id)
        session["_fresh"] = True

    assert not is_logged_in(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session, "the stale login is dropped from the session"


def test_a_failed_password_change_ends_nothing(app, trainee):
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here)
    log_in(elsewhere)
    version = stored().session_version

    response = change_password(here, current="not my password")

    assert response.status_code == 422
    assert stored().session_version == version
    assert is_logged_in(elsewhere)


def test_registering_starts_a_new_session(client):
    client.get("/account/register")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"

    response = client.post(
        "/account/register",
        data={
            "name": "Amina Diallo",
            "email": "amina@example.org",
            "password": "blue river mountain",
            "confirm": "blue river mountain",
            "country": "SN",
            "timezone": "Africa/Dakar",
            "language": "en",
        },
    )

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{stored('amina@example.org').id}:1"
