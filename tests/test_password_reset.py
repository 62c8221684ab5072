"""Password reset by an e-mailed link, end to end through the pages and the outbox:
single use, expiring, retired by a password change, and silent about which
addresses have accounts."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from catalog.auth.reset import hash_token
from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import OutboxMessage, PasswordResetToken, Role, User
from tests.factories import PASSWORD, make_user
from tests.html import assert_accessible_layout, page
from tests.security_support import events

EMAIL = "trainee@example.org"
NEW_PASSWORD = "violet harbour lantern"
SENT = (
    "If an account uses that address, we have sent it a link to choose a new password. "
    "The link works for an hour."
)
INVALID = "This link does not work"
LINK = re.compile(r"https?://[^/\s]+(/account/password/reset/[A-Za-z0-9_-]+)")


@pytest.fixture
def trainee():
    user = make_user(EMAIL, Role.TRAINEE)
    db.session.commit()
    return user


def ask_for_link(client, email: str = EMAIL):
    return client.post("/account/password/forgot", data={"email": email})


def outbox(kind: str = "password_reset") -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def link_path(message: OutboxMessage) -> str:
    """The reset link's path, read from the e-mail's text as a person would."""
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def emailed_link(client, email: str = EMAIL) -> str:
    assert ask_for_link(client, email).status_code == 302
    return link_path(outbox()[-1])


def choose(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(
        path, data={"new_password": password, "confirm": password if confirm is None else confirm}
    )


def without_csrf_tokens(response) -> str:
    """The page's HTML with its CSRF tokens blanked: they carry the second they
    were made."""
    return re.sub(r'(name="csrf_token" value=")[^"]*', r"\1", response.get_data(as_text=True))


def stored(email: str = EMAIL) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def can_log_in(client, password: str, email: str = EMAIL) -> bool:
    response = client.post("/account/login", data={"email": email, "password": password})
    if response.status_code == 302:
        client.post("/account/logout")
        return True
    return False


def token_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PasswordResetToken))


# --- Asking for a link ----------------------------------------------------------------


def test_the_login_page_links_to_the_reset_form(client):
    doc = page(client.get("/account/login"))

    assert ("a", {"href": "/account/password/forgot"}) in doc.elements
    assert "Forgot your password?" in doc.text_by_id.get("content", "")


def test_the_reset_form(client):
    response = client.get("/account/password/forgot")

    assert response.status_code == 200
    page(response).by_id("email")
    assert_accessible_layout(response)


def test_a_link_is_emailed_to_an_existing_account(client, trainee):
    response = ask_for_link(client, "  Trainee@Example.ORG ")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"
    assert SENT in client.get("/account/login").get_data(as_text=True)
    [message] = outbox()
    assert message.recipient_id == trainee.id
    assert message.subject == "Reset your password"
    assert "works once, for 60 minutes" in message.body
    path = link_path(message)
    assert path in message.html_body
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 40, "at least 240 bits of randomness"
    [row] = db.session.scalars(select(PasswordResetToken))
    assert row.token_hash == hash_token(token) != token, "only the hash is stored"
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(hours=1)
    assert row.used_at is None


@pytest.mark.parametrize("email", ["nobody@example.org", "inactive@example.org"])
def test_unknown_and_inactive_addresses_get_the_same_answer_and_no_mail(client, trainee, email):
    make_user("inactive@example.org").active = False
    db.session.commit()
    known = ask_for_link(client, EMAIL)
    known_page = without_csrf_tokens(client.get("/account/login"))

    other = ask_for_link(client, email)
    other_page = without_csrf_tokens(client.get("/account/login"))

    assert (other.status_code, other.headers["Location"]) == (
        known.status_code,
        known.headers["Location"],
    )
    assert other.get_data() == known.get_data()
    assert other_page == known_page, "the page after says exactly the same"
    assert len(outbox()) == 1, "only the real account got a message"
    assert token_count() == 1


def test_an_empty_address_is_asked_for_again(client):
    response = client.post("/account/password/forgot", data={"email": ""})

    assert response.status_code == 422
    assert "This field is required." in page(response).text("email-error")


def test_the_message_is_in_the_account_holders_language(client):
    make_user(EMAIL, language="fr")
    db.session.commit()

    ask_for_link(client)

    [message] = outbox()
    assert message.subject == "Réinitialisez votre mot de passe"
    assert "/account/password/reset/" in message.body


# --- Using the link ---------------------------------------------------------------------


def test_the_link_opens_a_form_for_the_new_password(client, trainee):
    path = emailed_link(client)

    response = client.get(path)

    assert response.status_code == 200
    doc = page(response)
    doc.by_id("new_password")
    doc.by_id("confirm")
    assert_accessible_layout(response)
    # The token is in the address: no Referer carries it away, no cache keeps it.
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_new_password_replaces_the_old_one(client, trainee):
    path = emailed_link(client)
    version = trainee.session_version

    response = choose(client, path)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"
    assert "Your password is changed. Log in with the new one." in client.get(
        "/account/login"
    ).get_data(as_text=True)
    assert not can_log_in(client, PASSWORD)
    assert can_log_in(client, NEW_PASSWORD)
    user = stored()
    assert user.session_version > version
    [row] = db.session.scalars(select(PasswordResetToken))
    assert row.used_at is not None


def test_the_owner_is_told_the_password_changed(client, trainee):
    choose(client, emailed_link(client))

    [notice] = outbox("password_changed")
    assert notice.recipient_id == trainee.id
    assert "/account/password/forgot" in notice.body


def test_a_link_works_once(client, trainee):
    path = emailed_link(client)
    assert choose(client, path).status_code == 302

    again = client.get(path)
    reuse = choose(client, path, "another fine passphrase")

    for response in (again, reuse):
        assert response.status_code == 404
        assert INVALID in response.get_data(as_text=True)
        assert ("a", {"href": "/account/password/forgot"}) in page(response).elements
    assert can_log_in(client, NEW_PASSWORD)


def test_an_expired_link_does_not_work(client, trainee):
    path = emailed_link(client)
    row = db.session.scalar(select(PasswordResetToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    for response in (client.get(path), choose(client, path)):
        assert response.status_code == 404
        assert INVALID in response.get_data(as_text=True)
    assert can_log_in(client, PASSWORD)


@pytest.mark.parametrize("token", ["not-a-token", "x" * 101, "a" * 43])
def test_an_unknown_link_gets_the_same_page(client, trainee, token):
    response = client.get(f"/account/password/reset/{token}")

    assert response.status_code == 404
    assert INVALID in response.get_data(as_text=True)
    assert_accessible_layout(response)


def test_a_password_change_retires_open_links(client, auth, trainee):
    path = emailed_link(client)
    auth.login(EMAIL)

    client.post(
        "/account/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
        },
    )

    assert client.get(path).status_code == 404


def test_using_one_link_retires_the_others(client, trainee):
    first = emailed_link(client)
    second = emailed_link(client)
    assert first != second

    choose(client, second)

    assert client.get(first).status_code == 404


def test_a_deactivated_account_cannot_use_its_link(client, trainee):
    path = emailed_link(client)
    stored().active = False
    db.session.commit()

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "Use at least 10 characters."),
        ("password123", "This password is too common"),
        ("my-trainee-pass", "Do not use your e-mail address"),
    ],
)
def test_the_password_rules_apply(client, trainee, password, message):
    path = emailed_link(client)

    response = choose(client, path, password)

    assert response.status_code == 422
    assert message in page(response).text("new_password-error")
    assert can_log_in(client, PASSWORD)
    assert client.get(path).status_code == 200, "the link still works for a better try"


def test_the_passwords_must_match(client, trainee):
    path = emailed_link(client)

    response = choose(client, path, NEW_PASSWORD, "something else entirely")

    assert response.status_code == 422
    assert "The passwords differ." in page(response).text("confirm-error")


def test_a_reset_logs_out_every_session(app, trainee):
    elsewhere = app.test_client()
    assert elsewhere.post("/account/login", data={"email": EMAIL, "password": PASSWORD})
    assert elsewhere.get("/account/profile").status_code == 200
    client = app.test_client()

    choose(client, emailed_link(client))

    assert elsewhere.get("/account/profile").status_code == 302


def test_a_reset_while_logged_in_as_someone_else_logs_them_out(client, auth, trainee):
    make_user("other@example.org")
    db.session.commit()
    path = emailed_link(client)
    auth.login("other@example.org")

    choose(client, path)

    assert client.get("/account/profile").status_code == 302


def test_requests_and_resets_are_audited(client, trainee):
    ask_for_link(client, "nobody@example.org")
    choose(client, emailed_link(client))

    requested = events("password_reset_requested")
    assert [event.user_id for event in requested] == [None, trainee.id]
    [reset] = events("password_reset")
    assert reset.user_id == reset.actor_id == trainee.id
    assert reset.ip_address == "127.0.0.1"
