"""Training sessions: the timed meetings of an offering."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import TimestampMixin, str_enum
from catalog.extensions import db

if TYPE_CHECKING:
    from catalog.models.offering import Offering
    from catalog.models.user import User


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class TrainingSession(TimestampMixin, db.Model):
    """A timed meeting. Times are stored in UTC with the IANA zone they were set in.

    ``revision`` rises on every change of time, place or status; calendar feeds
    publish it as SEQUENCE so subscribed clients take the change.
    """

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("revision >= 0", name="revision_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    instructor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "status"), default=SessionStatus.SCHEDULED
    )
    revision: Mapped[int] = mapped_column(default=0)

    offering: Mapped[Offering] = relationship(back_populates="sessions")
    instructor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} {self.starts_at:%Y-%m-%dT%H:%MZ}>"
