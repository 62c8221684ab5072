"""Enrolments: a person's place (or wish for one) in an offering."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import TimestampMixin, str_enum, utcnow
from catalog.extensions import db
from catalog.models.offering import Offering
from catalog.models.user import User


class EnrolmentStatus(StrEnum):
    APPLIED = "applied"
    NOMINATED = "nominated"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    FAILED = "failed"
    NO_SHOW = "no_show"


# Enrolments in these states hold one of the offering's seats.
SEAT_HOLDING = (
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.FAILED,
    EnrolmentStatus.NO_SHOW,
)

# An enrolment in one of these states ends a person's claim on the offering;
# they may apply again. Any other state is "live".
CLOSED_STATUSES = (EnrolmentStatus.DECLINED, EnrolmentStatus.WITHDRAWN)
_LIVE_CONDITION = "status NOT IN ('declined', 'withdrawn')"


class Enrolment(TimestampMixin, db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (
        # One live enrolment per person and offering; closed ones are history.
        Index(
            "uq_enrolments_live_user_offering",
            "user_id",
            "offering_id",
            unique=True,
            sqlite_where=db.text(_LIVE_CONDITION),
            postgresql_where=db.text(_LIVE_CONDITION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        str_enum(EnrolmentStatus, "status"), default=EnrolmentStatus.APPLIED
    )
    # The country the person represented when they enrolled: quotas count this,
    # not whatever their profile says later.
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    # When the person joined the waiting list: its order is first in, first out.
    waitlisted_at: Mapped[datetime | None]
    # Why a coordinator let someone in without the prerequisite courses.
    prerequisite_override: Mapped[str] = mapped_column(String(500), default="")
    # The grade of a completion: passed, or passed with distinction.
    distinction: Mapped[bool] = mapped_column(default=False)
    result_recorded_at: Mapped[datetime | None]
    # A place given from the waiting list must be accepted by then, or it goes on.
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    offering: Mapped[Offering] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    events: Mapped[list[EnrolmentEvent]] = relationship(
        back_populates="enrolment",
        cascade="all, delete-orphan",
        order_by="EnrolmentEvent.id",
    )

    @property
    def is_live(self) -> bool:
        return self.status not in CLOSED_STATUSES


class EnrolmentEvent(db.Model):
    """One decision on an enrolment: who, when, what and why. Never updated."""

    __tablename__ = "enrolment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    # Empty for decisions the site takes itself (promotion, quota release).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[EnrolmentStatus | None] = mapped_column(
        str_enum(EnrolmentStatus, "from_status")
    )
    to_status: Mapped[EnrolmentStatus] = mapped_column(str_enum(EnrolmentStatus, "to_status"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Invitation(TimestampMixin, db.Model):
    """A focal point's nomination of someone who has no account yet.

    When a person registers with the invited address, the invitation becomes a
    nomination for their country.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        Index(
            "uq_invitations_open_email_offering",
            "email",
            "offering_id",
            unique=True,
            sqlite_where=db.text("accepted_at IS NULL"),
            postgresql_where=db.text("accepted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None]

    offering: Mapped[Offering] = relationship()
    invited_by: Mapped[User] = relationship()
