"""A realistic catalogue of 5,000 offerings for the load benchmarks, loaded in bulk.

Courses and offerings go through the ORM in batches (their save hooks fill the
search text and the enrolment window); sessions, people, roles, enrolments and
quotas go in as Core bulk inserts. Three things the benchmarks request are set up
on purpose among the random offerings:

- an offering with 40 sessions, quotas, partners and instructors (its page);
- a trainee confirmed in ten offerings of 50 sessions each (a personal feed of
  500 sessions) with a calendar address;
- the same trainee's password, so the benchmark can log in as them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from catalog.auth.services import hash_password
from catalog.extensions import db
from catalog.feeds.services import issue_token, token_for
from catalog.models import (
    Course,
    CourseStatus,
    CourseTranslation,
    DeliveryMode,
    Discipline,
    Enrolment,
    EnrolmentStatus,
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
    SeatAllocation,
    SessionStatus,
    TrainingSession,
    User,
    UserRole,
    offering_instructors,
)

OFFERINGS = 5_000
TRAINEES = 2_000
PAGE_SESSIONS = 40
FEED_OFFERINGS = 10
FEED_SESSIONS_EACH = 50
PASSWORD = "bench-trainee-password"
FEED_EMAIL = "bench.trainee@example.org"
BATCH = 5_000  # rows per INSERT statement

# (venue, country, zone) of in-person and blended runs.
SITES = [
    ("Nairobi, International Peace Support Training Centre", "KE", "Africa/Nairobi"),
    ("Nairobi, Humanitarian Peace Support School", "KE", "Africa/Nairobi"),
    ("Entebbe, Regional Service Centre", "UG", "Africa/Kampala"),
    ("Kigali, Rwanda Peace Academy", "RW", "Africa/Kigali"),
    ("Hanoi, Viet Nam Peacekeeping Department", "VN", "Asia/Ho_Chi_Minh"),
    ("Sentul, Indonesia Peace and Security Centre", "ID", "Asia/Jakarta"),
    ("Rabat, Centre de formation", "MA", "Africa/Casablanca"),
    ("Accra, Kofi Annan Centre", "GH", "Africa/Accra"),
    ("Bamako, École de maintien de la paix", "ML", "Africa/Bamako"),
    ("New Delhi, Centre for UN Peacekeeping", "IN", "Asia/Kolkata"),
    ("Gotemba, Japan Ground Self-Defense Force", "JP", "Asia/Tokyo"),
    ("Brasília, CCOPAB", "BR", "America/Sao_Paulo"),
]
REMOTE_ZONES = ["UTC", "Europe/Paris", "Africa/Nairobi", "Asia/Tokyo", "America/New_York"]
TRAINEE_COUNTRIES = ["KE", "UG", "RW", "TZ", "VN", "ID", "MA", "GH", "SN", "IN", "BD", "NP"]
TITLES = {
    Discipline.ENGINEERING: [
        "Heavy Engineering Equipment Operator",
        "Heavy Engineering Equipment Maintenance",
        "Field Engineering and Camp Construction",
        "Water Purification Equipment",
        "Horizontal Construction Equipment Supervisor",
        "Génie: équipement lourd et terrassement",
    ],
    Discipline.MEDICAL: [
        "Field Medical Assistant",
        "Combat Lifesaver and Casualty Evacuation",
        "Level 1 Hospital Management",
        "Soins médicaux de terrain",
    ],
    Discipline.C4ISR: [
        "Camp Security and Surveillance Systems",
        "Signals and Field Communications",
        "Geospatial Information for Missions",
        "Systèmes de surveillance des camps",
    ],
    Discipline.OTHER: [
        "Protection of Civilians",
        "Conduct and Discipline",
        "Gender Advisers in Peace Operations",
        "Protection de l'enfance en mission",
    ],
}
SUMMARY = (
    "Prepares uniformed personnel of troop- and police-contributing countries for "
    "{title} in United Nations peace operations, to UN standards."
)
DESCRIPTION = (
    "## What you learn\n\n"
    "- operating and maintaining the equipment safely\n"
    "- planning work in a mission area\n"
    "- reporting through the chain of command\n\n"
    "Trainers come from supporting member states under the **Triangular Partnership "
    "Programme**. Bring your identity documents and medical clearance."
)
SESSION_TITLES = [
    "Opening and safety briefing",
    "Theory: {topic}",
    "Practical exercise: {topic}",
    "Field day",
    "Assessment",
]


@dataclass(frozen=True)
class Seeded:
    """What the benchmarks need to find in the seeded database."""

    courses: int
    offerings: int
    listed: int  # published, not ended: what the catalogue lists
    sessions: int
    trainees: int
    enrolments: int
    page_offering_id: int
    feed_user_email: str
    feed_password: str
    feed_path: str
    feed_sessions: int


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def _courses(rng: random.Random) -> list[Course]:
    courses = []
    for discipline, titles in TITLES.items():
        for number, title in enumerate(titles, 1):
            for level in (Level.BASIC, Level.INTERMEDIATE, Level.ADVANCED, Level.TOT):
                french = title.startswith(("Génie", "Soins", "Systèmes", "Protection de"))
                course = Course(
                    code=f"{discipline.value[:3].upper()}-{number:02d}-{level.value[:3].upper()}",
                    title=f"{title} ({level.value})",
                    discipline=discipline,
                    level=level,
                    programme=Programme.TPP if rng.random() < 0.7 else Programme.OTHER,
                    summary=SUMMARY.format(title=title.lower()),
                    description=DESCRIPTION,
                    duration_days=rng.choice([5, 10, 14, 28, 42]),
                    status=CourseStatus.PUBLISHED,
                    content_language="fr" if french else "en",
                )
                if not french and rng.random() < 0.3:
                    course.translations.append(
                        CourseTranslation(language="fr", title=f"{title} (FR)", summary="Résumé.")
                    )
                courses.append(course)
    db.session.add_all(courses)
    db.session.flush()
    return courses


def _offering(course: Course, rng: random.Random, starts_on: date, **fields) -> Offering:
    mode = fields.pop(
        "delivery_mode",
        rng.choices(
            [DeliveryMode.IN_PERSON, DeliveryMode.REMOTE, DeliveryMode.BLENDED], [60, 25, 15]
        )[0],
    )
    venue, country, zone = rng.choice(SITES)
    if mode == DeliveryMode.REMOTE:
        venue, country, zone = "", None, rng.choice(REMOTE_ZONES)
    length = rng.choice([4, 9, 13, 27, 41])
    status = rng.choices(
        [OfferingStatus.PUBLISHED, OfferingStatus.DRAFT, OfferingStatus.CANCELLED], [90, 5, 5]
    )[0]
    values = {
        "course": course,
        "status": status,
        "delivery_mode": mode,
        "venue": venue,
        "country_code": country,
        "timezone": zone,
        "language": "fr" if rng.random() < 0.3 else "en",
        "starts_on": starts_on,
        "ends_on": starts_on + timedelta(days=length),
        "enrolment_opens_on": starts_on - timedelta(days=90),
        "enrolment_closes_on": starts_on - timedelta(days=14),
        "capacity": rng.randint(12, 30),
        "seat_allocation": (
            SeatAllocation.FIRST_COME if rng.random() < 0.3 else SeatAllocation.NOMINATION
        ),
        "health_requirements": "Medical clearance and vaccinations." if rng.random() < 0.5 else "",
    }
    values.update(fields)
    offering = Offering(**values)
    if rng.random() < 0.3:
        for code in rng.sample(TRAINEE_COUNTRIES, rng.randint(2, 3)):
            offering.quotas.append(OfferingQuota(country_code=code, seats=rng.randint(2, 4)))
    return offering


def _session_rows(offering: Offering, count: int, rng: random.Random, now: datetime) -> list[dict]:
    """Two sessions a day (morning, afternoon) in the offering's zone, from its start."""
    zone = ZoneInfo(offering.timezone)
    topic = offering.course.title.split(" (")[0].lower()
    rows = []
    for n in range(count):
        day = offering.starts_on + timedelta(days=n // 2)
        hour = (9, 0) if n % 2 == 0 else (13, 30)
        start = datetime(day.year, day.month, day.day, *hour, tzinfo=zone).astimezone(UTC)
        rows.append(
            {
                "offering_id": offering.id,
                "title": rng.choice(SESSION_TITLES).format(topic=topic),
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "timezone": offering.timezone,
                "location": f"Room {rng.randint(1, 12)}" if offering.venue else "",
                "online_url": "https://meet.example.org/j/4711" if not offering.venue else "",
                "notes": "Bring your notebook.\nLunch is provided." if n % 3 == 0 else "",
                "status": (
                    SessionStatus.CANCELLED if rng.random() < 0.02 else SessionStatus.SCHEDULED
                ),
                "revision": rng.choice([0, 0, 0, 1, 2]),
                "created_at": now,
                "updated_at": now - timedelta(minutes=rng.randint(1, 100_000)),
            }
        )
    return rows


def _insert(model_or_table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model_or_table), rows[start : start + BATCH])


def _people(rng: random.Random, now: datetime) -> tuple[list[int], int, list[int]]:
    """Trainees (the feed's owner among them) and two instructors; their ids."""
    password_hash = hash_password(PASSWORD)
    rows = [
        {
            "email": f"trainee{n:05d}@example.org",
            "name": f"Trainee {n}",
            "password_hash": password_hash,
            "country_code": rng.choice(TRAINEE_COUNTRIES),
            "language": "fr" if rng.random() < 0.3 else "en",
            "timezone": "Africa/Nairobi",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(TRAINEES)
    ]
    _insert(User, rows)
    owner = User(
        email=FEED_EMAIL,
        name="Wanjiru Bench",
        password_hash=password_hash,
        country_code="KE",
        timezone="Africa/Nairobi",
    )
    owner.grant(Role.TRAINEE)
    instructors = []
    for name in ("Instructor Tanaka", "Instructor Diallo"):
        instructor = User(
            email=f"{name.split()[1].lower()}@example.org",
            name=name,
            password_hash=password_hash,
            country_code="JP",
        )
        instructor.grant(Role.INSTRUCTOR)
        instructors.append(instructor)
    db.session.add_all([owner, *instructors])
    db.session.flush()
    trainee_ids = list(
        db.session.scalars(select(User.id).where(User.email.like("trainee%@example.org")))
    )
    _insert(UserRole, [{"user_id": uid, "role": Role.TRAINEE} for uid in trainee_ids])
    return trainee_ids, owner.id, [i.id for i in instructors]


def _enrolments(
    offerings: list[Offering], trainee_ids: list[int], rng: random.Random, now: datetime
) -> list[dict]:
    """Applicants in four of ten offerings, confirmed within capacity."""
    rows = []
    for offering in offerings:
        if offering.status == OfferingStatus.DRAFT or rng.random() > 0.4:
            continue
        for number, user_id in enumerate(rng.sample(trainee_ids, rng.randint(3, 18))):
            status = rng.choices(
                [
                    EnrolmentStatus.CONFIRMED,
                    EnrolmentStatus.APPLIED,
                    EnrolmentStatus.NOMINATED,
                    EnrolmentStatus.WITHDRAWN,
                ],
                [60, 20, 15, 5],
            )[0]
            if status == EnrolmentStatus.CONFIRMED and number >= offering.capacity:
                status = EnrolmentStatus.WAITLISTED
            rows.append(
                {
                    "user_id": user_id,
                    "offering_id": offering.id,
                    "status": status,
                    "country_code": rng.choice(TRAINEE_COUNTRIES),
                    "waitlisted_at": now if status == EnrolmentStatus.WAITLISTED else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return rows


def seed(rng: random.Random) -> Seeded:
    """Load everything in one transaction (inside an app context); what was made."""
    now = datetime.now(UTC)
    today = now.date()
    courses = _courses(rng)

    # Spread over two years: the last six months (mostly ended) and the next eighteen.
    special = 1 + FEED_OFFERINGS
    offerings = [
        _offering(rng.choice(courses), rng, today + timedelta(days=rng.randint(-180, 540)))
        for _ in range(OFFERINGS - special)
    ]
    page = _offering(
        courses[0],
        rng,
        today + timedelta(days=30),
        status=OfferingStatus.PUBLISHED,
        delivery_mode=DeliveryMode.IN_PERSON,
        venue=SITES[0][0],
        country_code=SITES[0][1],
        timezone=SITES[0][2],
        ends_on=today + timedelta(days=30 + PAGE_SESSIONS // 2),
        enrolment_opens_on=today - timedelta(days=30),
        enrolment_closes_on=today + timedelta(days=16),
        travel_requirements="Valid passport and yellow fever certificate.",
    )
    feed_offerings = [
        _offering(
            rng.choice(courses),
            rng,
            today + timedelta(days=20 + 30 * n),
            status=OfferingStatus.PUBLISHED,
            ends_on=today + timedelta(days=20 + 30 * n + FEED_SESSIONS_EACH // 2),
        )
        for n in range(FEED_OFFERINGS)
    ]
    every = [*offerings, page, *feed_offerings]
    db.session.add_all(every)
    db.session.flush()

    session_rows = []
    for offering in offerings:
        days = (offering.ends_on - offering.starts_on).days + 1
        count = min(rng.choice([3, 5, 5, 8, 10, 10, 15, 20]), 2 * days)
        session_rows += _session_rows(offering, count, rng, now)
    session_rows += _session_rows(page, PAGE_SESSIONS, rng, now)
    for offering in feed_offerings:
        session_rows += _session_rows(offering, FEED_SESSIONS_EACH, rng, now)
    _insert(TrainingSession, session_rows)

    trainee_ids, owner_id, instructor_ids = _people(rng, now)
    enrolment_rows = _enrolments(offerings, trainee_ids, rng, now)
    enrolment_rows += [
        {
            "user_id": owner_id,
            "offering_id": offering.id,
            "status": EnrolmentStatus.CONFIRMED,
            "country_code": "KE",
            "created_at": now,
            "updated_at": now,
        }
        for offering in feed_offerings
    ]
    _insert(Enrolment, enrolment_rows)

    TRAINING_CENTRE = OrganisationKind.TRAINING_CENTRE  # noqa: N806  (keeps the table short)
    organisations = [
        Organisation(name=name, short_name=short, kind=kind, country_code=country)
        for name, short, kind, country in [
            ("International Peace Support Training Centre", "IPSTC", TRAINING_CENTRE, "KE"),
            ("Ministry of Defense of Japan", "MOD Japan", OrganisationKind.MINISTRY, "JP"),
            ("UN Department of Operational Support", "DOS", OrganisationKind.UN_OFFICE, None),
        ]
    ]
    db.session.add_all(organisations)
    db.session.flush()
    roles = [PartnerRole.HOST, PartnerRole.FUNDER, PartnerRole.TRAINER_PROVIDER]
    for organisation, role in zip(organisations, roles, strict=True):
        page.partners.append(OfferingPartner(organisation=organisation, role=role))
    db.session.execute(
        insert(offering_instructors),
        [{"offering_id": page.id, "user_id": uid} for uid in instructor_ids],
    )

    owner = db.session.get(User, owner_id)
    token_row = issue_token(owner, "Benchmark calendar")
    db.session.flush()
    feed_path = f"/feeds/me/{token_for(token_row)}.ics"
    db.session.commit()

    listed = db.session.scalar(
        select(func.count(Offering.id))
        .join(Offering.course)
        .where(Offering.status == OfferingStatus.PUBLISHED, Offering.ends_on >= today)
    )
    return Seeded(
        courses=len(courses),
        offerings=len(every),
        listed=listed or 0,
        sessions=len(session_rows),
        trainees=len(trainee_ids) + 1,
        enrolments=len(enrolment_rows),
        page_offering_id=page.id,
        feed_user_email=FEED_EMAIL,
        feed_password=PASSWORD,
        feed_path=feed_path,
        feed_sessions=FEED_OFFERINGS * FEED_SESSIONS_EACH,
    )
