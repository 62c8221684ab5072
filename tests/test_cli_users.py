"""``flask --app wsgi users create``, run through Flask's CLI test runner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from catalog.extensions import db
from catalog.models import Role, User
from tests.factories import make_user

PASSWORD = "granite compass meadow"


def create(runner, email="A@Example.org", *extra, password=PASSWORD, roles=("coordinator",)):
    args = ["users", "create", email]
    if password is not None:
        args += ["--password", password]
    for role in roles:
        args += ["--role", role]
    return runner.invoke(args=[*args, *extra])


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def stored_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def test_create_user(runner):
    result = create(runner, "A@Example.org", "--country", "ke", "--name", "Grace Achieng")

    assert result.exit_code == 0, result.output
    assert "Created a@example.org (coordinator)." in result.output
    user = stored_user("a@example.org")
    assert user is not None, "the e-mail is stored lower-cased"
    assert user.roles == {Role.COORDINATOR}
    assert user.country_code == "KE"
    assert user.name == "Grace Achieng"
    assert user.active
    assert PASSWORD not in user.password_hash
    assert check_password_hash(user.password_hash, PASSWORD)


def test_create_user_with_defaults(runner):
    result = create(runner, "grace@example.org", roles=())

    assert result.exit_code == 0, result.output
    user = stored_user("grace@example.org")
    assert user.roles == {Role.TRAINEE}
    assert (user.name, user.country_code, user.timezone, user.language) == (
        "grace",
        None,
        "UTC",
        "en",
    )


def test_create_user_with_several_roles(runner):
    result = create(
        runner, "focal@example.org", "--country", "KE", roles=("focal_point", "instructor")
    )

    assert result.exit_code == 0, result.output
    assert stored_user("focal@example.org").roles == {Role.FOCAL_POINT, Role.INSTRUCTOR}


def test_password_can_be_typed_at_a_hidden_prompt(runner):
    result = runner.invoke(
        args=["users", "create", "prompted@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert check_password_hash(stored_user("prompted@example.org").password_hash, PASSWORD)


def test_same_email_twice_is_refused(runner):
    assert create(runner, "a@example.org").exit_code == 0

    result = create(runner, "A@EXAMPLE.ORG", roles=("admin",))

    assert result.exit_code != 0
    assert "An account with this e-mail address already exists." in result.output
    assert "Traceback" not in result.output
    assert user_count() == 1
    assert stored_user("a@example.org").roles == {Role.COORDINATOR}


def test_unknown_role_is_refused(runner):
    result = create(runner, roles=("superuser",))

    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output
    assert "'superuser' is not one of" in result.output
    assert user_count() == 0


def test_unknown_country_is_refused(runner):
    result = create(runner, "a@example.org", "--country", "ZZ")

    assert result.exit_code != 0
    assert "--country" in result.output
    assert "Unknown country code ZZ." in result.output
    assert user_count() == 0


def test_focal_point_needs_a_country(runner):
    result = create(runner, roles=("focal_point",))

    assert result.exit_code != 0
    assert "A focal point needs the country they act for." in result.output
    assert user_count() == 0


def test_unknown_time_zone_is_refused(runner):
    result = create(runner, "a@example.org", "--timezone", "Mars/Olympus")

    assert result.exit_code != 0
    assert "Unknown time zone Mars/Olympus." in result.output
    assert user_count() == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "Use at least 10 characters."),
        ("password123", "This password is too common"),
        ("operator-2026", "Do not use your e-mail address in your password."),
    ],
    ids=["short", "common", "contains-email"],
)
def test_weak_password_is_refused(runner, password, message):
    result = create(runner, "operator@example.org", password=password)

    assert result.exit_code != 0
    assert "--password" in result.output
    assert message in result.output
    assert user_count() == 0


def test_failed_create_leaves_existing_accounts_alone(runner):
    make_user("kept@example.org")
    db.session.commit()

    result = create(runner, "new@example.org", "--country", "ZZ")

    assert result.exit_code != 0
    assert user_count() == 1


def test_created_user_can_log_in(runner, client):
    assert create(runner, "A@Example.org", "--country", "KE").exit_code == 0

    response = client.post("/account/login", data={"email": "a@example.org", "password": PASSWORD})

    assert response.status_code == 302
    with client.session_transaction() as session:
        # Flask-Login keeps "<id>:<session version>" (catalog.security.sessions).
        assert session["_user_id"].partition(":")[0] == str(stored_user("a@example.org").id)
