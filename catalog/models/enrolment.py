"""Enrolments: a person's place (or wish for one) in an offering."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import TimestampMixin, str_enum
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

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    offering: Mapped[Offering] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_live(self) -> bool:
        return self.status not in CLOSED_STATUSES
