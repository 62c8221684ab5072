"""The enrolment workflow: apply, nominate, select, waitlist, withdraw, promote.

Every function that gives or frees a seat takes the offering's lock first
(``lock_offering``), counts seats from the enrolment rows, decides, and leaves
the commit to its caller: one request, one transaction. Every decision is
recorded as an EnrolmentEvent, and people are told through the outbox in the
same transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from catalog.database import utcnow
from catalog.enrolment.locking import lock_offering
from catalog.extensions import db
from catalog.feeds.services import absolute
from catalog.i18n import course_text
from catalog.models import (
    CLOSED_STATUSES,
    SEAT_HOLDING,
    Course,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    EnrolmentWatch,
    Gender,
    Invitation,
    Offering,
    OfferingStatus,
    Role,
    SeatAllocation,
    User,
)
from catalog.notifications.compose import Link, in_language_of, queue_message
from catalog.refusals import Refusal
from catalog.security.policy import acts_for_country
from catalog.templating import zoned

# Statuses from which a course counts as done, for prerequisites.
COMPLETED_STATUSES = (EnrolmentStatus.COMPLETED,)


class EnrolmentError(Refusal):
    """A request the enrolment rules refuse."""


class EnrolmentConflict(EnrolmentError):
    status = 409


class NotAllowed(EnrolmentError):
    status = 403


class MissingPrerequisites(EnrolmentError):
    def __init__(self, message: str, courses: list[Course]):
        super().__init__(message)
        self.courses = courses


# --- Reading seats ---------------------------------------------------------------


@dataclass(frozen=True)
class SeatCounts:
    """Seats held in one offering, overall and per country."""

    capacity: int
    held: int
    by_country: Counter
    quotas: dict[str, int]
    quotas_apply: bool

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.held)

    @property
    def open_pool(self) -> int:
        """Seats not reserved for any country."""
        return self.capacity - sum(self.quotas.values())

    def held_outside_quotas(self) -> int:
        return sum(n for code, n in self.by_country.items() if code not in self.quotas)

    def fits(self, country_code: str | None) -> bool:
        """Whether one more person from ``country_code`` can have a seat."""
        if self.held >= self.capacity:
            return False
        if not self.quotas_apply:
            return True
        if country_code in self.quotas:
            return self.by_country[country_code] < self.quotas[country_code]
        return self.held_outside_quotas() < self.open_pool

    def country_left(self, country_code: str | None) -> int | None:
        if not self.quotas_apply or country_code not in self.quotas:
            return None
        return max(0, self.quotas[country_code] - self.by_country[country_code])

    def with_one_more(self, country_code: str | None) -> SeatCounts:
        by_country = Counter(self.by_country)
        by_country[country_code] += 1
        return SeatCounts(self.capacity, self.held + 1, by_country, self.quotas, self.quotas_apply)


def seat_counts(offering: Offering, now: datetime | None = None) -> SeatCounts:
    rows = db.session.execute(
        select(Enrolment.country_code, func.count())
        .where(Enrolment.offering_id == offering.id, Enrolment.status.in_(SEAT_HOLDING))
        .group_by(Enrolment.country_code)
    ).all()
    by_country = Counter({code: count for code, count in rows})
    return SeatCounts(
        capacity=offering.capacity,
        held=sum(by_country.values()),
        by_country=by_country,
        quotas={quota.country_code: quota.seats for quota in offering.quotas},
        quotas_apply=offering.quotas_apply(now or utcnow()),
    )


def waiting_list(offering_id: int) -> list[Enrolment]:
    """The offering's waiting list, first in first."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(
                Enrolment.offering_id == offering_id,
                Enrolment.status == EnrolmentStatus.WAITLISTED,
            )
            .order_by(Enrolment.waitlisted_at, Enrolment.id)
        )
    )


def waiting_positions(offering_ids: list[int]) -> dict[int, int]:
    """Enrolment id -> 1-based place on its offering's waiting list."""
    if not offering_ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=Enrolment.offering_id,
            order_by=(Enrolment.waitlisted_at, Enrolment.id),
        )
        .label("position")
    )
    rows = db.session.execute(
        select(Enrolment.id, rank).where(
            Enrolment.offering_id.in_(offering_ids),
            Enrolment.status == EnrolmentStatus.WAITLISTED,
        )
    )
    return {enrolment_id: position for enrolment_id, position in rows}


# --- Recording and telling ---------------------------------------------------------


def record_decision(
    enrolment: Enrolment,
    to_status: EnrolmentStatus,
    action: str,
    actor: User | None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    from_status = enrolment.status if enrolment.id is not None else None
    enrolment.status = to_status
    if to_status == EnrolmentStatus.WAITLISTED and from_status != EnrolmentStatus.WAITLISTED:
        enrolment.waitlisted_at = now
    if actor is not None and actor.id != enrolment.user_id:
        enrolment.decided_by = actor
        enrolment.decided_at = now
        enrolment.decision_note = note[:500]
    enrolment.events.append(
        EnrolmentEvent(
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=to_status,
            note=note[:500],
            created_at=now,
        )
    )


# Subject and first line of the message each status change sends.
_MESSAGES = {
    "confirmed": lambda title: (
        _("Your place is confirmed: %(title)s", title=title),
        _("You have a confirmed place in %(title)s.", title=title),
    ),
    "waitlisted": lambda title: (
        _("You are on the waiting list: %(title)s", title=title),
        _("%(title)s is full for now; you are on its waiting list.", title=title),
    ),
    "promoted": lambda title: (
        _("A place opened up for you: %(title)s", title=title),
        _("A seat became free and you moved from the waiting list into %(title)s.", title=title),
    ),
    "declined": lambda title: (
        _("Your application was declined: %(title)s", title=title),
        _("Your application for %(title)s was declined.", title=title),
    ),
    "nominated": lambda title: (
        _("You were nominated: %(title)s", title=title),
        _("Your national focal point nominated you for %(title)s.", title=title),
    ),
    "removed": lambda title: (
        _("Your place was withdrawn: %(title)s", title=title),
        _("Your place in %(title)s was withdrawn by the course coordinator.", title=title),
    ),
}


def _tell(user: User, kind: str, enrolment: Enrolment, note: str = "") -> None:
    """Queue a message in the recipient's language; sent after commit by the outbox."""
    offering = enrolment.offering
    with in_language_of(user):
        words = course_text(offering.course)
        title = f"{offering.course.code} {words.title} ({format_date(offering.starts_on)})"
        subject, first_line = _MESSAGES[kind](title)
        paragraphs = [first_line]
        if kind == "promoted" and enrolment.offer_expires_at is not None:
            paragraphs.append(
                _(
                    "Please accept the place on the My training page by %(when)s, or it "
                    "goes to the next person waiting.",
                    when=zoned(enrolment.offer_expires_at, user.timezone or "UTC"),
                )
            )
        if note:
            paragraphs.append(_("Note: %(note)s", note=note))
        link = Link(_("My training"), absolute("enrolment.my_training"))
    queue_message(user, f"enrolment_{kind}", subject, paragraphs, link)


# --- Rules --------------------------------------------------------------------------


def check_open_for_enrolment(offering: Offering, now: datetime) -> None:
    if offering.status == OfferingStatus.CANCELLED:
        raise EnrolmentError(_("This offering is cancelled."))
    if offering.status != OfferingStatus.PUBLISHED:
        raise EnrolmentError(_("This offering is not open for enrolment."))
    if offering.has_started(now):
        raise EnrolmentError(_("This offering has already started."))
    if now < offering.enrolment_opens_at:
        raise EnrolmentError(_("Enrolment has not opened yet."))
    if now >= offering.enrolment_closes_at:
        raise EnrolmentError(_("Enrolment has closed."))


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    """Prerequisite courses the user has not completed."""
    if not course.prerequisites:
        return []
    done = set(
        db.session.scalars(
            select(Offering.course_id)
            .join(Enrolment, Enrolment.offering_id == Offering.id)
            .where(Enrolment.user_id == user.id, Enrolment.status.in_(COMPLETED_STATUSES))
        )
    )
    return [c for c in course.prerequisites if c.id not in done]


def live_enrolment(user_id: int, offering_id: int) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == user_id,
            Enrolment.offering_id == offering_id,
            Enrolment.status.not_in(CLOSED_STATUSES),
        )
    )


def _insert(enrolment: Enrolment) -> None:
    """Add a new enrolment; a second live one for the same person is a conflict."""
    # Added inside the savepoint: begin_nested() flushes what is already pending
    # before the SAVEPOINT, where a duplicate would spoil the whole transaction.
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:
        raise EnrolmentConflict(_("You already have an enrolment in this offering.")) from None


def _place(
    offering: Offering,
    enrolment: Enrolment,
    counts: SeatCounts,
    action: str,
    actor,
    note: str = "",
) -> SeatCounts:
    """Confirm if a seat and the quota allow, else waitlist. Returns updated counts."""
    if counts.fits(enrolment.country_code):
        record_decision(enrolment, EnrolmentStatus.CONFIRMED, action, actor, note)
        return counts.with_one_more(enrolment.country_code)
    record_decision(enrolment, EnrolmentStatus.WAITLISTED, action, actor, note)
    return counts


def apply(user: User, offering_id: int, now: datetime | None = None) -> Enrolment:
    """A trainee asks for a seat ("Enrol").

    First come, first served: confirmed at once if a seat and the country's quota
    allow, else waitlisted. Nomination: the application waits for the country's
    focal point.
    """
    offering = lock_offering(offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    if offering is None:
        raise EnrolmentError(_("There is no such offering."))
    user = db.session.get(User, user.id)
    check_open_for_enrolment(offering, now)
    if live_enrolment(user.id, offering.id) is not None:
        raise EnrolmentConflict(_("You already have an enrolment in this offering."))
    missing = missing_prerequisites(user, offering.course)
    if missing:
        names = ", ".join(f"{c.code} {course_text(c).title}" for c in missing)
        raise MissingPrerequisites(
            _("Complete these courses first: %(names)s.", names=names), missing
        )
    enrolment = Enrolment(user=user, offering=offering, country_code=user.country_code)
    if offering.seat_allocation == SeatAllocation.FIRST_COME:
        _place(offering, enrolment, seat_counts(offering, now), "applied", user)
        _insert(enrolment)
        kind = "confirmed" if enrolment.status == EnrolmentStatus.CONFIRMED else "waitlisted"
        _tell(user, kind, enrolment)
    else:
        record_decision(enrolment, EnrolmentStatus.APPLIED, "applied", user, now=now)
        _insert(enrolment)
    return enrolment


def withdraw(user: User, enrolment_id: int, now: datetime | None = None) -> Enrolment:
    """The trainee gives up their place or application before the offering starts."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != user.id:
        raise LookupError(enrolment_id)
    offering = lock_offering(enrolment.offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    enrolment = db.session.get(Enrolment, enrolment_id, populate_existing=True)
    if not enrolment.is_live or enrolment.status in (
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.FAILED,
        EnrolmentStatus.NO_SHOW,
    ):
        raise EnrolmentConflict(_("This enrolment is already closed."))
    if offering.has_started(now):
        raise EnrolmentError(_("The offering has started; ask the coordinator instead."))
    freed = enrolment.status == EnrolmentStatus.CONFIRMED
    record_decision(enrolment, EnrolmentStatus.WITHDRAWN, "withdrew", db.session.get(User, user.id))
    db.session.flush()
    if freed:
        promote_waiting(offering, now)
    return enrolment


def promote_waiting(offering: Offering, now: datetime | None = None) -> list[Enrolment]:
    """Give free seats to the first waiting candidates who fit. Call under the lock."""
    now = now or utcnow()
    counts = seat_counts(offering, now)
    promoted = []
    for candidate in waiting_list(offering.id):
        if counts.left == 0:
            break
        if counts.fits(candidate.country_code):
            record_decision(candidate, EnrolmentStatus.CONFIRMED, "promoted", None, now=now)
            candidate.offer_expires_at = _offer_deadline(offering, now)
            counts = counts.with_one_more(candidate.country_code)
            _tell(candidate.user, "promoted", candidate)
            promoted.append(candidate)
    db.session.flush()
    return promoted


def _offer_deadline(offering: Offering, now: datetime) -> datetime | None:
    """How long a promoted person has to accept: WAITLIST_OFFER_HOURS, but never past
    the offering's start; None (no deadline) when the start is too near for one."""
    deadline = now + timedelta(hours=current_app.config["WAITLIST_OFFER_HOURS"])
    start = offering.local_midnight(offering.starts_on)
    deadline = min(deadline, start - timedelta(hours=12))
    return deadline if deadline > now else None


def accept_offer(user: User, enrolment_id: int) -> Enrolment:
    """The promoted person takes the place: the deadline goes."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != user.id:
        raise LookupError(enrolment_id)
    if enrolment.status != EnrolmentStatus.CONFIRMED or enrolment.offer_expires_at is None:
        raise EnrolmentConflict(_("There is no place waiting for your answer."))
    enrolment.offer_expires_at = None
    enrolment.events.append(
        EnrolmentEvent(
            actor_id=user.id,
            action="accepted",
            from_status=enrolment.status,
            to_status=enrolment.status,
        )
    )
    return enrolment


def expire_offer(enrolment_id: int, now: datetime | None = None) -> bool:
    """A place from the waiting list not accepted in time goes to the next person."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        return False
    offering = lock_offering(enrolment.offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    enrolment = db.session.get(Enrolment, enrolment_id, populate_existing=True)
    if (
        enrolment.status != EnrolmentStatus.CONFIRMED
        or enrolment.offer_expires_at is None
        or enrolment.offer_expires_at > now
    ):
        return False
    enrolment.offer_expires_at = None
    record_decision(enrolment, EnrolmentStatus.WITHDRAWN, "offer_expired", None, now=now)
    from catalog.notifications.notices import offer_expired

    offer_expired(enrolment.user, offering)
    db.session.flush()
    promote_waiting(offering, now)
    return True


def release_quotas(offering_id: int, now: datetime | None = None) -> list[Enrolment]:
    """After the release date, unused country seats open to every country and the
    waiting list is re-run. Does nothing before the date or a second time."""
    offering = lock_offering(offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    if offering is None or offering.quotas_released_at is not None:
        return []
    if now < offering.quota_release_at:
        return []
    offering.quotas_released_at = now
    db.session.flush()
    return promote_waiting(offering, now)


# --- Focal points ---------------------------------------------------------------------


def _require_focal_point_for(actor: User, country_code: str | None) -> None:
    if not actor.has_role(Role.FOCAL_POINT):
        raise NotAllowed(_("Only a national focal point can do this."))
    if not acts_for_country(actor, country_code):
        raise NotAllowed(_("You can only act for your own country."))


def nominate(actor: User, enrolment_id: int, note: str = "") -> Enrolment:
    """A focal point puts forward an application from their country."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise LookupError(enrolment_id)
    _require_focal_point_for(actor, enrolment.country_code)
    if enrolment.status != EnrolmentStatus.APPLIED:
        raise EnrolmentConflict(_("Only an application that waits can be nominated."))
    record_decision(enrolment, EnrolmentStatus.NOMINATED, "nominated", actor, note)
    _tell(enrolment.user, "nominated", enrolment, note)
    return enrolment


def decline(actor: User, enrolment_id: int, note: str = "") -> Enrolment:
    """A focal point (own country) or a coordinator turns an application down."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise LookupError(enrolment_id)
    if not actor.has_role(Role.COORDINATOR):
        _require_focal_point_for(actor, enrolment.country_code)
    if enrolment.status not in (
        EnrolmentStatus.APPLIED,
        EnrolmentStatus.NOMINATED,
        EnrolmentStatus.WAITLISTED,
    ):
        raise EnrolmentConflict(_("Only a pending application can be declined."))
    record_decision(enrolment, EnrolmentStatus.DECLINED, "declined", actor, note)
    _tell(enrolment.user, "declined", enrolment, note)
    return enrolment


def nominate_directly(
    actor: User, offering_id: int, user_id: int, note: str = "", now: datetime | None = None
) -> Enrolment:
    """A focal point nominates an existing user of their country."""
    now = now or utcnow()
    offering = db.session.get(Offering, offering_id)
    person = db.session.get(User, user_id)
    if offering is None or person is None:
        raise LookupError(offering_id)
    _require_focal_point_for(actor, person.country_code)
    check_open_for_enrolment(offering, now)
    if live_enrolment(person.id, offering.id) is not None:
        raise EnrolmentConflict(_("This person already has an enrolment in this offering."))
    # A nomination is no way round the prerequisites; a coordinator's override is.
    missing = missing_prerequisites(person, offering.course)
    if missing:
        names = ", ".join(f"{c.code} {course_text(c).title}" for c in missing)
        raise MissingPrerequisites(
            _("%(name)s has not completed: %(names)s.", name=person.name, names=names), missing
        )
    enrolment = Enrolment(user=person, offering=offering, country_code=person.country_code)
    record_decision(enrolment, EnrolmentStatus.NOMINATED, "nominated", actor, note, now=now)
    _insert(enrolment)
    _tell(person, "nominated", enrolment, note)
    return enrolment


def invite(actor: User, offering_id: int, email: str, now: datetime | None = None) -> Invitation:
    """A focal point nominates someone without an account; registering with this
    address turns the invitation into a nomination (see ``accept_invitations``)."""
    from catalog.auth.services import find_user_by_email, normalise_email

    now = now or utcnow()
    offering = db.session.get(Offering, offering_id)
    if offering is None:
        raise LookupError(offering_id)
    _require_focal_point_for(actor, actor.country_code)
    check_open_for_enrolment(offering, now)
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None:
        raise EnrolmentConflict(
            _("%(email)s already has an account: nominate them from the list.", email=email)
        )
    invitation = Invitation(
        email=email, offering=offering, country_code=actor.country_code, invited_by=actor
    )
    try:
        with db.session.begin_nested():  # see _insert
            db.session.add(invitation)
    except IntegrityError:
        raise EnrolmentConflict(_("%(email)s is already invited.", email=email)) from None
    return invitation


def accept_invitations(user: User, now: datetime | None = None) -> list[Enrolment]:
    """Turn open invitations for the user's address into nominations."""
    now = now or utcnow()
    enrolments = []
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.email == user.email, Invitation.accepted_at.is_(None))
    )
    for invitation in invitations:
        invitation.accepted_at = now
        offering = invitation.offering
        if offering.status != OfferingStatus.PUBLISHED or offering.has_started(now):
            continue  # cancelled, back in draft or under way since the invitation
        if live_enrolment(user.id, invitation.offering_id) is not None:
            continue
        if user.country_code is None:
            user.country_code = invitation.country_code
        enrolment = Enrolment(
            user=user, offering=invitation.offering, country_code=invitation.country_code
        )
        record_decision(
            enrolment, EnrolmentStatus.NOMINATED, "nominated", invitation.invited_by, now=now
        )
        db.session.add(enrolment)
        enrolments.append(enrolment)
    return enrolments


# --- Coordinators ---------------------------------------------------------------------


def _require_coordinator(actor: User) -> None:
    if not actor.has_role(Role.COORDINATOR):
        raise NotAllowed(_("Only a coordinator can do this."))


def select_candidate(actor: User, enrolment_id: int, now: datetime | None = None) -> Enrolment:
    """A coordinator selects a nominee: confirmed if the offering and the country's
    quota have room, otherwise waitlisted."""
    _require_coordinator(actor)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise LookupError(enrolment_id)
    offering = lock_offering(enrolment.offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    enrolment = db.session.get(Enrolment, enrolment_id, populate_existing=True)
    actor = db.session.get(User, actor.id)
    if enrolment.status != EnrolmentStatus.NOMINATED:
        raise EnrolmentConflict(_("Only a nominated candidate can be selected."))
    if offering.status != OfferingStatus.PUBLISHED:
        raise EnrolmentError(_("This offering is not open for enrolment."))
    _place(offering, enrolment, seat_counts(offering, now), "selected", actor)
    kind = "confirmed" if enrolment.status == EnrolmentStatus.CONFIRMED else "waitlisted"
    _tell(enrolment.user, kind, enrolment)
    return enrolment


def remove(actor: User, enrolment_id: int, note: str, now: datetime | None = None) -> Enrolment:
    """A coordinator takes a confirmed or waiting person out; the seat goes on."""
    _require_coordinator(actor)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise LookupError(enrolment_id)
    offering = lock_offering(enrolment.offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    enrolment = db.session.get(Enrolment, enrolment_id, populate_existing=True)
    actor = db.session.get(User, actor.id)
    if enrolment.status not in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED):
        raise EnrolmentConflict(_("Only a confirmed or waiting person can be removed."))
    freed = enrolment.status == EnrolmentStatus.CONFIRMED
    record_decision(enrolment, EnrolmentStatus.WITHDRAWN, "removed", actor, note)
    _tell(enrolment.user, "removed", enrolment, note)
    db.session.flush()
    if freed:
        promote_waiting(offering, now)
    return enrolment


def override_prerequisites(
    actor: User, user_id: int, offering_id: int, reason: str, now: datetime | None = None
) -> Enrolment:
    """A coordinator lets a trainee apply without the prerequisite courses."""
    _require_coordinator(actor)
    reason = (reason or "").strip()
    if not reason:
        raise EnrolmentError(_("Give a reason for the exception."))
    offering = lock_offering(offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    person = db.session.get(User, user_id)
    actor = db.session.get(User, actor.id)
    if offering is None or person is None:
        raise LookupError(offering_id)
    # The window may have closed (coordinators add late candidates), but the
    # offering must still be running and not under way.
    if offering.status == OfferingStatus.CANCELLED:
        raise EnrolmentError(_("This offering is cancelled."))
    if offering.status != OfferingStatus.PUBLISHED:
        raise EnrolmentError(_("This offering is not open for enrolment."))
    if offering.has_started(now):
        raise EnrolmentError(_("This offering has already started."))
    if live_enrolment(person.id, offering.id) is not None:
        raise EnrolmentConflict(_("This person already has an enrolment in this offering."))
    enrolment = Enrolment(
        user=person,
        offering=offering,
        country_code=person.country_code,
        prerequisite_override=reason[:500],
    )
    if offering.seat_allocation == SeatAllocation.FIRST_COME:
        counts = seat_counts(offering, now)
        _place(offering, enrolment, counts, "prerequisite_override", actor, reason)
        _insert(enrolment)
        kind = "confirmed" if enrolment.status == EnrolmentStatus.CONFIRMED else "waitlisted"
        _tell(person, kind, enrolment)
    else:
        record_decision(
            enrolment, EnrolmentStatus.NOMINATED, "prerequisite_override", actor, reason
        )
        _insert(enrolment)
    return enrolment


def set_seat_allocation(actor: User, offering_id: int, allocation: SeatAllocation) -> Offering:
    _require_coordinator(actor)
    offering = lock_offering(offering_id)
    if offering is None:
        raise LookupError(offering_id)
    offering.seat_allocation = allocation
    return offering


# --- Gender balance (aggregates only) -----------------------------------------------


@dataclass(frozen=True)
class GenderShare:
    """Women among the trainees holding a seat; never who they are."""

    confirmed: int = 0
    women: int = 0
    not_stated: int = 0

    @property
    def share(self) -> float | None:
        return self.women / self.confirmed if self.confirmed else None

    def meets(self, target: float) -> bool:
        return self.share is not None and self.share >= target

    def plus(self, gender: Gender | None, count: int) -> GenderShare:
        return GenderShare(
            self.confirmed + count,
            self.women + (count if gender == Gender.FEMALE else 0),
            self.not_stated + (count if gender is None else 0),
        )


@dataclass(frozen=True)
class GenderBalance:
    overall: GenderShare
    by_country: dict[str | None, GenderShare]


def gender_balance(offering_id: int) -> GenderBalance:
    """The share of women among the offering's seat holders, overall and per country."""
    rows = db.session.execute(
        select(Enrolment.country_code, User.gender, func.count())
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.offering_id == offering_id, Enrolment.status.in_(SEAT_HOLDING))
        .group_by(Enrolment.country_code, User.gender)
    ).all()
    overall = GenderShare()
    by_country: dict[str | None, GenderShare] = {}
    for code, gender, count in rows:
        overall = overall.plus(gender, count)
        by_country[code] = by_country.get(code, GenderShare()).plus(gender, count)
    return GenderBalance(overall, by_country)


# The statuses of people a country has put forward (a self-application is not yet).
PUT_FORWARD = (EnrolmentStatus.NOMINATED, EnrolmentStatus.WAITLISTED, *SEAT_HOLDING)


def nominees_all_men(offering_id: int, country_code: str) -> bool:
    """Whether everyone the country has put forward for the offering is a man."""
    rows = dict(
        db.session.execute(
            select(User.gender, func.count())
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(
                Enrolment.offering_id == offering_id,
                Enrolment.country_code == country_code,
                Enrolment.status.in_(PUT_FORWARD),
            )
            .group_by(User.gender)
        ).all()
    )
    return bool(rows) and set(rows) == {Gender.MALE}


# --- Being told when enrolment opens ------------------------------------------------


def watch(user: User, offering_id: int, now: datetime | None = None) -> EnrolmentWatch:
    """Ask to be told by e-mail when the offering's enrolment opens."""
    now = now or utcnow()
    offering = db.session.get(Offering, offering_id)
    if offering is None or offering.status == OfferingStatus.DRAFT:
        raise LookupError(offering_id)
    if offering.status != OfferingStatus.PUBLISHED or now >= offering.enrolment_opens_at:
        raise EnrolmentConflict(_("Enrolment for this offering is not about to open."))
    existing = db.session.get(EnrolmentWatch, (user.id, offering_id))
    if existing is not None:
        return existing
    row = EnrolmentWatch(user_id=user.id, offering_id=offering_id)
    try:
        with db.session.begin_nested():  # a double click must not be an error
            db.session.add(row)
    except IntegrityError:
        return db.session.get(EnrolmentWatch, (user.id, offering_id))
    return row


def unwatch(user: User, offering_id: int) -> None:
    row = db.session.get(EnrolmentWatch, (user.id, offering_id))
    if row is not None:
        db.session.delete(row)
