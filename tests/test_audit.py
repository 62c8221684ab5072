"""The audit log: an event for each kind of security change, written by the real
pages and commands, and the administrators' page that reads it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from catalog.auth.services import AccountError, set_roles
from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import FeedToken, Role, SecurityEvent, User
from catalog.security.audit import EventKind, record
from tests.factories import PASSWORD, make_user
from tests.html import assert_accessible_layout, page
from tests.security_support import events

NEW_PASSWORD = "violet harbour lantern"


@pytest.fixture
def trainee():
    user = make_user("trainee@example.org", Role.TRAINEE)
    db.session.commit()
    return user


@pytest.fixture
def admin():
    user = make_user("admin@example.org", Role.ADMIN, timezone="Africa/Nairobi")
    db.session.commit()
    return user


def stored(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def only(kind: str) -> SecurityEvent:
    [event] = events(kind)
    return event


# --- What is recorded ------------------------------------------------------------------


def test_a_login_is_recorded(client, auth, trainee):
    auth.login("trainee@example.org")

    event = only("login")
    assert event.user_id == event.actor_id == trainee.id
    assert event.ip_address == "127.0.0.1"
    assert utcnow() - event.created_at < timedelta(minutes=1)


def test_a_failed_login_names_the_account_when_it_exists(client, auth, trainee):
    response = auth.login("trainee@example.org", "not the password")

    assert response.status_code == 422
    event = only("login_failed")
    assert event.user_id == trainee.id
    assert event.actor_id is None
    assert event.ip_address == "127.0.0.1"


def test_a_failed_login_for_an_unknown_address_names_nobody(client, auth, trainee):
    auth.login("nobody@example.org")

    event = only("login_failed")
    assert event.user_id is None and event.actor_id is None
    assert "nobody@example.org" not in event.detail


def test_a_failed_login_of_an_inactive_account_is_recorded(client, auth, trainee):
    stored("trainee@example.org").active = False
    db.session.commit()

    auth.login("trainee@example.org")

    assert only("login_failed").user_id == trainee.id


def test_a_logout_is_recorded(client, auth, trainee):
    auth.login("trainee@example.org")

    auth.logout()

    event = only("logout")
    assert event.user_id == event.actor_id == trainee.id


def test_a_logout_without_a_login_records_nothing(client, auth):
    auth.logout()

    assert events("logout") == []


def test_a_password_change_is_recorded(client, auth, trainee):
    auth.login("trainee@example.org")

    client.post(
        "/account/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-new_password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
        },
    )

    event = only("password_changed")
    assert event.user_id == event.actor_id == trainee.id


def test_calendar_addresses_created_and_revoked_are_recorded(client, auth, trainee):
    auth.login("trainee@example.org")

    client.post("/account/feeds", data={"label": "phone"})
    token = db.session.scalar(select(FeedToken))
    client.post(f"/account/feeds/{token.id}/revoke")

    created, revoked = only("feed_token_created"), only("feed_token_revoked")
    assert created.user_id == revoked.user_id == trainee.id
    assert created.actor_id == trainee.id
    assert created.detail == f"#{token.id} phone"
    assert revoked.detail == f"#{token.id}"


def test_revoking_someone_elses_address_records_nothing(client, auth, trainee):
    other = make_user("other@example.org")
    db.session.flush()
    from catalog.feeds.services import issue_token

    token = issue_token(other)
    db.session.commit()
    auth.login("trainee@example.org")

    assert client.post(f"/account/feeds/{token.id}/revoke").status_code == 404
    assert events("feed_token_revoked") == []


def test_an_event_is_kept_only_with_its_change(trainee):
    record(EventKind.ROLES_CHANGED, trainee, detail="+coordinator")
    db.session.rollback()

    assert events() == []


# --- Roles -------------------------------------------------------------------------------


def test_set_roles_records_who_changed_what(trainee, admin):
    version = trainee.session_version

    assert set_roles(admin, trainee, [Role.INSTRUCTOR, Role.COORDINATOR])
    db.session.commit()

    event = only("roles_changed")
    assert (event.user_id, event.actor_id) == (trainee.id, admin.id)
    assert event.detail == "+coordinator +instructor -trainee"
    assert stored("trainee@example.org").roles == {Role.INSTRUCTOR, Role.COORDINATOR}
    assert stored("trainee@example.org").session_version == version + 1


def test_set_roles_without_a_change_records_nothing(trainee, admin):
    assert not set_roles(admin, trainee, [Role.TRAINEE])

    assert events() == []


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([], "Choose at least one role."),
        ([Role.TRAINEE], "You cannot remove your own administrator role."),
    ],
)
def test_set_roles_refuses(admin, roles, message):
    with pytest.raises(AccountError, match=message):
        set_roles(admin, admin, roles)


def test_a_focal_point_needs_a_country(admin):
    stateless = make_user("stateless@example.org", country=None)

    with pytest.raises(AccountError, match="A focal point needs the country"):
        set_roles(admin, stateless, [Role.FOCAL_POINT])


def test_the_command_line_records_the_roles_it_grants(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "boss@example.org",
            "--password",
            PASSWORD,
            "--role",
            "admin",
            "--role",
            "coordinator",
        ]
    )

    assert result.exit_code == 0, result.output
    event = only("roles_changed")
    assert event.user.email == "boss@example.org"
    assert event.actor_id is None
    assert event.detail == "+admin +coordinator"


def test_the_command_line_changes_roles(runner, trainee):
    result = runner.invoke(args=["users", "roles", "Trainee@example.org", "--role", "instructor"])

    assert result.exit_code == 0, result.output
    assert "now holds: instructor" in result.output
    assert stored("trainee@example.org").roles == {Role.INSTRUCTOR}
    assert only("roles_changed").detail == "+instructor -trainee"


def test_the_command_line_refuses_an_unknown_account(runner):
    result = runner.invoke(args=["users", "roles", "nobody@example.org", "--role", "trainee"])

    assert result.exit_code != 0
    assert "No account has this e-mail address." in result.output


# --- The administrators' pages ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/users/{id}/roles"])
def test_visitors_are_sent_to_log_in(client, trainee, url):
    response = client.get(url.format(id=trainee.id))

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/login"


@pytest.mark.parametrize(
    "role", [Role.TRAINEE, Role.INSTRUCTOR, Role.FOCAL_POINT, Role.COORDINATOR]
)
@pytest.mark.parametrize("url", ["/admin/audit", "/admin/users/{id}/roles"])
def test_only_administrators_may_see_them(client, auth, trainee, role, url):
    make_user("someone@example.org", role)
    db.session.commit()
    auth.login("someone@example.org")

    get = client.get(url.format(id=trainee.id))
    post = client.post(url.format(id=trainee.id), data={"roles": ["admin"]})

    assert get.status_code == 403
    assert post.status_code in {403, 405}
    assert stored("trainee@example.org").roles == {Role.TRAINEE}


def test_the_audit_log_page(client, auth, trainee, admin):
    client.post("/account/login", data={"email": "trainee@example.org", "password": "wrong one"})
    auth.login("admin@example.org")

    response = client.get("/admin/audit")

    assert response.status_code == 200
    assert_accessible_layout(response)
    text = page(response).text_by_id["content"]
    assert "Failed login" in text and "Logged in" in text
    assert "trainee@example.org" in text
    assert "(Africa/Nairobi)" in text, "times are shown with their zone"
    assert "127.0.0.1" in text


def test_the_audit_log_filters_by_kind_and_account(client, auth, trainee, admin):
    auth.login("trainee@example.org")
    auth.logout()
    auth.login("admin@example.org")

    by_kind = client.get("/admin/audit", query_string={"kind": "logout"}).get_data(as_text=True)
    by_account = client.get("/admin/audit", query_string={"email": "TRAINEE@"}).get_data(
        as_text=True
    )

    assert "<td>Logged out</td>" in by_kind
    assert "<td>Logged in</td>" not in by_kind
    assert by_account.count("<td>Logged in</td>") == 1
    assert ">trainee@example.org</a>" in by_account
    assert ">admin@example.org</a>" not in by_account


def test_the_audit_log_refuses_an_unknown_kind(client, auth, admin):
    auth.login("admin@example.org")

    response = client.get("/admin/audit", query_string={"kind": "' OR 1=1 --"})

    assert response.status_code == 422
    assert_accessible_layout(response)


def test_the_audit_log_is_paginated(client, auth, trainee, admin):
    for number in range(55):
        record(EventKind.LOGIN_FAILED, trainee, detail=f"attempt {number}")
    db.session.commit()
    auth.login("admin@example.org")

    first = client.get("/admin/audit", query_string={"kind": "login_failed"})
    second = client.get("/admin/audit", query_string={"kind": "login_failed", "page": 2})

    assert "Page 1 of 2" in first.get_data(as_text=True)
    assert "attempt 54" in first.get_data(as_text=True)
    assert "attempt 0" not in first.get_data(as_text=True)
    assert "attempt 0" in second.get_data(as_text=True)
    next_links = [a["href"] for a in page(first).all("a", rel="next")]
    assert next_links == ["/admin/audit?page=2&kind=login_failed"]


def test_an_administrator_changes_roles_on_the_page(app, client, auth, trainee, admin):
    theirs = app.test_client()
    theirs.post("/account/login", data={"email": "trainee@example.org", "password": PASSWORD})
    auth.login("admin@example.org")
    form = client.get(f"/admin/users/{trainee.id}/roles")
    assert form.status_code == 200
    assert_accessible_layout(form)

    response = client.post(
        f"/admin/users/{trainee.id}/roles", data={"roles": ["trainee", "instructor"]}
    )

    assert response.status_code == 302
    assert stored("trainee@example.org").roles == {Role.TRAINEE, Role.INSTRUCTOR}
    event = only("roles_changed")
    assert (event.user_id, event.actor_id) == (trainee.id, admin.id)
    assert event.detail == "+instructor"
    assert theirs.get("/account/profile").status_code == 302, "their sessions ended"
    assert client.get("/admin/audit").status_code == 200, "the admin's did not"


def test_an_administrator_keeps_their_session_after_changing_their_own_roles(client, auth, admin):
    auth.login("admin@example.org")

    response = client.post(
        f"/admin/users/{admin.id}/roles", data={"roles": ["admin", "coordinator"]}
    )

    assert response.status_code == 302
    assert client.get("/admin/audit").status_code == 200


def test_the_roles_page_shows_refusals_at_the_field(client, auth, admin):
    auth.login("admin@example.org")

    response = client.post(f"/admin/users/{admin.id}/roles", data={"roles": ["trainee"]})

    assert response.status_code == 422
    assert "You cannot remove your own administrator role." in page(response).text("roles-error")
    assert stored("admin@example.org").roles == {Role.ADMIN}


def test_the_roles_page_of_an_unknown_user_is_404(client, auth, admin):
    auth.login("admin@example.org")

    assert client.get("/admin/users/999999/roles").status_code == 404


def test_details_cannot_carry_control_characters(trainee):
    record(EventKind.FEED_TOKEN_CREATED, trainee, detail="#1 phone\nFAKE login\x00")
    db.session.commit()

    assert only("feed_token_created").detail == "#1 phone?FAKE login?"


def test_the_roles_page_needs_at_least_one_role(client, auth, trainee, admin):
    auth.login("admin@example.org")

    response = client.post(f"/admin/users/{trainee.id}/roles", data={})

    assert response.status_code == 422
    assert "Choose at least one role." in page(response).text("roles-error")
    assert stored("trainee@example.org").roles == {Role.TRAINEE}
