"""Offerings: dated runs of a course, with their seats and partners."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import TimestampMixin, str_enum
from catalog.extensions import db

if TYPE_CHECKING:
    from catalog.models.course import Course
    from catalog.models.geo import Country, Organisation
    from catalog.models.session import TrainingSession
    from catalog.models.user import User


class DeliveryMode(StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"
    BLENDED = "blended"


class OfferingStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SeatAllocation(StrEnum):
    """How an offering gives its seats."""

    NOMINATION = "nomination"  # a focal point nominates, a coordinator selects
    FIRST_COME = "first_come"  # confirmed at once while seats and quota allow


class PartnerRole(StrEnum):
    HOST = "host"
    TRAINER_PROVIDER = "trainer_provider"
    FUNDER = "funder"
    PARTICIPANT = "participant"


offering_instructors = Table(
    "offering_instructors",
    db.metadata,
    Column("offering_id", ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Offering(TimestampMixin, db.Model):
    """One run of a course: where, when, in which language, for how many.

    Dates are calendar dates in the offering's own time zone; enrolment is open
    from the start of ``enrolment_opens_on`` to the end of ``enrolment_closes_on``
    in that zone.
    """

    __tablename__ = "offerings"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("enrolment_closes_on >= enrolment_opens_on", name="enrolment_window_order"),
        CheckConstraint("enrolment_closes_on <= starts_on", name="enrolment_closes_by_start"),
        CheckConstraint(
            "delivery_mode = 'remote' OR country_code IS NOT NULL", name="in_person_has_country"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    status: Mapped[OfferingStatus] = mapped_column(
        str_enum(OfferingStatus, "status"), default=OfferingStatus.DRAFT, index=True
    )
    delivery_mode: Mapped[DeliveryMode] = mapped_column(str_enum(DeliveryMode, "delivery_mode"))
    # Venue for in-person and blended runs; remote runs say "online" on the page.
    venue: Mapped[str] = mapped_column(String(200), default="")
    # Host country; empty only for remote runs.
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Languages interpreted into, e.g. "fr", when interpretation is provided.
    interpretation: Mapped[str] = mapped_column(String(64), default="")
    starts_on: Mapped[date] = mapped_column(index=True)
    ends_on: Mapped[date]
    enrolment_opens_on: Mapped[date]
    enrolment_closes_on: Mapped[date]
    # The same window as instants, derived from the dates and the zone on every
    # save: "open now" is then one comparison in SQL, exact in every zone.
    enrolment_opens_at: Mapped[datetime] = mapped_column(index=True)
    enrolment_closes_at: Mapped[datetime] = mapped_column(index=True)
    capacity: Mapped[int]
    seat_allocation: Mapped[SeatAllocation] = mapped_column(
        str_enum(SeatAllocation, "seat_allocation"), default=SeatAllocation.NOMINATION
    )
    # After this day (in the offering's zone) seats a country has not used are
    # open to every country. Empty: the day enrolment closes.
    quota_release_on: Mapped[date | None]
    quota_release_at: Mapped[datetime] = mapped_column(index=True)
    # When the release was carried out (waiting list re-run); empty until then.
    quotas_released_at: Mapped[datetime | None]
    health_requirements: Mapped[str] = mapped_column(Text, default="")
    travel_requirements: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship(back_populates="offerings")
    country: Mapped[Country | None] = relationship()
    quotas: Mapped[list[OfferingQuota]] = relationship(
        back_populates="offering",
        cascade="all, delete-orphan",
        order_by="OfferingQuota.country_code",
    )
    partners: Mapped[list[OfferingPartner]] = relationship(
        back_populates="offering", cascade="all, delete-orphan"
    )
    instructors: Mapped[list[User]] = relationship(secondary=offering_instructors)
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="offering",
        cascade="all, delete-orphan",
        order_by="TrainingSession.starts_at",
    )

    @property
    def is_online(self) -> bool:
        return self.delivery_mode == DeliveryMode.REMOTE

    def local_midnight(self, day: date) -> datetime:
        """The start of ``day`` in the offering's zone."""
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.timezone))

    def sync_enrolment_window(self) -> None:
        self.enrolment_opens_at = self.local_midnight(self.enrolment_opens_on)
        # Open until the end of the closing day, in the offering's zone.
        self.enrolment_closes_at = self.local_midnight(self.enrolment_closes_on + timedelta(days=1))
        release_on = self.quota_release_on or self.enrolment_closes_on
        self.quota_release_at = self.local_midnight(release_on + timedelta(days=1))

    def has_started(self, moment: datetime) -> bool:
        return moment >= self.local_midnight(self.starts_on)

    def quotas_apply(self, moment: datetime) -> bool:
        """Country quotas bind until the release date has passed and been acted on."""
        return (
            bool(self.quotas) and self.quotas_released_at is None and moment < self.quota_release_at
        )

    def enrolment_open_at(self, moment: datetime) -> bool:
        return (
            self.status == OfferingStatus.PUBLISHED
            and self.enrolment_opens_at <= moment < self.enrolment_closes_at
        )

    def __repr__(self) -> str:
        return f"<Offering {self.id} {self.starts_on}>"


class OfferingQuota(db.Model):
    """Seats of an offering reserved for one country's nominees."""

    __tablename__ = "offering_quotas"
    __table_args__ = (CheckConstraint("seats >= 1", name="seats_positive"),)

    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), primary_key=True)
    seats: Mapped[int]

    offering: Mapped[Offering] = relationship(back_populates="quotas")
    country: Mapped[Country] = relationship()


class OfferingPartner(db.Model):
    """An organisation's role in one offering (host, trainer provider, funder...)."""

    __tablename__ = "offering_partners"

    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True, index=True
    )
    role: Mapped[PartnerRole] = mapped_column(str_enum(PartnerRole, "role"), primary_key=True)

    offering: Mapped[Offering] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship()


@event.listens_for(Offering, "before_insert")
@event.listens_for(Offering, "before_update")
def _refresh_enrolment_window(mapper, connection, offering: Offering) -> None:
    offering.sync_enrolment_window()
