"""Account rules shared by the registration form, the profile and the CLI."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import Country, Gender, PasswordResetToken, Role, User
from catalog.security.audit import EventKind, record
from catalog.security.sessions import end_all_sessions
from catalog.timeutil import is_valid_timezone

MIN_PASSWORD_LENGTH = 10

# The most common passwords that pass the length rule; a breach corpus would be
# better but must not be downloaded at run time.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "0123456789",
        "qwertyuiop",
        "1q2w3e4r5t",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "iloveyou123",
        "abcdefghij",
        "abc1234567",
        "qwerty1234",
        "qwerty12345",
        "aaaaaaaaaa",
        "letmein123",
        "welcome123",
        "peacekeeping",
        "unitednations",
    }
)


class AccountError(ValueError):
    """A rule an account breaks; ``field`` names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    """One form per address: Unicode NFC (a composed é and e + accent are the same
    address), trimmed and lower-cased."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is too weak, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return _("This password is too common or too easy to guess; choose another.")
    local_part = normalise_email(email).split("@")[0]
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return _("Do not use your e-mail address in your password.")
    return None


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def email_taken(email: str) -> bool:
    return find_user_by_email(email) is not None


def country_exists(code: str) -> bool:
    return db.session.get(Country, code.upper()) is not None


def create_user(
    *,
    email: str,
    password: str,
    name: str,
    roles: Iterable[Role] = (Role.TRAINEE,),
    country_code: str | None = None,
    language: str = "en",
    timezone: str = "UTC",
    gender: Gender | None = None,
) -> User:
    """Check every rule, then add the user to the session (the caller commits)."""
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError("email", _("Enter a valid e-mail address."))
    if email_taken(email):
        raise AccountError("email", _("An account with this e-mail address already exists."))
    problem = password_problem(password, email)
    if problem:
        raise AccountError("password", problem)
    if country_code:
        country_code = country_code.strip().upper()
        if not country_exists(country_code):
            raise AccountError("country", _("Unknown country code %(code)s.", code=country_code))
    if not is_valid_timezone(timezone):
        raise AccountError("timezone", _("Unknown time zone %(zone)s.", zone=timezone))
    if language not in current_app.config["LANGUAGES"]:
        raise AccountError("language", _("Unsupported language %(language)s.", language=language))
    roles = set(roles)
    if Role.FOCAL_POINT in roles and not country_code:
        raise AccountError("country", _("A focal point needs the country they act for."))

    user = User(
        email=email,
        name=name.strip() or email.split("@")[0],
        password_hash=hash_password(password),
        country_code=country_code or None,
        language=language,
        timezone=timezone,
        gender=gender,
    )
    for role in sorted(roles):
        user.grant(role)
    db.session.add(user)
    return user


# Hashed once on first use: checking it for unknown e-mail addresses makes a
# failed login take as long whether or not the account exists.
_dummy_hash: str | None = None


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    global _dummy_hash
    user = find_user_by_email(email)
    if user is None:
        if _dummy_hash is None:
            _dummy_hash = hash_password("not-a-real-password")
        check_password_hash(_dummy_hash, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Check and store a new password (the caller commits). Every session of the
    user ends and every reset link not yet used stops working: whoever knew the old
    password, or could read an old e-mail, is shut out."""
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError("password", problem)
    user.password_hash = hash_password(password)
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    end_all_sessions(user)


def set_roles(actor: User | None, user: User, roles: Iterable[Role]) -> bool:
    """Give ``user`` exactly ``roles`` (the caller commits); ``actor`` is the admin
    making the change, None for the command line. A change ends the user's sessions,
    so the new roles apply from a fresh login, and is written to the audit log.
    Returns whether anything changed."""
    roles = set(roles)
    if not roles:
        raise AccountError("roles", _("Choose at least one role."))
    if Role.FOCAL_POINT in roles and not user.country_code:
        raise AccountError("roles", _("A focal point needs the country they act for."))
    held = user.roles
    if actor is not None and actor.id == user.id and Role.ADMIN in held - roles:
        # Someone else must do it, so the site is never left without an administrator
        # by a slip of the mouse.
        raise AccountError("roles", _("You cannot remove your own administrator role."))
    if roles == held:
        return False
    for role in held - roles:
        user.revoke(role)
    for role in sorted(roles - held):
        user.grant(role)
    end_all_sessions(user)
    record(EventKind.ROLES_CHANGED, user, actor=actor, detail=roles_change_detail(held, roles))
    return True


def roles_change_detail(before: set[Role], after: set[Role]) -> str:
    """ "+coordinator -trainee": roles granted and revoked, as role values, so the
    audit log reads the same in every language."""
    granted = [f"+{role}" for role in sorted(after - before)]
    revoked = [f"-{role}" for role in sorted(before - after)]
    return " ".join(granted + revoked)
