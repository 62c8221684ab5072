"""Small builders for test data. Each adds to the session and flushes; tests commit."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from catalog.auth.services import create_user
from catalog.extensions import db
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    OfferingStatus,
    Programme,
    Role,
    User,
)

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(email: str | None = None, *roles: Role, country: str | None = "KE", **fields) -> User:
    user = create_user(
        email=email or f"user{next(_counter)}@example.org",
        password=PASSWORD,
        name=fields.pop("name", "Test User"),
        roles=roles or (Role.TRAINEE,),
        country_code=country,
        **fields,
    )
    db.session.flush()
    return user


def make_course(code: str | None = None, **fields) -> Course:
    course = Course(
        code=code or f"TST-{next(_counter):03d}",
        title=fields.pop("title", "Heavy Engineering Equipment Basic"),
        discipline=fields.pop("discipline", Discipline.ENGINEERING),
        level=fields.pop("level", Level.BASIC),
        programme=fields.pop("programme", Programme.TPP),
        status=fields.pop("status", CourseStatus.PUBLISHED),
        summary=fields.pop("summary", "Operating heavy engineering equipment to UN standards."),
        **fields,
    )
    db.session.add(course)
    db.session.flush()
    return course


def make_offering(course: Course | None = None, *, starts_in_days: int = 60, **fields) -> Offering:
    starts_on = fields.pop("starts_on", date.today() + timedelta(days=starts_in_days))
    mode = fields.pop("delivery_mode", DeliveryMode.IN_PERSON)
    offering = Offering(
        course=course or make_course(),
        status=fields.pop("status", OfferingStatus.PUBLISHED),
        delivery_mode=mode,
        venue=fields.pop("venue", "" if mode == DeliveryMode.REMOTE else "Nairobi"),
        country_code=fields.pop("country_code", None if mode == DeliveryMode.REMOTE else "KE"),
        timezone=fields.pop("timezone", "Africa/Nairobi"),
        starts_on=starts_on,
        ends_on=fields.pop("ends_on", starts_on + timedelta(days=41)),
        enrolment_opens_on=fields.pop("enrolment_opens_on", starts_on - timedelta(days=50)),
        enrolment_closes_on=fields.pop("enrolment_closes_on", starts_on - timedelta(days=14)),
        capacity=fields.pop("capacity", 20),
        **fields,
    )
    db.session.add(offering)
    db.session.flush()
    return offering
