"""What the site tells people, and what its scheduler has done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import utcnow
from catalog.extensions import db
from catalog.models.offering import Offering
from catalog.models.user import User


class OutboxMessage(db.Model):
    """A message to a person, written in the same transaction as the change that
    causes it, so nobody is told about something that was rolled back.

    The delivery job claims a message with a conditional update (``claimed_at``)
    before sending, so two processes never send the same one; a failed attempt
    is retried later (``next_attempt_at``), so a message outlives a mail server
    that is down.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    # An iCalendar attachment (METHOD:REQUEST or CANCEL), empty when none.
    calendar: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(index=True)

    recipient: Mapped[User] = relationship()


class SessionReminder(db.Model):
    """A reminder sent, one row per session, person, offset and session start: the
    unique constraint is what makes "sent exactly once" hold across processes."""

    __tablename__ = "session_reminders"
    __table_args__ = (UniqueConstraint("session_id", "user_id", "offset_minutes", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    offset_minutes: Mapped[int]
    starts_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnrolmentWatch(db.Model):
    """Someone who asked to be told when an offering's enrolment opens."""

    __tablename__ = "enrolment_watches"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    offering: Mapped[Offering] = relationship()


class JobState(db.Model):
    """The last run of each scheduler job, for ``scheduler jobs`` and health checks."""

    __tablename__ = "job_states"

    job_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_ok: Mapped[bool | None]
    last_result: Mapped[str] = mapped_column(String(500), default="")


class NoticeMark(db.Model):
    """A one-off notice already queued (a digest for a day, an enrolment-closed
    notice): inserting the key is what stops a second run from sending it again."""

    __tablename__ = "notice_marks"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
