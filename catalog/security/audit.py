"""The audit log: security events written as ``SecurityEvent`` rows.

``record`` adds an event to the request's transaction, so it is kept exactly when
the change it describes is. A failed login changes nothing else: its view commits
the event on its own.
"""

from __future__ import annotations

from enum import StrEnum

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased, joinedload

from catalog.extensions import db
from catalog.models import SecurityEvent, User


class EventKind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET = "password_reset"
    ROLES_CHANGED = "roles_changed"
    FEED_TOKEN_CREATED = "feed_token_created"
    FEED_TOKEN_REVOKED = "feed_token_revoked"


KIND_LABELS = {
    EventKind.LOGIN: _l("Logged in"),
    EventKind.LOGIN_FAILED: _l("Failed login"),
    EventKind.LOGOUT: _l("Logged out"),
    EventKind.PASSWORD_CHANGED: _l("Password changed"),
    EventKind.PASSWORD_RESET_REQUESTED: _l("Password reset requested"),
    EventKind.PASSWORD_RESET: _l("Password reset with an e-mailed link"),
    EventKind.ROLES_CHANGED: _l("Roles changed"),
    EventKind.FEED_TOKEN_CREATED: _l("Calendar address created"),
    EventKind.FEED_TOKEN_REVOKED: _l("Calendar address revoked"),
}


def record(
    kind: EventKind,
    user: User | None = None,
    *,
    actor: User | None = None,
    detail: str = "",
) -> SecurityEvent:
    """Add an event about ``user``'s account to the session (the caller commits).

    ``actor`` defaults to whoever is logged in; the address is the client's
    (``request.remote_addr``, which the trusted-proxy setting makes reliable)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = SecurityEvent(
        kind=kind.value,
        user=user,
        actor=actor,
        ip_address=(request.remote_addr or "")[:45] if has_request_context() else "",
        detail=printable(detail)[:500],
    )
    db.session.add(event)
    return event


def printable(text: str) -> str:
    """``text`` with control characters (line breaks, NUL...) replaced by "?": a
    label typed by a user cannot fake a line of the log, and PostgreSQL refuses NUL."""
    return "".join(char if char.isprintable() else "?" for char in text)


def events_query(kind: str = "", email: str = "") -> Select:
    """Events newest first, optionally of one kind and about accounts whose e-mail
    address contains ``email``."""
    query = (
        select(SecurityEvent)
        .options(joinedload(SecurityEvent.user), joinedload(SecurityEvent.actor))
        .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
    )
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    if email:
        subject = aliased(User)
        query = query.join(subject, SecurityEvent.user_id == subject.id).where(
            subject.email.contains(email.strip().lower(), autoescape=True)
        )
    return query
