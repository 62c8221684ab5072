"""Rules the database itself enforces, whatever code writes to it."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from catalog.extensions import db
from catalog.models import Enrolment, EnrolmentStatus, Offering, TrainingSession
from tests.factories import make_course, make_offering, make_user


def expect_integrity_error(statement_or_flush):
    with pytest.raises(IntegrityError):
        statement_or_flush()
    db.session.rollback()


def test_one_live_enrolment_per_person_and_offering():
    trainee = make_user()
    offering = make_offering()
    db.session.add(Enrolment(user=trainee, offering=offering, country_code="KE"))
    db.session.commit()

    db.session.add(Enrolment(user_id=trainee.id, offering_id=offering.id, country_code="KE"))
    expect_integrity_error(db.session.commit)

    # Once withdrawn, the old row is history and a new application is allowed.
    first = db.session.scalar(select(Enrolment))
    first.status = EnrolmentStatus.WITHDRAWN
    db.session.add(Enrolment(user_id=trainee.id, offering_id=offering.id, country_code="KE"))
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(Enrolment)) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"capacity": 0},
        {"ends_on": date(2027, 1, 1), "starts_on": date(2027, 2, 1)},
        {"enrolment_closes_on": date(2027, 3, 2), "starts_on": date(2027, 3, 1)},
        {"country_code": None},  # in person without a host country
    ],
)
def test_offering_checks(change):
    offering = make_offering(starts_on=date(2027, 3, 1))
    db.session.commit()
    for key, value in change.items():
        setattr(offering, key, value)
    if "starts_on" in change and "enrolment_closes_on" not in change:
        offering.enrolment_opens_on = offering.enrolment_closes_on = date(2026, 12, 1)
    expect_integrity_error(db.session.commit)


def test_unknown_country_is_refused_by_foreign_key():
    make_offering()
    db.session.commit()
    expect_integrity_error(
        lambda: db.session.execute(text("UPDATE offerings SET country_code = 'ZZ'"))
    )


def test_status_outside_the_enum_is_refused_by_the_database():
    make_offering()
    db.session.commit()
    expect_integrity_error(
        lambda: db.session.execute(text("UPDATE offerings SET status = 'bogus'"))
    )


def test_e_mail_must_be_stored_lower_case():
    make_user("someone@example.org")
    db.session.commit()
    expect_integrity_error(lambda: db.session.execute(text("UPDATE users SET email = 'Someone@x'")))


def test_session_times_round_trip_as_aware_utc():
    offering = make_offering()
    nairobi = ZoneInfo("Africa/Nairobi")
    start = datetime(2027, 3, 2, 9, 0, tzinfo=nairobi)
    db.session.add(
        TrainingSession(
            offering=offering,
            title="Site survey",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            timezone="Africa/Nairobi",
        )
    )
    db.session.commit()
    db.session.expire_all()

    stored = db.session.scalar(select(TrainingSession))
    assert stored.starts_at.tzinfo is not None
    assert stored.starts_at.utcoffset() == timedelta(0)
    assert stored.starts_at == datetime(2027, 3, 2, 6, 0, tzinfo=UTC)
    assert stored.updated_at.tzinfo is not None


def test_naive_datetime_is_refused():
    offering = make_offering()
    db.session.add(
        TrainingSession(
            offering=offering,
            title="Floating",
            starts_at=datetime(2027, 3, 2, 9, 0),
            ends_at=datetime(2027, 3, 2, 11, 0),
            timezone="UTC",
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_session_must_end_after_it_starts():
    offering = make_offering()
    moment = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    db.session.add(
        TrainingSession(
            offering=offering, title="Zero", starts_at=moment, ends_at=moment, timezone="UTC"
        )
    )
    expect_integrity_error(db.session.commit)


def test_prerequisite_cannot_be_the_course_itself():
    course = make_course()
    course.prerequisites.append(course)
    expect_integrity_error(db.session.commit)


def test_deleting_an_offering_removes_its_sessions_and_quotas():
    offering = make_offering()
    offering.sessions.append(
        TrainingSession(
            title="Intro",
            starts_at=datetime(2027, 3, 2, 6, tzinfo=UTC),
            ends_at=datetime(2027, 3, 2, 8, tzinfo=UTC),
            timezone="UTC",
        )
    )
    db.session.commit()
    db.session.delete(offering)
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(TrainingSession)) == 0
    assert db.session.scalar(select(db.func.count()).select_from(Offering)) == 0
