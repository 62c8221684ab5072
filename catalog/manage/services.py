"""Authoring rules for the catalogue: courses, offerings, their people and partners.

Views, tests and (later) CLI commands call these functions. They change the
session and flush, but never commit: the caller owns the transaction, so one
request is one transaction and a failure leaves nothing half-written.

Rules that can be checked before writing raise ``InvalidValues`` with every
problem found, each tied to the form field it belongs to; status changes that
are not allowed raise ``StatusError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from catalog.catalogue.rules import Problem, format_quotas, offering_problems, parse_quotas
from catalog.extensions import db
from catalog.models import (
    Country,
    Course,
    CourseStatus,
    CourseTranslation,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    OfferingPartner,
    OfferingQuota,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Programme,
    Role,
    SessionStatus,
    TrainingSession,
    User,
    UserRole,
    course_prerequisites,
)
from catalog.models.course import course_search_text
from catalog.notifications import notices
from catalog.timeutil import host_zone

# Codes appear in addresses (/courses/<code>): letters, digits, dot, dash, underscore.
COURSE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")
# Bounds well past any real course, and within the integer columns that hold them.
MAX_DURATION_DAYS = 366
MAX_VALIDITY_YEARS = 100


class ManageError(Exception):
    """Something a coordinator asked for that the rules do not allow."""


class InvalidValues(ManageError):
    """Values that cannot be saved; ``problems`` says what is wrong, field by field."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class StatusError(ManageError):
    """A status change that is not allowed from the current status."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Courses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TranslatedText:
    """A course's words in another language than it is written in; empty fields fall
    back to the original, and all empty means no translation."""

    language: str
    title: str = ""
    summary: str = ""
    description: str = ""

    @property
    def empty(self) -> bool:
        return not (self.title.strip() or self.summary.strip() or self.description.strip())


@dataclass
class CourseValues:
    """What a coordinator can set on a course. The status is not among them: it
    changes only through ``set_course_status``."""

    code: str
    title: str
    discipline: Discipline
    level: Level
    programme: Programme = Programme.TPP
    summary: str = ""
    description: str = ""
    duration_days: int | None = None
    qualification_valid_years: int | None = None
    prerequisite_ids: list[int] = field(default_factory=list)
    # The language title, summary and description are written in; None keeps it.
    content_language: str | None = None
    # None leaves the course's translations as they are.
    translation: TranslatedText | None = None


def normalise_course_code(code: str) -> str:
    return (code or "").strip().upper()


def course_code_taken(code: str, *, except_id: int | None = None) -> bool:
    """Whether another course already uses ``code`` (compared without case)."""
    statement = select(Course.id).where(func.upper(Course.code) == normalise_course_code(code))
    if except_id is not None:
        statement = statement.where(Course.id != except_id)
    return db.session.scalar(statement.limit(1)) is not None


def _prerequisite_graph() -> dict[int, set[int]]:
    """Course id -> the ids of its prerequisites, for every course."""
    link = course_prerequisites
    graph: dict[int, set[int]] = {}
    for owner, required in db.session.execute(select(link.c.course_id, link.c.prerequisite_id)):
        graph.setdefault(owner, set()).add(required)
    return graph


def _closes_a_loop(course_id: int, prerequisite_ids: Iterable[int]) -> bool:
    """Whether a chosen prerequisite already requires ``course_id``, at any depth."""
    graph = _prerequisite_graph()
    seen: set[int] = set()
    waiting = list(prerequisite_ids)
    while waiting:
        current = waiting.pop()
        if current == course_id:
            return True
        if current in seen:
            continue
        seen.add(current)
        waiting.extend(graph.get(current, ()))
    return False


def course_problems(values: CourseValues, course: Course | None = None) -> list[Problem]:
    """Everything wrong with ``values`` for a new course, or for ``course`` when given."""
    problems = []
    code = normalise_course_code(values.code)
    course_id = course.id if course is not None else None
    if not code:
        problems.append(Problem("code", _("Enter a course code.")))
    elif not COURSE_CODE.match(code):
        problems.append(
            Problem(
                "code",
                _("Use only letters, digits, dots, dashes and underscores, e.g. TPP-ENG-HEE-B."),
            )
        )
    elif course_code_taken(code, except_id=course_id):
        problems.append(
            Problem("code", _("Another course already has the code %(code)s.", code=code))
        )
    if not (values.title or "").strip():
        problems.append(Problem("title", _("Enter a title.")))
    if values.duration_days is not None and values.duration_days < 1:
        problems.append(Problem("duration_days", _("A course lasts at least one day.")))
    elif values.duration_days is not None and values.duration_days > MAX_DURATION_DAYS:
        problems.append(
            Problem(
                "duration_days",
                _("A course lasts at most %(days)d days.", days=MAX_DURATION_DAYS),
            )
        )
    if values.qualification_valid_years is not None and values.qualification_valid_years < 1:
        problems.append(
            Problem("qualification_valid_years", _("A qualification lasts at least one year."))
        )
    elif (values.qualification_valid_years or 0) > MAX_VALIDITY_YEARS:
        problems.append(
            Problem(
                "qualification_valid_years",
                _("Enter at most %(years)d years.", years=MAX_VALIDITY_YEARS),
            )
        )

    wanted = set(values.prerequisite_ids)
    if course_id is not None and course_id in wanted:
        problems.append(Problem("prerequisites", _("A course cannot be its own prerequisite.")))
    elif wanted:
        found = set(db.session.scalars(select(Course.id).where(Course.id.in_(wanted))))
        if found != wanted:
            problems.append(Problem("prerequisites", _("Choose prerequisites from the list.")))
        elif course_id is not None and _closes_a_loop(course_id, wanted):
            problems.append(
                Problem(
                    "prerequisites",
                    _("A chosen course already requires this one; that would be a loop."),
                )
            )
    return problems


def _apply_course_values(course: Course, values: CourseValues) -> None:
    course.code = normalise_course_code(values.code)
    course.title = values.title.strip()
    course.discipline = values.discipline
    course.level = values.level
    course.programme = values.programme
    course.summary = (values.summary or "").strip()
    course.description = values.description or ""
    course.duration_days = values.duration_days
    course.qualification_valid_years = values.qualification_valid_years
    ids = set(values.prerequisite_ids)
    course.prerequisites = (
        list(db.session.scalars(select(Course).where(Course.id.in_(ids)))) if ids else []
    )
    if values.content_language is not None:
        course.content_language = values.content_language
    if values.translation is not None:
        _apply_translation(course, values.translation)
    # Search covers the translation too; a change to it alone leaves the course row
    # untouched, which would not run the flush hook that keeps this up to date.
    course.search_text = course_search_text(course)


def _apply_translation(course: Course, text: TranslatedText) -> None:
    """Store ``text`` as the course's translation into its language (none when empty).
    A translation into the course's own language would never be shown: dropped."""
    language = course.content_language or current_app.config["BABEL_DEFAULT_LOCALE"]
    kept = [t for t in course.translations if t.language not in (language, text.language)]
    if not text.empty and text.language != language:
        translation = next(
            (t for t in course.translations if t.language == text.language), None
        ) or CourseTranslation(language=text.language)
        translation.title = text.title.strip()
        translation.summary = text.summary.strip()
        translation.description = text.description
        kept.append(translation)
    course.translations = kept


def create_course(values: CourseValues) -> Course:
    """A new course, in draft until it is published."""
    problems = course_problems(values)
    if problems:
        raise InvalidValues(problems)
    course = Course(status=CourseStatus.DRAFT)
    _apply_course_values(course, values)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course: Course, values: CourseValues) -> Course:
    """Change what the catalogue says about ``course``; its status is left alone."""
    problems = course_problems(values, course)
    if problems:
        raise InvalidValues(problems)
    _apply_course_values(course, values)
    db.session.flush()
    return course


# For each status, the statuses a course may reach it from: published from draft
# only; draft from published (unpublish) or cancelled (reinstate); cancelled from
# draft or published.
COURSE_ALLOWED_FROM = {
    CourseStatus.PUBLISHED: {CourseStatus.DRAFT},
    CourseStatus.DRAFT: {CourseStatus.PUBLISHED, CourseStatus.CANCELLED},
    CourseStatus.CANCELLED: {CourseStatus.DRAFT, CourseStatus.PUBLISHED},
}


def set_course_status(
    course: Course, status: CourseStatus, *, now: datetime | None = None
) -> list[Offering]:
    """Publish, unpublish, cancel or reinstate ``course``.

    Cancelling also cancels the course's offerings that have not started yet (see
    ``cancel_offering``); offerings already running or finished keep their status, as
    history. A cancelled course comes back only as a draft ("reinstate"); its
    cancelled offerings stay cancelled. Returns the offerings cancelled with it.
    """
    status = CourseStatus(status)
    if course.status not in COURSE_ALLOWED_FROM[status]:
        raise StatusError(_course_refusal(course.status, status))
    course.status = status
    cancelled = []
    if status == CourseStatus.CANCELLED:
        for offering in course.offerings:
            if offering.status != OfferingStatus.CANCELLED and not has_started(offering, now):
                cancel_offering(offering)
                cancelled.append(offering)
    db.session.flush()
    return cancelled


def unpublish_course(course: Course) -> None:
    """Published -> draft: the course and its offerings leave the public catalogue."""
    if course.status != CourseStatus.PUBLISHED:
        raise StatusError(_("Only a published course can be unpublished."))
    set_course_status(course, CourseStatus.DRAFT)


def reinstate_course(course: Course) -> None:
    """Cancelled -> draft; its cancelled offerings stay cancelled."""
    if course.status != CourseStatus.CANCELLED:
        raise StatusError(_("Only a cancelled course can be reinstated."))
    set_course_status(course, CourseStatus.DRAFT)


def _course_refusal(current: CourseStatus, wanted: CourseStatus) -> str:
    if current == wanted:
        return {
            CourseStatus.DRAFT: _("This course is already a draft."),
            CourseStatus.PUBLISHED: _("This course is already published."),
            CourseStatus.CANCELLED: _("This course is already cancelled."),
        }[wanted]
    # The only other refusal: publishing a cancelled course without reinstating it.
    return _("A cancelled course must be reinstated (as a draft) before it is published.")


# --- Offerings -------------------------------------------------------------------------


@dataclass
class OfferingValues:
    """What a coordinator can set on an offering (never its status).

    ``timezone`` may be empty: the host country's main zone is then used.
    ``quotas`` is the text a coordinator types, such as ``KE:4;UG:4;RW:2``.
    """

    course_id: int
    delivery_mode: DeliveryMode
    starts_on: date
    ends_on: date
    enrolment_opens_on: date
    enrolment_closes_on: date
    capacity: int
    country_code: str | None = None
    timezone: str = ""
    venue: str = ""
    language: str = "en"
    interpretation: str = ""
    quotas: str = ""
    health_requirements: str = ""
    travel_requirements: str = ""


@dataclass(frozen=True)
class _CheckedOffering:
    course: Course
    country_code: str | None
    timezone: str
    quotas: dict[str, int]


def _check_offering(values: OfferingValues, offering: Offering | None = None) -> _CheckedOffering:
    """Normalise ``values`` and apply every rule; raise InvalidValues listing all problems."""
    problems: list[Problem] = []
    course = db.session.get(Course, values.course_id) if values.course_id else None
    if course is None:
        problems.append(Problem("course_id", _("Choose a course from the list.")))
    elif course.status == CourseStatus.CANCELLED and (
        offering is None or offering.course_id != course.id
    ):
        problems.append(
            Problem("course_id", _("This course is cancelled; reinstate it to add offerings."))
        )
    country_code = (values.country_code or "").strip().upper() or None
    timezone = (values.timezone or "").strip() or host_zone(country_code) or ""
    if not timezone:
        problems.append(
            Problem("timezone", _("Choose a time zone: there is no host country to take it from."))
        )
    if values.language not in current_app.config["LANGUAGES"]:
        problems.append(Problem("language", _("Choose a language from the list.")))
    try:
        quotas = parse_quotas(values.quotas)
    except ValueError as error:
        problems.append(Problem("quotas", str(error)))
        quotas = {}
    problems += offering_problems(
        delivery_mode=values.delivery_mode,
        country_code=country_code,
        # A missing zone is reported above; do not report it twice.
        timezone=timezone or "UTC",
        starts_on=values.starts_on,
        ends_on=values.ends_on,
        enrolment_opens_on=values.enrolment_opens_on,
        enrolment_closes_on=values.enrolment_closes_on,
        capacity=values.capacity,
        quotas=quotas,
    )
    if problems:
        raise InvalidValues(problems)
    return _CheckedOffering(course, country_code, timezone, quotas)


def offering_values_problems(
    values: OfferingValues, offering: Offering | None = None
) -> list[Problem]:
    """Everything wrong with ``values`` for a new offering, or for ``offering``."""
    try:
        _check_offering(values, offering)
    except InvalidValues as error:
        return error.problems
    return []


def _apply_offering_values(
    offering: Offering, values: OfferingValues, checked: _CheckedOffering
) -> None:
    offering.course = checked.course
    offering.delivery_mode = values.delivery_mode
    offering.venue = (values.venue or "").strip()
    offering.country_code = checked.country_code
    offering.timezone = checked.timezone
    offering.language = values.language
    offering.interpretation = (values.interpretation or "").strip()
    offering.starts_on = values.starts_on
    offering.ends_on = values.ends_on
    offering.enrolment_opens_on = values.enrolment_opens_on
    offering.enrolment_closes_on = values.enrolment_closes_on
    offering.capacity = values.capacity
    offering.health_requirements = (values.health_requirements or "").strip()
    offering.travel_requirements = (values.travel_requirements or "").strip()
    _set_quotas(offering, checked.quotas)


def _set_quotas(offering: Offering, quotas: dict[str, int]) -> None:
    """Make the quota rows match ``quotas``, changing only what differs (rows are keyed
    by offering and country, so deleting and re-adding one would collide in a flush)."""
    existing = {quota.country_code: quota for quota in offering.quotas}
    for code, quota in existing.items():
        if code not in quotas:
            offering.quotas.remove(quota)
        else:
            quota.seats = quotas[code]
    for code, seats in sorted(quotas.items()):
        if code not in existing:
            offering.quotas.append(OfferingQuota(country_code=code, seats=seats))


def create_offering(values: OfferingValues) -> Offering:
    """A new offering, in draft until it is published."""
    checked = _check_offering(values)
    offering = Offering(status=OfferingStatus.DRAFT)
    _apply_offering_values(offering, values, checked)
    db.session.add(offering)
    db.session.flush()
    return offering


def update_offering(offering: Offering, values: OfferingValues) -> Offering:
    """Change ``offering``'s details; its status, sessions, people and partners stay."""
    checked = _check_offering(values, offering)
    _apply_offering_values(offering, values, checked)
    db.session.flush()
    return offering


def quotas_text(offering: Offering) -> str:
    """The quotas as a coordinator types them, e.g. ``KE:4;UG:4``."""
    return format_quotas({quota.country_code: quota.seats for quota in offering.quotas})


def has_started(offering: Offering, now: datetime | None = None) -> bool:
    """Whether the offering's first day has begun in its own zone."""
    now = now or datetime.now(UTC)
    return now.astimezone(ZoneInfo(offering.timezone)).date() >= offering.starts_on


def sessions_outside_dates(offering: Offering) -> list[TrainingSession]:
    """Scheduled sessions that fall outside the offering's dates (after dates moved)."""
    zone = ZoneInfo(offering.timezone)
    return [
        session
        for session in offering.sessions
        if session.status == SessionStatus.SCHEDULED
        and not (
            offering.starts_on <= session.starts_at.astimezone(zone).date() <= offering.ends_on
        )
    ]


def publish_offering(offering: Offering) -> None:
    """Draft -> published. A cancelled offering must be reinstated first."""
    if offering.status == OfferingStatus.PUBLISHED:
        raise StatusError(_("This offering is already published."))
    if offering.status == OfferingStatus.CANCELLED:
        raise StatusError(
            _("A cancelled offering must be reinstated (as a draft) before it is published.")
        )
    if offering.course.status == CourseStatus.CANCELLED:
        raise StatusError(_("The course of this offering is cancelled; reinstate it first."))
    offering.status = OfferingStatus.PUBLISHED
    db.session.flush()


def unpublish_offering(offering: Offering) -> None:
    """Published -> draft: the offering leaves the public catalogue, nothing else changes."""
    if offering.status != OfferingStatus.PUBLISHED:
        raise StatusError(_("Only a published offering can be unpublished."))
    offering.status = OfferingStatus.DRAFT
    db.session.flush()


def cancel_offering(offering: Offering) -> int:
    """Cancel ``offering``, keeping all its data, and cancel its sessions.

    Each session that was still scheduled becomes cancelled and its ``revision``
    rises by one, so calendar feeds send the change. Sessions already cancelled are
    left as they are: nothing about them changes. Returns how many were cancelled.
    """
    if offering.status == OfferingStatus.CANCELLED:
        raise StatusError(_("This offering is already cancelled."))
    was_public = offering.status == OfferingStatus.PUBLISHED
    offering.status = OfferingStatus.CANCELLED
    count = 0
    for session in offering.sessions:
        if session.status != SessionStatus.CANCELLED:
            session.status = SessionStatus.CANCELLED
            session.revision += 1
            count += 1
    db.session.flush()
    if was_public:
        notices.offering_cancelled(offering, notices.people_with_live_enrolments(offering.id))
    return count


def reinstate_offering(offering: Offering) -> None:
    """Cancelled -> draft. Its sessions stay cancelled: each must be rescheduled on
    purpose, since people were already told they would not take place."""
    if offering.status != OfferingStatus.CANCELLED:
        raise StatusError(_("Only a cancelled offering can be reinstated."))
    if offering.course.status == CourseStatus.CANCELLED:
        raise StatusError(_("The course of this offering is cancelled; reinstate it first."))
    offering.status = OfferingStatus.DRAFT
    db.session.flush()


# --- People and partners -----------------------------------------------------------------


def instructor_query():
    """Active users who hold the instructor role, by name."""
    return (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.INSTRUCTOR, User.active.is_(True))
        .order_by(User.name, User.email)
    )


def set_instructors(offering: Offering, user_ids: Iterable[int]) -> None:
    """Make exactly these users the offering's instructors; each must be an instructor."""
    wanted = set(user_ids)
    users = (
        list(db.session.scalars(instructor_query().where(User.id.in_(wanted)))) if wanted else []
    )
    if len(users) != len(wanted):
        raise InvalidValues(
            [Problem("instructors", _("Choose instructors from the list of instructors."))]
        )
    offering.instructors = users
    db.session.flush()


def set_partners(offering: Offering, assignments: Iterable[tuple[int, PartnerRole]]) -> None:
    """Make exactly these (organisation id, role) pairs the offering's partners.

    An organisation may hold several roles in one offering (a host that also
    provides trainers); roles are recorded per offering because they change over
    the years.
    """
    wanted = {(organisation_id, PartnerRole(role)) for organisation_id, role in assignments}
    ids = {organisation_id for organisation_id, _role in wanted}
    found = set(db.session.scalars(select(Organisation.id).where(Organisation.id.in_(ids))))
    if found != ids:
        raise InvalidValues([Problem("partners", _("Choose organisations from the list."))])
    current = {(partner.organisation_id, partner.role): partner for partner in offering.partners}
    for key, partner in current.items():
        if key not in wanted:
            offering.partners.remove(partner)
    for organisation_id, role in sorted(wanted - current.keys()):
        offering.partners.append(OfferingPartner(organisation_id=organisation_id, role=role))
    db.session.flush()


def organisation_name_taken(name: str) -> bool:
    return (
        db.session.scalar(
            select(Organisation.id).where(func.lower(Organisation.name) == name.strip().lower())
        )
        is not None
    )


def create_organisation(
    *,
    name: str,
    kind: OrganisationKind,
    country_code: str | None = None,
    short_name: str | None = None,
) -> Organisation:
    """A new organisation that offerings can name as a partner."""
    name = (name or "").strip()
    country_code = (country_code or "").strip().upper() or None
    problems = []
    if not name:
        problems.append(Problem("name", _("Enter the organisation's name.")))
    elif organisation_name_taken(name):
        problems.append(Problem("name", _("An organisation with this name already exists.")))
    if country_code and db.session.get(Country, country_code) is None:
        problems.append(
            Problem("country", _("%(code)s is not a known country code.", code=country_code))
        )
    if problems:
        raise InvalidValues(problems)
    organisation = Organisation(
        name=name,
        short_name=(short_name or "").strip() or None,
        kind=OrganisationKind(kind),
        country_code=country_code,
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation
