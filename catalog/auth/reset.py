"""Password reset by an e-mailed link: single use, valid for an hour, and silent
about which addresses have accounts.

Only a SHA-256 hash of each link's token is stored: the token is 256 random bits,
so a fast hash is enough, and a copy of the database opens no account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from catalog.auth.services import find_user_by_email, set_password
from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds.services import absolute
from catalog.models import PasswordResetToken, User
from catalog.notifications.compose import Link, in_language_of, queue_message
from catalog.security.audit import EventKind, record

MAX_TOKEN_LENGTH = 100


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> None:
    """Queue a reset link for the active account with this address, if there is
    one (the caller commits). The work is the same either way, short of the two
    rows an existing account gets: a token is made and hashed, and the request is
    written to the audit log, so neither the answer nor its timing says whether
    the address has an account."""
    token = secrets.token_urlsafe(32)
    token_hash = hash_token(token)
    user = find_user_by_email(email)
    if user is None or not user.active:
        # Recorded all the same (with the account when there is one): many requests
        # for unknown addresses are worth an administrator's look.
        record(EventKind.PASSWORD_RESET_REQUESTED, user)
        return
    lifetime = current_app.config["PASSWORD_RESET_LIFETIME"]
    db.session.add(
        PasswordResetToken(user=user, token_hash=token_hash, expires_at=utcnow() + lifetime)
    )
    with in_language_of(user):
        minutes = int(lifetime.total_seconds() // 60)
        subject = _("Reset your password")
        paragraphs = [
            _("Someone, probably you, asked to reset the password of your account."),
            _(
                "The link below works once, for %(minutes)d minutes. If you did not ask, "
                "ignore this message: your password stays as it is.",
                minutes=minutes,
            ),
        ]
        link = Link(_("Choose a new password"), absolute("auth.reset_password", token=token))
    queue_message(user, "password_reset", subject, paragraphs, link)
    record(EventKind.PASSWORD_RESET_REQUESTED, user)


def valid_token(token: str, now: datetime | None = None) -> PasswordResetToken | None:
    """The unused, unexpired token of an active account, or None whatever the reason
    (the page says the same thing for each)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    now = now or utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.active:
        return None
    return row


def reset_password(token: str, password: str) -> User | None:
    """Set a new password with a reset token; None when the token is not valid.
    Raises ``AccountError`` for a password the rules refuse (the token is then kept).
    The caller commits, or rolls back on the error."""
    row = valid_token(token)
    if row is None:
        return None
    # Claimed with a conditional update: of two requests racing with one token,
    # only one finds it unused.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        return None
    user = row.user
    set_password(user, password)  # also retires the user's other reset links
    record(EventKind.PASSWORD_RESET, user, actor=user)
    password_changed_notice(user)
    return user


def password_changed_notice(user: User) -> None:
    """Tell the account's owner their password changed, so a change they did not
    make does not go unnoticed."""
    with in_language_of(user):
        subject = _("Your password was changed")
        paragraphs = [
            _("The password of your Peacekeeping Training Catalogue account was just changed."),
            _(
                "If you did not change it, choose a new one now with the link below and "
                "tell your coordinator."
            ),
        ]
        link = Link(_("Reset your password"), absolute("auth.forgot_password"))
    queue_message(user, "password_changed", subject, paragraphs, link)
