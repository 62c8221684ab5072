"""Accounts as a visitor meets them: register, log in and out, profile, roles, language.

Every check goes through the test client with the form posts a browser would send.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from catalog import create_app
from catalog.auth.access import role_required
from catalog.auth.services import hash_password
from catalog.extensions import db
from catalog.models import Role, User
from catalog.security import policy
from config import TestingConfig
from tests.factories import PASSWORD, make_user
from tests.html import page

NEW_PASSWORD = "violet harbour lantern"
FAILED_LOGIN = "The e-mail address or password is not right."


def assert_field_error(response, field_id: str, message: str) -> None:
    """The message sits at the field, is tied to it, and the summary links to it."""
    assert response.status_code == 422
    doc = page(response)
    assert message in doc.text(f"{field_id}-error")
    described_by = doc.by_id(field_id).get("aria-describedby", "").split()
    assert f"{field_id}-error" in described_by
    assert doc.by_id(field_id).get("aria-invalid") == "true"
    summary = [attrs for tag, attrs in doc.elements if "error-summary" in attrs.get("class", "")]
    assert summary, "an error summary heads the form"
    assert ("a", {"href": f"#{field_id}"}) in doc.elements


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def stored_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def logged_in_user_id(client) -> str | None:
    """The id of the user the session is logged in as (it stores "<id>:<version>")."""
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return value.partition(":")[0] if value else None


def registration(**overrides) -> dict[str, str]:
    data = {
        "name": "Amina Diallo",
        "email": "Amina.Diallo@Example.org",
        "password": "blue river mountain",
        "confirm": "blue river mountain",
        "country": "SN",
        "timezone": "Africa/Dakar",
        "language": "en",
        "gender": "female",
        "submit": "Create account",
    }
    data.update(overrides)
    return data


def profile_form(user: User, **overrides) -> dict[str, str]:
    data = {
        "name": user.name,
        "country": user.country_code or "",
        "timezone": user.timezone,
        "language": user.language,
        "gender": user.gender.value if user.gender else "",
        "submit": "Save profile",
    }
    data.update(overrides)
    return data


@pytest.fixture
def trainee():
    user = make_user("trainee@example.org", Role.TRAINEE, name="Wanjiru Kamau")
    db.session.commit()
    return user


# --- Registration -------------------------------------------------------------------


def test_register_page_offers_the_form(client):
    response = client.get("/account/register")
    assert response.status_code == 200
    doc = page(response)
    for field_id in ("name", "email", "password", "confirm", "country", "timezone", "language"):
        doc.by_id(field_id)


def test_registration_creates_a_logged_in_trainee(client):
    response = client.post("/account/register", data=registration())

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    user = stored_user("amina.diallo@example.org")
    assert user is not None, "the e-mail is stored lower-cased"
    assert user.roles == {Role.TRAINEE}
    assert (user.country_code, user.timezone, user.language) == ("SN", "Africa/Dakar", "en")
    assert user.password_hash != "blue river mountain"
    assert "blue river mountain" not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:")  # TestingConfig's fast method
    assert check_password_hash(user.password_hash, "blue river mountain")
    assert logged_in_user_id(client) == str(user.id)

    profile = client.get("/account/profile")
    assert profile.status_code == 200
    assert "amina.diallo@example.org" in profile.get_data(as_text=True)


def test_passwords_are_hashed_with_scrypt_outside_tests(app, monkeypatch):
    monkeypatch.delitem(app.config, "PASSWORD_HASH_METHOD")
    hashed = hash_password("blue river mountain")
    assert hashed.startswith("scrypt:")
    assert check_password_hash(hashed, "blue river mountain")


def test_registration_refuses_an_email_taken_in_another_case(client, trainee):
    before = user_count()

    response = client.post("/account/register", data=registration(email="TRAINEE@Example.ORG"))

    assert_field_error(response, "email", "An account with this e-mail address already exists.")
    assert user_count() == before


def test_registration_that_loses_a_race_for_the_address_gets_the_same_message(
    client, trainee, monkeypatch
):
    # Both requests passed the "taken?" check; the unique constraint decides.
    monkeypatch.setattr("catalog.auth.services.email_taken", lambda email: False)
    before = user_count()

    response = client.post("/account/register", data=registration(email="trainee@example.org"))

    assert_field_error(response, "email", "An account with this e-mail address already exists.")
    assert user_count() == before


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "Use at least 10 characters."),
        ("password123", "This password is too common"),
        ("Qwerty1234", "This password is too common"),
        ("amina.diallo-2026", "Do not use your e-mail address in your password."),
    ],
    ids=["short", "common", "common-any-case", "contains-email"],
)
def test_registration_refuses_a_weak_password(client, password, message):
    response = client.post(
        "/account/register", data=registration(password=password, confirm=password)
    )

    assert_field_error(response, "password", message)
    assert user_count() == 0


def test_registration_refuses_differing_passwords(client):
    response = client.post("/account/register", data=registration(confirm="blue river mountains"))

    assert_field_error(response, "confirm", "The passwords differ.")
    assert user_count() == 0


@pytest.mark.parametrize(
    ("field", "forged", "message"),
    [
        ("country", "ZZ", "Choose a country from the list."),
        ("country", "", "This field is required."),
        ("timezone", "Mars/Olympus", "Choose a time zone from the list"),
        ("timezone", "../../etc/passwd", "Choose a time zone from the list"),
    ],
    ids=["unknown-country", "no-country", "unknown-zone", "path-as-zone"],
)
def test_registration_refuses_values_not_offered(client, field, forged, message):
    response = client.post("/account/register", data=registration(**{field: forged}))

    assert_field_error(response, field, message)
    assert user_count() == 0


def test_registration_keeps_what_was_typed_except_passwords(client):
    response = client.post("/account/register", data=registration(confirm="something else"))

    doc = page(response)
    assert doc.by_id("email").get("value") == "Amina.Diallo@Example.org"
    assert doc.by_id("name").get("value") == "Amina Diallo"
    assert not doc.by_id("password").get("value")


# --- Logging in and out --------------------------------------------------------------


def test_login_redirects_home_and_starts_a_session(client, trainee):
    response = client.post(
        "/account/login", data={"email": "Trainee@Example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert logged_in_user_id(client) == str(trainee.id)
    home = client.get("/").get_data(as_text=True)
    assert "Log out" in home
    assert 'href="/account/login"' not in home


@pytest.mark.parametrize(
    ("email", "password"),
    [("trainee@example.org", "not the password"), ("nobody@example.org", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_failed_login_says_the_same_thing_either_way(client, trainee, email, password):
    response = client.post("/account/login", data={"email": email, "password": password})

    assert response.status_code == 422
    doc = page(response)
    assert doc.text("password-error") == FAILED_LOGIN
    assert "email-error" not in doc.text_by_id
    assert logged_in_user_id(client) is None


def test_login_with_empty_fields_answers_422(client):
    response = client.post("/account/login", data={"email": "", "password": ""})

    assert_field_error(response, "email", "This field is required.")
    assert logged_in_user_id(client) is None


def test_inactive_user_cannot_log_in(client, trainee):
    trainee.active = False
    db.session.commit()

    response = client.post(
        "/account/login", data={"email": "trainee@example.org", "password": PASSWORD}
    )

    assert response.status_code == 422
    assert page(response).text("password-error") == FAILED_LOGIN
    assert logged_in_user_id(client) is None


def test_deactivating_an_account_ends_its_open_session(client, auth, trainee):
    auth.login("trainee@example.org")
    assert client.get("/account/profile").status_code == 200

    stored_user("trainee@example.org").active = False
    db.session.commit()

    response = client.get("/account/profile")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"


def test_login_follows_an_on_site_next(client, trainee):
    response = client.post(
        "/account/login?next=/account/profile",
        data={"email": "trainee@example.org", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/profile"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "evil.example", "/\t/evil"],
    ids=["absolute", "scheme-relative", "backslash", "relative", "control-char"],
)
def test_login_ignores_an_off_site_next(client, trainee, target):
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": "trainee@example.org", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_protected_page_sends_visitors_to_log_in_and_back(client, trainee):
    response = client.get("/account/profile")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/login"
    next_path = parse_qs(location.query)["next"][0]
    assert next_path == "/account/profile"

    response = client.post(
        "/account/login",
        query_string={"next": next_path},
        data={"email": "trainee@example.org", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/account/profile"


def test_logged_in_visitor_is_sent_away_from_login_and_register(client, auth, trainee):
    auth.login("trainee@example.org")

    for url in ("/account/login", "/account/register"):
        response = client.get(url)
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/"


def test_logout_by_get_is_refused(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.get("/account/logout")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "This address does not accept that kind of request." in response.get_data(as_text=True)
    assert logged_in_user_id(client) == str(trainee.id)


def test_logout_ends_the_session(client, auth, trainee):
    auth.login("trainee@example.org")

    response = auth.logout()

    assert response.status_code == 302
    assert logged_in_user_id(client) is None
    assert client.get("/account/profile").status_code == 302
    assert "You are logged out." in client.get("/").get_data(as_text=True)


# --- Profile -----------------------------------------------------------------------


def test_profile_shows_current_details(client, auth, trainee):
    auth.login("trainee@example.org")

    doc = page(client.get("/account/profile"))

    assert "trainee@example.org" in doc.text_by_id.get("content", "")
    selected = {
        attrs.get("value") for tag, attrs in doc.elements if tag == "option" and "selected" in attrs
    }
    assert {"KE", "UTC", "en"} <= selected


def test_profile_update_changes_zone_language_and_country(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.post(
        "/account/profile",
        data=profile_form(trainee, timezone="Asia/Tokyo", language="fr", country="JP"),
    )

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/profile"
    user = stored_user("trainee@example.org")
    assert (user.timezone, user.language, user.country_code) == ("Asia/Tokyo", "fr", "JP")
    after = client.get("/account/profile")
    assert page(after).language == "fr"
    assert "Asia/Tokyo" in after.get_data(as_text=True)


def test_profile_refuses_an_unknown_time_zone(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.post(
        "/account/profile", data=profile_form(trainee, timezone="Mars/Olympus", language="fr")
    )

    assert_field_error(response, "timezone", "Choose a time zone from the list")
    user = stored_user("trainee@example.org")
    assert (user.timezone, user.language) == ("UTC", "en")


def test_profile_refuses_an_unknown_country(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.post("/account/profile", data=profile_form(trainee, country="ZZ"))

    assert_field_error(response, "country", "Choose a country from the list.")
    assert stored_user("trainee@example.org").country_code == "KE"


def test_a_trainee_may_clear_their_country(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.post("/account/profile", data=profile_form(trainee, country=""))

    assert response.status_code == 302
    assert stored_user("trainee@example.org").country_code is None


def test_a_focal_point_cannot_clear_their_country(client, auth):
    focal = make_user("focal.ke@example.org", Role.FOCAL_POINT, country="KE")
    db.session.commit()
    auth.login("focal.ke@example.org")

    response = client.post("/account/profile", data=profile_form(focal, country=""))

    assert_field_error(response, "country", "A focal point needs the country they act for.")
    assert stored_user("focal.ke@example.org").country_code == "KE"


def password_change(current: str, new: str, confirm: str | None = None) -> dict[str, str]:
    return {
        "pw-current_password": current,
        "pw-new_password": new,
        "pw-confirm": new if confirm is None else confirm,
        "pw-submit": "Change password",
    }


def test_password_change_needs_the_current_password(client, auth, trainee):
    auth.login("trainee@example.org")
    old_hash = trainee.password_hash

    response = client.post(
        "/account/password", data=password_change("not my password", NEW_PASSWORD)
    )

    assert_field_error(response, "pw-current_password", "Your current password is not right.")
    assert stored_user("trainee@example.org").password_hash == old_hash


@pytest.mark.parametrize(
    ("new", "field_id", "message"),
    [
        ("short1!", "pw-new_password", "Use at least 10 characters."),
        ("welcome123", "pw-new_password", "This password is too common"),
        ("my-trainee-pass", "pw-new_password", "Do not use your e-mail address"),
    ],
    ids=["short", "common", "contains-email"],
)
def test_password_change_refuses_a_weak_password(client, auth, trainee, new, field_id, message):
    auth.login("trainee@example.org")
    old_hash = trainee.password_hash

    response = client.post("/account/password", data=password_change(PASSWORD, new))

    assert_field_error(response, field_id, message)
    assert stored_user("trainee@example.org").password_hash == old_hash


def test_password_change_refuses_differing_passwords(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.post(
        "/account/password", data=password_change(PASSWORD, NEW_PASSWORD, "something else")
    )

    assert_field_error(response, "pw-confirm", "The passwords differ.")


def test_changed_password_replaces_the_old_one(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.post("/account/password", data=password_change(PASSWORD, NEW_PASSWORD))

    assert response.status_code == 302
    assert "Your password is changed." in client.get("/account/profile").get_data(as_text=True)
    auth.logout()
    old = auth.login("trainee@example.org", PASSWORD)
    assert old.status_code == 422
    assert page(old).text("password-error") == FAILED_LOGIN
    assert auth.login("trainee@example.org", NEW_PASSWORD).status_code == 302


def test_password_change_needs_a_login(client):
    response = client.post("/account/password", data=password_change(PASSWORD, NEW_PASSWORD))

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"


# --- Roles -------------------------------------------------------------------------


@pytest.fixture
def staff_client(app, monkeypatch):
    """A client of a separate app with one page only coordinators (and admins) may see,
    by its rule in the access policy and by ``role_required``.

    Routes cannot be added to the shared app once it has served a request.
    """
    monkeypatch.setitem(policy.RULES, "role_test.staff_only", policy.Rule(policy.COORDINATORS))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    staff_app = create_app(Config)
    test_bp = Blueprint("role_test", __name__)

    @test_bp.route("/staff-only")
    @role_required(Role.COORDINATOR)
    def staff_only():
        return "staff page"

    staff_app.register_blueprint(test_bp)
    yield staff_app.test_client()
    with staff_app.app_context():
        db.engine.dispose()


def log_in(client, email: str) -> None:
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def test_role_required_sends_anonymous_visitors_to_log_in(staff_client):
    response = staff_client.get("/staff-only")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/login"
    assert parse_qs(location.query)["next"] == ["/staff-only"]


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.FOCAL_POINT, Role.INSTRUCTOR])
def test_role_required_refuses_other_roles(staff_client, role):
    make_user("someone@example.org", role)
    db.session.commit()
    log_in(staff_client, "someone@example.org")

    response = staff_client.get("/staff-only")

    assert response.status_code == 403
    assert "You do not have permission to do this." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_role_required_lets_coordinators_and_admins_in(staff_client, role):
    make_user("staff@example.org", role)
    db.session.commit()
    log_in(staff_client, "staff@example.org")

    response = staff_client.get("/staff-only")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "staff page"


# --- Language ------------------------------------------------------------------------


def test_language_switch_for_a_visitor(client):
    assert page(client.get("/")).language == "en"

    response = client.post("/language", data={"language": "fr", "next": "/account/login"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login"
    assert page(client.get("/")).language == "fr"


def test_language_switch_is_stored_for_a_logged_in_user(client, auth, trainee):
    auth.login("trainee@example.org")

    client.post("/language", data={"language": "fr", "next": "/"})

    assert stored_user("trainee@example.org").language == "fr"
    assert page(client.get("/account/profile")).language == "fr"


def test_language_switch_refuses_an_unsupported_language(client, auth, trainee):
    auth.login("trainee@example.org")

    response = client.post("/language", data={"language": "de", "next": "/"})

    assert response.status_code == 400
    assert "English and French only" in response.get_data(as_text=True)
    assert stored_user("trainee@example.org").language == "en"
    with client.session_transaction() as session:
        assert "language" not in session
    assert page(client.get("/")).language == "en"


def test_language_switch_ignores_an_off_site_next(client):
    response = client.post("/language", data={"language": "fr", "next": "//evil.example/"})

    assert response.headers["Location"] == "/"


# --- CSRF ----------------------------------------------------------------------------


@pytest.fixture
def csrf_client(app):
    """A client of an app with CSRF protection on, as in production."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        WTF_CSRF_ENABLED = True

    csrf_app = create_app(Config)
    yield csrf_app.test_client()
    with csrf_app.app_context():
        db.engine.dispose()


def test_a_post_without_csrf_token_is_refused_kindly(csrf_client):
    response = csrf_client.post("/account/register", data=registration())

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "This form has expired. Go back, reload the page and try again." in body
    assert "Traceback" not in body
    assert user_count() == 0
    assert logged_in_user_id(csrf_client) is None


def test_forms_carry_their_csrf_token(csrf_client):
    doc = page(csrf_client.get("/account/register"))
    token = doc.by_id("csrf_token")["value"]

    response = csrf_client.post("/account/register", data=registration(csrf_token=token))

    assert response.status_code == 302
    assert stored_user("amina.diallo@example.org") is not None


def test_profile_chooses_which_notices_to_get(client, auth, trainee):
    auth.login("trainee@example.org")
    page_html = client.get("/account/profile").get_data(as_text=True)
    assert 'id="reminders_enabled"' in page_html and "checked" in page_html

    response = client.post("/account/profile", data=profile_form(trainee, reminders_enabled="y"))

    assert response.status_code == 302
    user = stored_user("trainee@example.org")
    assert user.reminders_enabled is True
    assert user.digest_enabled is False
