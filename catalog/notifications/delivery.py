"""Sending the outbox: each message claimed before it is sent, retried on failure.

Two processes can run this at once: a message goes to whoever's conditional
UPDATE claims it first; the other sees zero rows changed and moves on. A
claim older than the lease (a process that died mid-send) can be taken over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import OutboxMessage
from catalog.notifications.mail import build_email, transport_for

LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8... minutes after each failure, at most six hours."""
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _claimable(now: datetime):
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - LEASE),
    )


def deliver_due(now: datetime | None = None, limit: int = 200, transport=None) -> DeliveryReport:
    """Send what is due, oldest first; commit after every message."""
    now = now or utcnow()
    transport = transport or transport_for(current_app)
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    report = DeliveryReport()
    due = list(
        db.session.scalars(
            select(OutboxMessage.id).where(*_claimable(now)).order_by(OutboxMessage.id).limit(limit)
        )
    )
    db.session.commit()
    for message_id in due:
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, *_claimable(now))
            .values(claimed_at=now)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            continue  # another process has it
        message = db.session.get(OutboxMessage, message_id)
        attempts, recipient = message.attempts, message.recipient.email
        try:
            email = build_email(message, sender)
            # No transaction stays open while the mail server answers: on SQLite an
            # open read would hold off every writer (another sender's claim, the web
            # requests) for as long as the server takes.
            db.session.commit()
            transport.send(email)
        except Exception as error:  # noqa: BLE001  (any failure: try again later)
            db.session.rollback()
            attempts += 1
            outcome = {
                "attempts": attempts,
                "claimed_at": None,
                "next_attempt_at": now + backoff(attempts),
                "last_error": f"{type(error).__name__}: {error}"[:500],
            }
            report.failed += 1
            current_app.logger.warning(
                "Mail %s to %s failed (attempt %s): %s", message_id, recipient, attempts, error
            )
        else:
            outcome = {"sent_at": now, "last_error": ""}
            report.sent += 1
        # One UPDATE opening its own short transaction (never a read turned into a write).
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**outcome)
        )
        db.session.commit()
    return report
