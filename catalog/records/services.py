"""What training achieved: attendance, results and certificates, trainers from the
training of trainers, and end-of-course feedback.

Views, tests and (later) CLI commands call these functions. Like the other services
they change the database session and flush, but never commit: the caller owns the
transaction. Writes that concern a whole class (attendance, results, trainers) take
the offering's lock first (``lock_offering``), so they serialise with each other and
with the seat decisions of the enrolment workflow.

Refusals:

- ``NotAllowed`` (403): the person may not do this;
- ``RecordsConflict`` (409): the offering or session is cancelled;
- ``RecordsError`` (422): not now, or not for these people (results before the
  offering started, feedback after its window closed...);
- ``InvalidValues`` (from ``catalog.manage.services``): values tied to a form field;
- ``LookupError``: an unknown id.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from catalog.catalogue.rules import Problem
from catalog.database import utcnow
from catalog.enrolment.locking import lock_offering

# record_decision is the enrolment workflow's one way to change a status and log the event;
# results go through it too, so an enrolment's history stays in one place.
from catalog.enrolment.services import SEAT_HOLDING, record_decision
from catalog.extensions import db
from catalog.geo import services as geo
from catalog.manage.services import InvalidValues
from catalog.models import (
    Attendance,
    AttendanceStatus,
    Certificate,
    Course,
    Enrolment,
    EnrolmentStatus,
    Feedback,
    Level,
    Offering,
    OfferingStatus,
    Role,
    SessionStatus,
    TrainerAssignment,
    TrainerRole,
    TrainingSession,
    User,
)
from catalog.refusals import Refusal
from catalog.security.policy import manages_offering

# The class of an offering: everyone who held a seat, whatever their result since.
CLASS_STATUSES = SEAT_HOLDING
# Who may give end-of-course feedback.
FEEDBACK_STATUSES = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED)
# Who counts as trained by an offering's trainers (a no-show was not).
TRAINED_STATUSES = (
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.FAILED,
)
# Feedback stays open this many days after the offering's last day.
FEEDBACK_DAYS = 14
COMMENTS_MAX = 2000
RATINGS = (1, 2, 3, 4, 5)

# Verification codes: no 0/O or 1/I to misread from paper. 16 of these 32 symbols
# are 80 random bits: nobody finds a valid code by trying.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 16
CODE_GROUP = 4


class RecordsError(Refusal):
    """A request the attendance, results and certificate rules refuse."""


class RecordsConflict(RecordsError):
    status = 409


class NotAllowed(RecordsError):
    status = 403


def _day(day: date) -> str:
    return format_date(day, "long")


def _require_coordinator(actor: User) -> None:
    if not actor.has_role(Role.COORDINATOR):
        raise NotAllowed(_("Only a coordinator can do this."))


def _locked_offering(offering_id: int) -> Offering:
    offering = lock_offering(offering_id)
    if offering is None:
        raise LookupError(offering_id)
    if offering.status == OfferingStatus.CANCELLED:
        raise RecordsConflict(_("This offering is cancelled."))
    return offering


def class_list(offering_id: int) -> list[Enrolment]:
    """The offering's trainees (everyone who held a seat), by name."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .where(Enrolment.offering_id == offering_id, Enrolment.status.in_(CLASS_STATUSES))
            .options(joinedload(Enrolment.user))
            .order_by(User.name, Enrolment.id)
        )
    )


def country_names(codes) -> dict[str, str]:
    """Code -> name in the reader's language, for the pages of this feature."""
    return geo.country_names(codes)


def _strangers(marks: Mapping[int, object], enrolments: Mapping[int, Enrolment]) -> None:
    strangers = sorted(set(marks) - set(enrolments))
    if strangers:
        raise RecordsError(
            _(
                "Enrolment %(ids)s is not in this offering's class.",
                ids=", ".join(str(enrolment_id) for enrolment_id in strangers),
            )
        )


# --- Attendance ---------------------------------------------------------------------------


def attendance_marks(session_id: int) -> dict[int, AttendanceStatus]:
    """Enrolment id -> how the trainee was marked for the session."""
    rows = db.session.execute(
        select(Attendance.enrolment_id, Attendance.status).where(
            Attendance.session_id == session_id
        )
    )
    return {enrolment_id: status for enrolment_id, status in rows}


def attendance_tally(offering_id: int) -> dict[int, Counter]:
    """Enrolment id -> how often the trainee was marked present, absent, excused, over
    the offering's scheduled sessions."""
    rows = db.session.execute(
        select(Attendance.enrolment_id, Attendance.status, func.count())
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(
            TrainingSession.offering_id == offering_id,
            TrainingSession.status == SessionStatus.SCHEDULED,
        )
        .group_by(Attendance.enrolment_id, Attendance.status)
    )
    tally: dict[int, Counter] = defaultdict(Counter)
    for enrolment_id, status, count in rows:
        tally[enrolment_id][status] = count
    return tally


def record_attendance(
    actor: User,
    session_id: int,
    marks: Mapping[int, AttendanceStatus],
    now: datetime | None = None,
) -> int:
    """Mark the class for one session at once: ``marks`` maps enrolment ids to a
    status; trainees left out keep their mark (or stay unmarked). The offering's
    instructors and the coordinators may do it, once the session has started.
    Returns how many marks changed."""
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        raise LookupError(session_id)
    offering = _locked_offering(session.offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    session = db.session.get(TrainingSession, session_id, populate_existing=True)
    actor = db.session.get(User, actor.id)
    if not manages_offering(actor, offering):
        raise NotAllowed(_("Only the offering's instructors and the coordinators mark attendance."))
    if session.status == SessionStatus.CANCELLED:
        raise RecordsConflict(_("This session is cancelled: there is no attendance to mark."))
    if now < session.starts_at:
        raise RecordsError(_("Attendance can be marked once the session has started."))
    enrolments = {enrolment.id: enrolment for enrolment in class_list(offering.id)}
    _strangers(marks, enrolments)
    existing = {
        row.enrolment_id: row
        for row in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    changed = 0
    for enrolment_id, status in marks.items():
        status = AttendanceStatus(status)
        row = existing.get(enrolment_id)
        if row is None:
            row = Attendance(session_id=session.id, enrolment_id=enrolment_id)
            db.session.add(row)
        elif row.status == status:
            continue
        row.status = status
        row.marked_by_id = actor.id
        row.marked_at = now
        changed += 1
    db.session.flush()
    return changed


# --- Results and certificates -------------------------------------------------------------


class Result(StrEnum):
    PASSED = "passed"
    DISTINCTION = "distinction"  # passed with distinction
    FAILED = "failed"
    NO_SHOW = "no_show"


# Each result as the enrolment stores it: a status and the distinction flag.
RESULT_STATUS = {
    Result.PASSED: (EnrolmentStatus.COMPLETED, False),
    Result.DISTINCTION: (EnrolmentStatus.COMPLETED, True),
    Result.FAILED: (EnrolmentStatus.FAILED, False),
    Result.NO_SHOW: (EnrolmentStatus.NO_SHOW, False),
}


def result_of(enrolment: Enrolment) -> Result | None:
    """The recorded result, or None while the trainee is only confirmed."""
    if enrolment.status == EnrolmentStatus.COMPLETED:
        return Result.DISTINCTION if enrolment.distinction else Result.PASSED
    if enrolment.status == EnrolmentStatus.FAILED:
        return Result.FAILED
    if enrolment.status == EnrolmentStatus.NO_SHOW:
        return Result.NO_SHOW
    return None


def results_open(offering: Offering, now: datetime | None = None) -> bool:
    """Results are recorded once the offering has started, and corrected any time after."""
    return offering.status != OfferingStatus.CANCELLED and offering.has_started(now or utcnow())


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def certificate_expiry(offering: Offering) -> date | None:
    """The last day the qualification is valid: the offering's last day plus the
    course's validity in years; None when it does not lapse."""
    years = offering.course.qualification_valid_years
    return add_years(offering.ends_on, years) if years else None


def new_certificate_code() -> str:
    """A fresh random code that no certificate has yet."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))
        taken = db.session.scalar(select(Certificate.id).where(Certificate.code == code))
        if taken is None:
            return code


def normalise_code(text: str) -> str | None:
    """A code as people type it (any case, with dashes or spaces) as stored, or None
    when it cannot be one."""
    code = "".join((text or "").split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def format_code(code: str) -> str:
    """``ABCD-EFGH-JKLM-NPQR``: easier to read out and type from paper."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def _settle_certificate(
    enrolment: Enrolment, certificate: Certificate | None, now: datetime
) -> Certificate | None:
    """Issue the certificate of a pass (or reinstate it, when a correction had revoked
    it); revoke it when the result is corrected to anything else."""
    if enrolment.status == EnrolmentStatus.COMPLETED:
        if certificate is None:
            certificate = Certificate(
                enrolment=enrolment,
                code=new_certificate_code(),
                issued_at=now,
                expires_on=certificate_expiry(enrolment.offering),
            )
            db.session.add(certificate)
        elif certificate.revoked_at is not None:
            # The same code again: a paper copy checked meanwhile said "revoked",
            # and now rightly says "valid".
            certificate.revoked_at = None
            certificate.revoked_reason = ""
            certificate.issued_at = now
            certificate.expires_on = certificate_expiry(enrolment.offering)
    elif certificate is not None and certificate.revoked_at is None:
        certificate.revoked_at = now
        # For the record only (no page shows it), so not translated.
        certificate.revoked_reason = f"result corrected to {enrolment.status.value}"
    return certificate


def record_results(
    actor: User,
    offering_id: int,
    results: Mapping[int, Result],
    now: datetime | None = None,
) -> list[Enrolment]:
    """A coordinator records (or corrects) the results of the class at once:
    ``results`` maps enrolment ids to a result; trainees left out keep theirs.

    Each change is an EnrolmentEvent by the actor; a pass issues the certificate, a
    correction to failed or no-show revokes it. Returns the enrolments that changed.
    """
    _require_coordinator(actor)
    offering = _locked_offering(offering_id)
    now = now or utcnow()  # after the lock: decisions in lock order
    actor = db.session.get(User, actor.id)
    if not offering.has_started(now):
        raise RecordsError(
            _(
                "Results can be recorded once the offering has started, on %(day)s.",
                day=_day(offering.starts_on),
            )
        )
    enrolments = {enrolment.id: enrolment for enrolment in class_list(offering.id)}
    _strangers(results, enrolments)
    certificates = {
        certificate.enrolment_id: certificate
        for certificate in db.session.scalars(
            select(Certificate).where(Certificate.enrolment_id.in_(list(results)))
        )
    }
    changed = []
    for enrolment_id, result in results.items():
        result = Result(result)
        enrolment = enrolments[enrolment_id]
        if result_of(enrolment) == result:
            continue
        status, distinction = RESULT_STATUS[result]
        record_decision(enrolment, status, f"result_{result.value}", actor, now=now)
        enrolment.distinction = distinction
        enrolment.result_recorded_at = now
        _settle_certificate(enrolment, certificates.get(enrolment_id), now)
        changed.append(enrolment)
    db.session.flush()
    return changed


class CertificateState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


def local_date(offering: Offering, moment: datetime | None = None) -> date:
    """The date of ``moment`` (default: now) where the offering took place: its dates
    are dates there."""
    return (moment or utcnow()).astimezone(ZoneInfo(offering.timezone)).date()


def certificate_state(certificate: Certificate, now: datetime | None = None) -> CertificateState:
    enrolment = certificate.enrolment
    if certificate.revoked_at is not None or enrolment.status != EnrolmentStatus.COMPLETED:
        return CertificateState.REVOKED
    expires_on = certificate.expires_on
    if expires_on is not None and local_date(enrolment.offering, now) > expires_on:
        return CertificateState.EXPIRED
    return CertificateState.VALID


@dataclass(frozen=True)
class Verification:
    """What the public verification page may show: nothing personal beyond the
    holder's name."""

    code: str
    state: CertificateState
    holder: str
    course_code: str
    course_title: str
    starts_on: date
    ends_on: date
    result: Result | None
    expires_on: date | None
    revoked_on: date | None


def find_certificate(code: str) -> Certificate | None:
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.code == normalised)
        .options(
            joinedload(Certificate.enrolment).joinedload(Enrolment.user),
            joinedload(Certificate.enrolment)
            .joinedload(Enrolment.offering)
            .joinedload(Offering.course),
        )
    )


def verify(code: str, now: datetime | None = None) -> Verification | None:
    """Whether ``code`` belongs to a genuine certificate and whether it holds today;
    None for a code no certificate has."""
    certificate = find_certificate(code)
    if certificate is None:
        return None
    enrolment = certificate.enrolment
    offering = enrolment.offering
    state = certificate_state(certificate, now)
    revoked_at = certificate.revoked_at or (
        enrolment.result_recorded_at if state == CertificateState.REVOKED else None
    )
    return Verification(
        code=certificate.code,
        state=state,
        holder=enrolment.user.name,
        course_code=offering.course.code,
        course_title=offering.course.title,
        starts_on=offering.starts_on,
        ends_on=offering.ends_on,
        # A revoked certificate says nothing about the result that replaced it.
        result=None if state == CertificateState.REVOKED else result_of(enrolment),
        expires_on=certificate.expires_on,
        revoked_on=local_date(offering, revoked_at) if revoked_at else None,
    )


def completions(user_id: int) -> list[tuple[Enrolment, Certificate | None]]:
    """A person's completed courses, latest first, each with its certificate."""
    rows = db.session.execute(
        select(Enrolment, Certificate)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .outerjoin(Certificate, Certificate.enrolment_id == Enrolment.id)
        .where(Enrolment.user_id == user_id, Enrolment.status == EnrolmentStatus.COMPLETED)
        .options(joinedload(Enrolment.offering).joinedload(Offering.course))
        .order_by(Offering.ends_on.desc(), Enrolment.id.desc())
    )
    return [(enrolment, certificate) for enrolment, certificate in rows]


# --- Trainers from the training of trainers -------------------------------------------------


def tot_graduations(user_id: int, before: date | None = None) -> list[Enrolment]:
    """The person's completed trainings of trainers, latest first; with ``before``,
    only those that ended before that day."""
    statement = (
        select(Enrolment)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .where(
            Enrolment.user_id == user_id,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Course.level == Level.TOT,
        )
        .options(joinedload(Enrolment.offering).joinedload(Offering.course))
        .order_by(Offering.ends_on.desc(), Enrolment.id.desc())
    )
    if before is not None:
        statement = statement.where(Offering.ends_on < before)
    return list(db.session.scalars(statement))


def eligible_trainers(offering: Offering) -> list[tuple[User, Enrolment]]:
    """Graduates of a training of trainers that ended before ``offering`` starts, who
    are not its trainees, each with their latest such graduation; by name."""
    ranked = (
        select(
            Enrolment.id.label("enrolment_id"),
            func.row_number()
            .over(
                partition_by=Enrolment.user_id,
                order_by=(Offering.ends_on.desc(), Enrolment.id.desc()),
            )
            .label("rank"),
        )
        .join(Offering, Offering.id == Enrolment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Course.level == Level.TOT,
            Offering.ends_on < offering.starts_on,
        )
        .subquery()
    )
    trainees = select(Enrolment.user_id).where(
        Enrolment.offering_id == offering.id, Enrolment.status.in_(CLASS_STATUSES)
    )
    graduations = db.session.scalars(
        select(Enrolment)
        .join(ranked, ranked.c.enrolment_id == Enrolment.id)
        .join(User, User.id == Enrolment.user_id)
        .where(ranked.c.rank == 1, User.active.is_(True), Enrolment.user_id.not_in(trainees))
        .options(
            joinedload(Enrolment.user),
            joinedload(Enrolment.offering).joinedload(Offering.course),
        )
        .order_by(User.name, User.id)
    )
    return [(graduation.user, graduation) for graduation in graduations]


def trainer_assignments(offering_id: int) -> list[TrainerAssignment]:
    return list(
        db.session.scalars(
            select(TrainerAssignment)
            .join(User, User.id == TrainerAssignment.user_id)
            .where(TrainerAssignment.offering_id == offering_id)
            .options(
                joinedload(TrainerAssignment.user),
                joinedload(TrainerAssignment.qualifying_enrolment)
                .joinedload(Enrolment.offering)
                .joinedload(Offering.course),
            )
            .order_by(User.name, User.id)
        )
    )


def assign_trainer(
    actor: User, offering_id: int, user_id: int, role: TrainerRole
) -> TrainerAssignment:
    """A coordinator records a graduate of a training of trainers as assistant trainer
    or co-trainer of a later offering (one starting after the ToT ended). Assigning
    the same person again changes their role."""
    _require_coordinator(actor)
    offering = _locked_offering(offering_id)
    person = db.session.get(User, user_id)
    if person is None:
        raise LookupError(user_id)
    role = TrainerRole(role)
    if not tot_graduations(person.id):
        raise InvalidValues(
            [
                Problem(
                    "person",
                    _("%(name)s has not completed a training of trainers.", name=person.name),
                )
            ]
        )
    qualifying = tot_graduations(person.id, before=offering.starts_on)
    if not qualifying:
        raise InvalidValues(
            [
                Problem(
                    "person",
                    _(
                        "%(name)s's training of trainers ended after this offering starts: "
                        "they can train in later offerings.",
                        name=person.name,
                    ),
                )
            ]
        )
    is_trainee = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.offering_id == offering.id,
            Enrolment.user_id == person.id,
            Enrolment.status.in_(CLASS_STATUSES),
        )
    )
    if is_trainee is not None:
        raise InvalidValues(
            [Problem("person", _("%(name)s is a trainee in this offering.", name=person.name))]
        )
    assignment = db.session.get(TrainerAssignment, (offering.id, person.id))
    if assignment is None:
        assignment = TrainerAssignment(offering=offering, user=person)
        db.session.add(assignment)
    assignment.role = role
    assignment.qualifying_enrolment = qualifying[0]
    db.session.flush()
    return assignment


def remove_trainer(actor: User, offering_id: int, user_id: int) -> User:
    """Take a trainer off an offering; returns the person."""
    _require_coordinator(actor)
    offering = lock_offering(offering_id)
    if offering is None:
        raise LookupError(offering_id)
    assignment = db.session.get(TrainerAssignment, (offering_id, user_id))
    if assignment is None:
        raise LookupError(user_id)
    person = assignment.user
    db.session.delete(assignment)
    db.session.flush()
    return person


@dataclass(frozen=True)
class TrainedBy:
    """One trainer of a country in one offering, and the people they trained there."""

    trainer: User
    role: TrainerRole
    offering: Offering
    trainees: list[Enrolment] = field(default_factory=list)


def trainer_country():
    """The country a trainer stands for: the one they represented in the training of
    trainers that qualifies them (their profile's, when the enrolment had none)."""
    return func.coalesce(Enrolment.country_code, User.country_code)


def trained_by(country_code: str) -> list[TrainedBy]:
    """Who the country's graduates of trainings of trainers trained: one entry per
    trainer and offering, earliest offering first. Trainees are those who took part
    (confirmed, completed or failed; not no-shows)."""
    assignments = list(
        db.session.scalars(
            select(TrainerAssignment)
            .join(Enrolment, Enrolment.id == TrainerAssignment.qualifying_enrolment_id)
            .join(User, User.id == TrainerAssignment.user_id)
            .join(Offering, Offering.id == TrainerAssignment.offering_id)
            .where(trainer_country() == country_code)
            .options(
                joinedload(TrainerAssignment.user),
                joinedload(TrainerAssignment.offering).joinedload(Offering.course),
            )
            .order_by(Offering.starts_on, Offering.id, User.name, User.id)
        )
    )
    offering_ids = sorted({assignment.offering_id for assignment in assignments})
    trainees: dict[int, list[Enrolment]] = defaultdict(list)
    if offering_ids:
        for enrolment in db.session.scalars(
            select(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .where(
                Enrolment.offering_id.in_(offering_ids),
                Enrolment.status.in_(TRAINED_STATUSES),
            )
            .options(joinedload(Enrolment.user))
            .order_by(User.name, Enrolment.id)
        ):
            trainees[enrolment.offering_id].append(enrolment)
    return [
        TrainedBy(
            trainer=assignment.user,
            role=assignment.role,
            offering=assignment.offering,
            trainees=trainees[assignment.offering_id],
        )
        for assignment in assignments
    ]


def trainer_countries() -> list[str]:
    """Codes of the countries that have trainers recorded, sorted."""
    return sorted(
        code
        for code in db.session.scalars(
            select(trainer_country())
            .select_from(TrainerAssignment)
            .join(Enrolment, Enrolment.id == TrainerAssignment.qualifying_enrolment_id)
            .join(User, User.id == TrainerAssignment.user_id)
            .distinct()
        )
        if code
    )


# --- End-of-course feedback -----------------------------------------------------------------


def feedback_window(offering: Offering) -> tuple[datetime, datetime]:
    """From the start of the offering's last day until the end of the 14th day after
    it, in the offering's zone: trainees can answer on the last day of the course."""
    opens_at = offering.local_midnight(offering.ends_on)
    closes_at = offering.local_midnight(offering.ends_on + timedelta(days=FEEDBACK_DAYS + 1))
    return opens_at, closes_at


def feedback_open(offering: Offering, now: datetime | None = None) -> bool:
    opens_at, closes_at = feedback_window(offering)
    return opens_at <= (now or utcnow()) < closes_at


def feedback_enrolment(user_id: int, offering_id: int) -> Enrolment | None:
    """The person's enrolment that lets them give feedback on the offering."""
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == user_id,
            Enrolment.offering_id == offering_id,
            Enrolment.status.in_(FEEDBACK_STATUSES),
        )
    )


def feedback_of(enrolment_id: int) -> Feedback | None:
    return db.session.scalar(select(Feedback).where(Feedback.enrolment_id == enrolment_id))


def submit_feedback(
    user: User, offering_id: int, rating: int, comments: str = "", now: datetime | None = None
) -> Feedback:
    """A trainee's feedback (rating 1-5 and comments), one per enrolment; sending it
    again while the window is open replaces it."""
    offering = db.session.get(Offering, offering_id)
    if offering is None:
        raise LookupError(offering_id)
    enrolment = feedback_enrolment(user.id, offering.id)
    if enrolment is None:
        raise NotAllowed(_("Only the offering's trainees can give feedback on it."))
    now = now or utcnow()
    opens_at, closes_at = feedback_window(offering)
    if now < opens_at:
        raise RecordsError(
            _("Feedback opens on the last day of the course, %(day)s.", day=_day(offering.ends_on))
        )
    if now >= closes_at:
        last_day = offering.ends_on + timedelta(days=FEEDBACK_DAYS)
        raise RecordsError(_("Feedback closed after %(day)s.", day=_day(last_day)))
    comments = (comments or "").strip()
    problems = []
    if rating not in RATINGS:
        problems.append(Problem("rating", _("Choose a rating from 1 to 5.")))
    if len(comments) > COMMENTS_MAX:
        problems.append(Problem("comments", _("Use at most %(max)d characters.", max=COMMENTS_MAX)))
    if problems:
        raise InvalidValues(problems)
    feedback = feedback_of(enrolment.id)
    if feedback is None:
        feedback = Feedback(enrolment_id=enrolment.id, rating=rating, comments=comments)
        try:
            # Inside a savepoint: a double submit that raced past the read above
            # must not spoil the transaction; it then updates the other one.
            with db.session.begin_nested():
                db.session.add(feedback)
        except IntegrityError:
            feedback = feedback_of(enrolment.id)
    feedback.rating = rating
    feedback.comments = comments
    db.session.flush()
    return feedback


@dataclass(frozen=True)
class FeedbackSummary:
    """Feedback in aggregate: never who said what."""

    count: int
    mean: float | None
    distribution: dict[int, int]
    comments: list[str]


def feedback_summary(offering_id: int) -> FeedbackSummary:
    """Count, mean rating, how many gave each rating, and the comments, sorted
    alphabetically so their order does not tell who wrote them (the order of
    submission could)."""
    rows = db.session.execute(
        select(Feedback.rating, Feedback.comments)
        .join(Enrolment, Enrolment.id == Feedback.enrolment_id)
        .where(Enrolment.offering_id == offering_id)
    ).all()
    distribution = Counter(rating for rating, _comments in rows)
    count = len(rows)
    return FeedbackSummary(
        count=count,
        mean=sum(rating for rating, _comments in rows) / count if count else None,
        distribution={rating: distribution[rating] for rating in RATINGS},
        comments=sorted(
            (text.strip() for _rating, text in rows if text and text.strip()),
            key=lambda text: (text.casefold(), text),
        ),
    )
