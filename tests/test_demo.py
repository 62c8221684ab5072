"""The demo catalogue: what someone trying the site sees after `flask demo load`."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from catalog.auth.services import password_problem
from catalog.demo import data, services
from catalog.demo.services import load_demo
from catalog.extensions import db
from catalog.models import (
    Course,
    DeliveryMode,
    Discipline,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Offering,
    OfferingStatus,
    PartnerRole,
    Role,
    User,
)

EARLY_NOVEMBER = date(2026, 11, 3)  # New York's autumn change is days away
JUNE = date(2026, 6, 15)


def offerings() -> list[Offering]:
    return list(db.session.scalars(select(Offering).order_by(Offering.starts_on)))


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def new_york_series() -> Offering:
    (offering,) = [
        offering
        for offering in offerings()
        if offering.timezone == "America/New_York" and offering.sessions
    ]
    return offering


def test_offerings_cover_the_disciplines_sites_and_languages():
    summary = load_demo(today=EARLY_NOVEMBER)

    runs = offerings()
    assert not summary.already_loaded
    assert len(runs) >= 12
    assert {run.course.discipline for run in runs} >= {
        Discipline.ENGINEERING,
        Discipline.MEDICAL,
        Discipline.C4ISR,
    }
    # Spread over the coming year, all still ahead.
    assert all(
        EARLY_NOVEMBER < run.starts_on <= EARLY_NOVEMBER + timedelta(days=366) for run in runs
    )

    in_person = [run for run in runs if run.delivery_mode == DeliveryMode.IN_PERSON]
    sites = {
        (city, run.country_code, run.timezone)
        for run in in_person
        for city in ("Nairobi", "Entebbe", "Hanoi", "Jakarta")
        if city in run.venue
    }
    assert sites >= {
        ("Nairobi", "KE", "Africa/Nairobi"),
        ("Entebbe", "UG", "Africa/Kampala"),
        ("Hanoi", "VN", "Asia/Ho_Chi_Minh"),
        ("Jakarta", "ID", "Asia/Jakarta"),
    }
    assert all(run.health_requirements and run.travel_requirements for run in in_person)

    remote = [run for run in runs if run.delivery_mode == DeliveryMode.REMOTE]
    offsets = [
        datetime.combine(run.starts_on, time(12), tzinfo=ZoneInfo(run.timezone)).utcoffset()
        for run in remote
    ]
    assert max(offsets) - min(offsets) >= timedelta(hours=6)
    assert {"Asia/Tokyo", "America/New_York"} <= {run.timezone for run in remote}

    assert any(run.language == "fr" for run in runs)
    statuses = Counter(run.status for run in runs)
    assert statuses[OfferingStatus.DRAFT] == 1
    assert statuses[OfferingStatus.CANCELLED] == 1
    assert statuses[OfferingStatus.PUBLISHED] == len(runs) - 2


def test_offerings_have_small_cohorts_windows_partners_and_instructors():
    load_demo(today=EARLY_NOVEMBER)

    runs = offerings()
    for run in runs:
        assert 10 <= run.capacity <= 20
        assert sum(quota.seats for quota in run.quotas) <= run.capacity
        assert run.enrolment_opens_on <= run.enrolment_closes_on <= run.starts_on
        assert run.instructors
        assert all(Role.INSTRUCTOR in person.roles for person in run.instructors)
    assert (
        sum(run.enrolment_opens_on <= EARLY_NOVEMBER <= run.enrolment_closes_on for run in runs)
        >= 2
    )
    assert any(run.quotas for run in runs)

    roles = {(partner.organisation.name, partner.role) for run in runs for partner in run.partners}
    assert ("Government of Japan", PartnerRole.FUNDER) in roles
    assert ("Japan Ground Self-Defense Force", PartnerRole.TRAINER_PROVIDER) in roles
    assert any(name == "African Union Commission" for name, _ in roles)
    assert any("Department of Operational Support" in name for name, _ in roles)


def test_courses_form_ladders_and_describe_themselves_in_markdown():
    load_demo(today=EARLY_NOVEMBER)

    courses = {course.code: course for course in db.session.scalars(select(Course))}
    prerequisites = {
        code: [p.code for p in course.prerequisites] for code, course in courses.items()
    }
    assert prerequisites["TPP-ENG-HEE-I"] == ["TPP-ENG-HEE-B"]
    assert prerequisites["TPP-ENG-HEE-T"] == ["TPP-ENG-HEE-I"]
    assert prerequisites["TPP-MED-FMAC-T"] == ["TPP-MED-FMAC"]
    assert courses["TPP-MED-FMAC"].duration_days == 7
    assert courses["TPP-C4-WOC"].duration_days == 14
    for course in courses.values():
        assert "\n## " in course.description
        assert "\n- " in course.description
        assert "illustrative demo data" in course.description.lower()


def test_every_role_has_people_from_several_countries():
    load_demo(today=EARLY_NOVEMBER)

    users = list(db.session.scalars(select(User)))
    for role in Role:
        assert any(role in user.roles for user in users), role
    assert all(user.country_code for user in users if Role.FOCAL_POINT in user.roles)
    trainees = [user for user in users if Role.TRAINEE in user.roles]
    assert len({user.country_code for user in trainees}) >= 8
    assert {user.gender for user in trainees} == {Gender.FEMALE, Gender.MALE}
    assert any(user.language == "fr" for user in users)
    assert all(user.email.endswith("@example.org") for user in users)


def test_some_offerings_are_full_with_a_waiting_list():
    load_demo(today=EARLY_NOVEMBER)

    full = []
    for run in offerings():
        enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.offering == run)))
        assert all(e.country_code == e.user.country_code for e in enrolments)
        statuses = Counter(e.status for e in enrolments)
        assert statuses[EnrolmentStatus.CONFIRMED] <= run.capacity
        if (
            statuses[EnrolmentStatus.CONFIRMED] == run.capacity
            and statuses[EnrolmentStatus.WAITLISTED]
        ):
            full.append(run)
        if run.course.code == "TPP-C4-WOC":  # the Women's Outreach Course
            assert {e.user.gender for e in enrolments} == {Gender.FEMALE}
        if run.language == "fr":
            assert all(e.user.language == "fr" for e in enrolments)
    assert full


@pytest.mark.parametrize("today", [EARLY_NOVEMBER, JUNE])
def test_sessions_fall_inside_their_offering_in_its_zone(today):
    load_demo(today=today)

    runs = [run for run in offerings() if run.sessions]
    assert len(runs) >= 4
    for run in runs:
        # The online briefing comes before the course, the day after loading.
        for session in [s for s in run.sessions if s.title != "Pre-course online briefing"]:
            assert session.timezone == run.timezone
            assert session.revision == 0
            local = session.starts_at.astimezone(ZoneInfo(run.timezone))
            assert run.starts_on <= local.date() <= run.ends_on
            if run.is_online:
                assert session.online_url.startswith("https://")
            else:
                assert not session.online_url and session.location == run.venue


@pytest.mark.parametrize("today", [EARLY_NOVEMBER, JUNE])
def test_new_york_series_keeps_its_local_time_across_daylight_saving(today):
    load_demo(today=today)

    run = new_york_series()
    zone = ZoneInfo("America/New_York")
    local = [session.starts_at.astimezone(zone) for session in run.sessions]
    assert len(local) >= 5
    assert {moment.time() for moment in local} == {local[0].time()}
    assert len({moment.utcoffset() for moment in local}) == 2
    assert len({session.starts_at.hour for session in run.sessions}) == 2
    assert {(later.date() - earlier.date()).days for earlier, later in pairwise(local)} == {7}
    assert today < run.starts_on and local[-1].date() <= run.ends_on


def test_a_second_load_adds_nothing_and_says_so():
    load_demo(today=EARLY_NOVEMBER)
    before = row_counts()

    summary = load_demo(today=JUNE)

    assert row_counts() == before
    assert summary.already_loaded
    text = summary.describe()
    assert "already loaded" in text
    assert "admin@example.org" in text and data.DEMO_PASSWORD in text


def test_a_failed_load_leaves_nothing_behind(monkeypatch):
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_add_sessions", broken)
    with pytest.raises(RuntimeError):
        load_demo(today=EARLY_NOVEMBER)
    db.session.remove()

    counts = row_counts()
    assert counts["users"] == counts["courses"] == counts["offerings"] == 0
    assert counts["organisations"] == 0

    monkeypatch.undo()
    assert not load_demo(today=EARLY_NOVEMBER).already_loaded


def test_cli_loads_once_and_prints_the_accounts(runner):
    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    assert "illustrative demo data" in result.output.lower()
    for account in data.ACCOUNTS:
        assert account.email in result.output
    assert data.DEMO_PASSWORD in result.output
    assert db.session.scalar(select(func.count()).select_from(Offering)) >= 12

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
    assert data.DEMO_PASSWORD in again.output


def test_demo_password_passes_the_password_rules():
    for account in data.ACCOUNTS:
        assert password_problem(data.DEMO_PASSWORD, account.email) is None


@pytest.mark.parametrize(
    "email",
    [
        "admin@example.org",
        "coordinator@example.org",
        "focal.ke@example.org",
        "instructor.tanaka@example.org",
        "trainee.wanjiru@example.org",
        "trainee.brian@example.org",  # one of the trainees sharing a single hash
    ],
)
def test_demo_accounts_log_in_through_the_form(client, email):
    load_demo(today=JUNE)

    response = client.post("/account/login", data={"email": email, "password": data.DEMO_PASSWORD})

    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200


def test_home_page_lists_the_demo_offerings(client):
    load_demo()

    page = client.get("/").get_data(as_text=True)

    assert "TPP-MED-FMAC" in page
    assert "UN Field Medical Assistants Course" in page


def test_a_briefing_tomorrow_gives_the_scheduler_a_reminder_to_send():
    load_demo(today=JUNE)
    briefings = [
        (run, session)
        for run in offerings()
        for session in run.sessions
        if session.title == "Pre-course online briefing"
    ]
    assert len(briefings) == 1
    run, session = briefings[0]
    assert session.starts_at.date() == JUNE + timedelta(days=1)
    assert session.online_url.startswith("https://")
    confirmed = db.session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.offering_id == run.id, Enrolment.status == EnrolmentStatus.CONFIRMED)
    )
    assert confirmed > 0, "someone to remind"
