"""Helpers for the notification tests: a real SMTP server, people, offerings and
sessions at fixed times, and fresh databases for the process tests.

Time is controlled by passing ``now`` to the jobs; nothing here sleeps.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from catalog.extensions import db
from catalog.models import (
    Enrolment,
    EnrolmentStatus,
    Offering,
    OutboxMessage,
    SessionStatus,
    TrainingSession,
    User,
)
from tests.factories import make_offering, make_user

# A Monday morning far enough ahead that every fixture date stays in the future.
NOW = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)


# --- A real SMTP server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What an SMTP server on 127.0.0.1 received. It answers ``451`` to the first
    ``refuse`` messages (a server that is busy or greylisting), then accepts."""

    port: int = 0
    refuse: int = 0
    attempts: int = 0
    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Busy, try again later"
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@contextmanager
def smtp_server(refuse: int = 0) -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port(), refuse=refuse)
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def use_smtp(app, monkeypatch, port: int) -> None:
    monkeypatch.setitem(app.config, "MAIL_TRANSPORT", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USE_SSL", False)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", None)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)


# --- People, offerings, sessions ----------------------------------------------------------


def trainee(
    email: str | None = None,
    *roles,
    reminders_enabled: bool = True,
    digest_enabled: bool = True,
    **fields,
) -> User:
    """A user (a trainee unless ``roles`` say otherwise) with their notice choices."""
    user = make_user(email, *roles, **fields)
    user.reminders_enabled = reminders_enabled
    user.digest_enabled = digest_enabled
    db.session.flush()
    return user


def offering_on(day: date, **fields) -> Offering:
    """A published offering running from ``day`` for a week, enrolment long closed."""
    return make_offering(
        starts_on=day,
        ends_on=fields.pop("ends_on", day + timedelta(days=6)),
        enrolment_opens_on=fields.pop("enrolment_opens_on", day - timedelta(days=60)),
        enrolment_closes_on=fields.pop("enrolment_closes_on", day - timedelta(days=20)),
        **fields,
    )


def session_at(
    offering: Offering, starts_at: datetime, hours: int = 2, **fields
) -> TrainingSession:
    session = TrainingSession(
        offering=offering,
        title=fields.pop("title", "Mine awareness"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone=fields.pop("timezone", offering.timezone),
        location=fields.pop("location", ""),
        online_url=fields.pop("online_url", "https://meet.example.org/mine-awareness"),
        status=fields.pop("status", SessionStatus.SCHEDULED),
        revision=0,
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    return session


def confirm(user: User, offering: Offering, **fields) -> Enrolment:
    enrolment = Enrolment(
        user=user,
        offering=offering,
        country_code=user.country_code,
        status=fields.pop("status", EnrolmentStatus.CONFIRMED),
        **fields,
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def html_part(email: EmailMessage) -> str:
    return email.get_body(preferencelist=("html",)).get_content()


def text_part(email: EmailMessage) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


def calendar_part(email: EmailMessage) -> EmailMessage | None:
    for part in email.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None


# --- Fresh databases for the process tests ------------------------------------------------


@contextmanager
def fresh_database_url(tmp_path) -> Iterator[str]:
    """An empty database of the suite's kind: a new file on SQLite, a new database
    on the PostgreSQL server of ``TEST_DATABASE_URL`` (dropped afterwards)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or make_url(url).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'scheduler.db'}"
        return
    server = make_url(url)
    name = f"catalog_scheduler_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
