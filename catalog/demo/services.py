"""Loading the demonstration catalogue: in one transaction, and only once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import zip_longest
from zoneinfo import ZoneInfo

from sqlalchemy import select

from catalog.auth.services import create_user, hash_password
from catalog.demo import data
from catalog.extensions import db
from catalog.geo.services import sync_countries
from catalog.models import (
    Course,
    CourseStatus,
    CourseTranslation,
    DeliveryMode,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Offering,
    OfferingPartner,
    OfferingQuota,
    Organisation,
    Programme,
    Role,
    TrainingSession,
    User,
)

NEW_YORK = "America/New_York"
ROLE_NAMES = {
    Role.ADMIN: "administrator",
    Role.COORDINATOR: "coordinator",
    Role.FOCAL_POINT: "national focal point",
    Role.INSTRUCTOR: "instructor",
    Role.TRAINEE: "trainee",
}


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` did, and the accounts to try the site with."""

    already_loaded: bool
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """Text for the terminal: what was loaded, then every documented account."""
        if self.already_loaded:
            head = "The demo data is already loaded; nothing was added."
        else:
            loaded = ", ".join(f"{number} {what}" for what, number in self.counts.items())
            head = f"Loaded the demo catalogue: {loaded}."
        lines = [head, data.DEMO_NOTICE, "", "Demo accounts (e-mail, password, role):"]
        for account in data.ACCOUNTS:
            role = ROLE_NAMES[account.role]
            lines.append(f"  {account.email:<34} {data.DEMO_PASSWORD}  {role} ({account.country})")
        lines.append(
            f"  and {len(data.MORE_TRAINEES)} more trainees, trainee.<name>@example.org, "
            "with the same password."
        )
        return "\n".join(lines)


def load_demo(today: date | None = None) -> DemoSummary:
    """Load the demonstration catalogue in one transaction, once.

    Offering dates are placed relative to ``today`` (default: today's date in UTC).
    When any demo account or course already exists nothing is written, so a second
    run neither duplicates nor fails. On any error the whole load is rolled back.
    """
    today = today or datetime.now(UTC).date()
    try:
        sync_countries()
        if _already_loaded():
            db.session.rollback()
            return DemoSummary(already_loaded=True)
        counts = _load(today)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return DemoSummary(already_loaded=False, counts=counts)


def next_dst_change(zone: str, after: date) -> date:
    """The first day after ``after`` on which ``zone``'s UTC offset changes."""
    tz = ZoneInfo(zone)

    def noon_offset(day: date) -> timedelta | None:
        # Noon is never skipped or repeated by a change, so it is a safe probe.
        return datetime.combine(day, time(12), tzinfo=tz).utcoffset()

    for days in range(1, 2 * 366):
        day = after + timedelta(days=days)
        if noon_offset(day) != noon_offset(day - timedelta(days=1)):
            return day
    raise ValueError(f"{zone} has no daylight-saving change in the two years after {after}")


def dst_series_dates(today: date, weekday: int) -> tuple[date, date]:
    """First and last ``weekday`` about three weeks either side of New York's next
    daylight-saving change at least a month away (so enrolment can still open)."""
    change = next_dst_change(NEW_YORK, today + timedelta(days=30))
    first = change - timedelta(days=21)
    first += timedelta(days=(weekday - first.weekday()) % 7)
    last = change + timedelta(days=21)
    last -= timedelta(days=(last.weekday() - weekday) % 7)
    return first, last


def course_description(spec: data.CourseSpec) -> str:
    """The Markdown description: overview, what is taught, for whom, what comes first."""
    parts = [
        spec.overview,
        "## What you will learn",
        "\n".join(f"- {topic}" for topic in spec.topics),
        "## Who should attend",
        spec.audience,
    ]
    if spec.prerequisites:
        titles = {course.code: course.title for course in data.COURSES}
        first = " and ".join(f"**{titles[code]}**" for code in spec.prerequisites)
        parts += ["## Before you apply", f"Complete {first} first."]
    parts.append(f"*{data.DEMO_NOTICE}*")
    return "\n\n".join(parts)


def translated_description(spec: data.CourseSpec, french: data.CourseTranslationSpec) -> str:
    """The French description, laid out like ``course_description``; a prerequisite
    without a French title is named by its English one."""
    parts = [
        french.overview,
        "## Ce que vous apprendrez",
        "\n".join(f"- {topic}" for topic in french.topics),
        "## Public visé",
        french.audience,
    ]
    if spec.prerequisites:
        titles = {course.code: course.title for course in data.COURSES}
        titles.update({code: text.title for code, text in data.COURSE_TRANSLATIONS.items()})
        first = " et ".join(f"**{titles[code]}**" for code in spec.prerequisites)
        parts += ["## Avant de vous inscrire", f"Suivez d'abord {first}."]
    parts.append(f"*{data.DEMO_NOTICE_FR}*")
    return "\n\n".join(parts)


def _trainee_email(slug: str) -> str:
    return f"trainee.{slug}@example.org"


def _already_loaded() -> bool:
    """True when any demo account or course exists: loading again would collide."""
    emails = [account.email for account in data.ACCOUNTS]
    emails += [_trainee_email(row[0]) for row in data.MORE_TRAINEES]
    codes = [course.code for course in data.COURSES]
    user = db.session.scalar(select(User.id).where(User.email.in_(emails)).limit(1))
    course = db.session.scalar(select(Course.id).where(Course.code.in_(codes)).limit(1))
    return user is not None or course is not None


def _load(today: date) -> dict[str, int]:
    organisations, new_organisations = _add_organisations()
    users = _add_accounts()
    courses = _add_courses()
    coordinator = users["coordinator@example.org"]
    trainees = [user for user in users.values() if Role.TRAINEE in user.roles]
    sessions = enrolments = 0
    for index, spec in enumerate(data.OFFERINGS):
        offering = _add_offering(spec, today, courses[spec.course], organisations, users)
        if spec.sessions:
            sessions += _add_sessions(offering, spec.sessions)
        # Nobody can have applied before the window opened.
        if offering.enrolment_opens_on <= today:
            # Shifting the start of each cohort mixes who meets whom across offerings.
            people = _cohort_order(spec, trainees, shift=5 * index)
            enrolments += _add_enrolments(offering, spec.cohort, people, coordinator, today)
            if spec.briefing:
                sessions += _add_briefing(offering, today)
    db.session.flush()
    return {
        "courses": len(courses),
        "offerings": len(data.OFFERINGS),
        "sessions": sessions,
        "organisations": new_organisations,
        "accounts": len(users),
        "enrolments": enrolments,
    }


def _add_organisations() -> tuple[dict[str, Organisation], int]:
    """Every demo organisation by short name, and how many were new.

    Organisations are shared reference data: one that already exists under the same
    name (entered by a coordinator, say) is reused rather than duplicated.
    """
    names = [spec.name for spec in data.ORGANISATIONS]
    existing = {
        organisation.name: organisation
        for organisation in db.session.scalars(
            select(Organisation).where(Organisation.name.in_(names))
        )
    }
    by_short_name = {}
    for spec in data.ORGANISATIONS:
        organisation = existing.get(spec.name) or Organisation(
            name=spec.name, short_name=spec.short_name, kind=spec.kind, country_code=spec.country
        )
        db.session.add(organisation)
        by_short_name[spec.short_name] = organisation
    return by_short_name, len(names) - len(existing)


def _add_accounts() -> dict[str, User]:
    users = {}
    for account in data.ACCOUNTS:
        users[account.email] = create_user(
            email=account.email,
            password=data.DEMO_PASSWORD,
            name=account.name,
            roles=(account.role,),
            country_code=account.country,
            language=account.language,
            timezone=data.COUNTRY_ZONES[account.country],
            gender=account.gender,
        )
    # Password hashing is slow on purpose: hash once and share it among the extra
    # trainees, who all have the same demo password anyway.
    shared_hash = hash_password(data.DEMO_PASSWORD)
    for slug, name, country, gender, language in data.MORE_TRAINEES:
        user = User(
            email=_trainee_email(slug),
            name=name,
            password_hash=shared_hash,
            country_code=country,
            gender=gender,
            language=language,
            timezone=data.COUNTRY_ZONES[country],
        )
        user.grant(Role.TRAINEE)
        db.session.add(user)
        users[user.email] = user
    return users


def _add_courses() -> dict[str, Course]:
    courses: dict[str, Course] = {}
    for spec in data.COURSES:  # declared after their prerequisites
        course = Course(
            code=spec.code,
            title=spec.title,
            discipline=spec.discipline,
            level=spec.level,
            programme=Programme.TPP,
            status=CourseStatus.PUBLISHED,
            summary=spec.summary,
            description=course_description(spec),
            duration_days=spec.days,
            prerequisites=[courses[code] for code in spec.prerequisites],
            content_language="en",
        )
        french = data.COURSE_TRANSLATIONS.get(spec.code)
        if french is not None:
            course.translations.append(
                CourseTranslation(
                    language=french.language,
                    title=french.title,
                    summary=french.summary,
                    description=translated_description(spec, french),
                )
            )
        db.session.add(course)
        courses[spec.code] = course
    return courses


def _add_offering(
    spec: data.OfferingSpec,
    today: date,
    course: Course,
    organisations: dict[str, Organisation],
    users: dict[str, User],
) -> Offering:
    if spec.around_dst_change:
        starts_on, ends_on = dst_series_dates(today, spec.sessions.weekdays[0])
    else:
        starts_on = today + timedelta(days=spec.starts_in)
        ends_on = starts_on + timedelta(days=course.duration_days - 1)
    site = data.SITES.get(spec.site)
    offering = Offering(
        course=course,
        status=spec.status,
        delivery_mode=DeliveryMode.IN_PERSON if site else DeliveryMode.REMOTE,
        venue=site.venue if site else "",
        country_code=site.country if site else None,
        timezone=site.timezone if site else spec.host_zone,
        language=spec.language,
        interpretation=spec.interpretation,
        starts_on=starts_on,
        ends_on=ends_on,
        enrolment_opens_on=starts_on - timedelta(days=data.ENROLMENT_OPENS_BEFORE_DAYS),
        enrolment_closes_on=starts_on - timedelta(days=data.ENROLMENT_CLOSES_BEFORE_DAYS),
        capacity=spec.capacity,
        seat_allocation=spec.seat_allocation,
        health_requirements=data.HEALTH_REQUIREMENTS if site else "",
        travel_requirements=site.travel if site else "",
        quotas=[OfferingQuota(country_code=code, seats=seats) for code, seats in spec.quotas],
        partners=[
            OfferingPartner(organisation=organisations[name], role=role)
            for name, role in spec.partners
        ],
        instructors=[users[f"instructor.{name}@example.org"] for name in spec.instructors],
    )
    db.session.add(offering)
    return offering


def _add_sessions(offering: Offering, plan: data.SessionPlan) -> int:
    """Sessions on the plan's weekdays at its local wall time, converted to UTC."""
    zone = ZoneInfo(offering.timezone)
    online = offering.is_online
    link = (
        f"https://meet.example.org/tpp/{offering.course.code.lower()}-{offering.starts_on:%Y%m%d}"
    )
    instructor = offering.instructors[0] if offering.instructors else None
    day, number = offering.starts_on, 0
    while day <= offering.ends_on:
        if day.weekday() in plan.weekdays:
            number += 1
            offering.sessions.append(
                TrainingSession(
                    title=f"{offering.course.title}: {'class' if online else 'day'} {number}",
                    # The wall time is fixed in the session's zone; its UTC time moves
                    # when that zone changes to or from daylight-saving time.
                    starts_at=datetime.combine(day, plan.starts, tzinfo=zone).astimezone(UTC),
                    ends_at=datetime.combine(day, plan.ends, tzinfo=zone).astimezone(UTC),
                    timezone=offering.timezone,
                    location="" if online else offering.venue,
                    online_url=link if online else "",
                    instructor=instructor,
                    revision=0,
                )
            )
        day += timedelta(days=1)
    return number


def _add_briefing(offering: Offering, today: date) -> int:
    """An online briefing tomorrow at 12:00 UTC for the confirmed cohort, so that a
    freshly loaded demo shows the scheduler's 24-hour reminder in the dev mailbox."""
    starts_at = datetime.combine(today + timedelta(days=1), time(12), tzinfo=UTC)
    offering.sessions.append(
        TrainingSession(
            title="Pre-course online briefing",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            timezone=offering.timezone,
            online_url=f"https://meet.example.org/tpp/briefing-{offering.course.code.lower()}",
            notes="Travel, visas and what to bring. Illustrative demo data.",
            instructor=offering.instructors[0] if offering.instructors else None,
            revision=0,
        )
    )
    return 1


def _cohort_order(spec: data.OfferingSpec, trainees: list[User], shift: int) -> list[User]:
    """Eligible trainees in the order seats go to them: each quota country's reserved
    seats first, then a mix of countries."""
    eligible = [
        person
        for person in trainees
        if (person.gender == Gender.FEMALE or not spec.women_only)
        # Every demo trainee reads English; French-taught runs take French speakers.
        and (spec.language == "en" or person.language == spec.language)
    ]
    chosen: list[User] = []
    for country, seats in spec.quotas:
        chosen += [person for person in eligible if person.country_code == country][:seats]
    by_country: dict[str | None, list[User]] = defaultdict(list)
    for person in eligible:
        by_country[person.country_code].append(person)
    mixed = [
        person
        for group in zip_longest(*by_country.values())
        for person in group
        if person is not None
    ]
    if mixed:
        shift %= len(mixed)
        mixed = mixed[shift:] + mixed[:shift]
    # By identity: Flask-Login's UserMixin compares ids, and these have none yet.
    taken = {id(person) for person in chosen}
    return chosen + [person for person in mixed if id(person) not in taken]


def _add_enrolments(
    offering: Offering, cohort: data.Cohort, people: list[User], coordinator: User, today: date
) -> int:
    statuses = (
        [EnrolmentStatus.CONFIRMED] * cohort.confirmed
        + [EnrolmentStatus.WAITLISTED] * cohort.waitlisted
        + [EnrolmentStatus.NOMINATED] * cohort.nominated
        + [EnrolmentStatus.APPLIED] * cohort.applied
    )
    # Mistakes in data.py should fail loudly here, not show an impossible catalogue.
    if cohort.confirmed > offering.capacity:
        raise ValueError(f"{offering.course.code}: more confirmed than seats")
    if len(people) < len(statuses):
        raise ValueError(f"{offering.course.code}: not enough eligible demo trainees")
    decided_at = datetime.combine(today - timedelta(days=1), time(9), tzinfo=UTC)
    for place, (person, status) in enumerate(zip(people, statuses, strict=False)):
        decided = status in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)
        waitlisted = status == EnrolmentStatus.WAITLISTED
        db.session.add(
            Enrolment(
                user=person,
                offering=offering,
                status=status,
                country_code=person.country_code,
                decided_by=coordinator if decided else None,
                decided_at=decided_at if decided else None,
                # A minute apart, so the waiting list has a clear order.
                waitlisted_at=decided_at + timedelta(minutes=place) if waitlisted else None,
            )
        )
    return len(statuses)
