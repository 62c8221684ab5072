"""What training achieved: attendance, results, certificates, trainers and feedback."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import TimestampMixin, str_enum, utcnow
from catalog.extensions import db
from catalog.models.enrolment import Enrolment
from catalog.models.offering import Offering
from catalog.models.session import TrainingSession
from catalog.models.user import User


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class Attendance(db.Model):
    """Whether a confirmed trainee attended one session, as the instructor marked it."""

    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(str_enum(AttendanceStatus, "status"))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    session: Mapped[TrainingSession] = relationship()
    enrolment: Mapped[Enrolment] = relationship()


class Certificate(db.Model):
    """Proof of completion; anyone can check its code at /verify/<code>."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), unique=True
    )
    code: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Empty: valid for good. Otherwise the qualification lapses after this day.
    expires_on: Mapped[date | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(String(300), default="")

    enrolment: Mapped[Enrolment] = relationship()


class TrainerRole(StrEnum):
    ASSISTANT_TRAINER = "assistant_trainer"
    CO_TRAINER = "co_trainer"


class TrainerAssignment(db.Model):
    """A graduate of a training of trainers teaching a later offering: how the
    programme's national training capacity grows, country by country."""

    __tablename__ = "trainer_assignments"

    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[TrainerRole] = mapped_column(str_enum(TrainerRole, "role"))
    # The ToT completion that qualifies them.
    qualifying_enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    offering: Mapped[Offering] = relationship()
    user: Mapped[User] = relationship()
    qualifying_enrolment: Mapped[Enrolment] = relationship()


class Feedback(TimestampMixin, db.Model):
    """End-of-course feedback (Kirkpatrick level 1), one per enrolment; shown to
    instructors and coordinators only in aggregate."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), unique=True
    )
    rating: Mapped[int]
    comments: Mapped[str] = mapped_column(Text, default="")

    enrolment: Mapped[Enrolment] = relationship()
