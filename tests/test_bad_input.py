"""Bad input, tried on purpose.

Every form and every query parameter of the site gets hostile values: empty, huge,
control characters and NUL, CRLF, a right-to-left override, markup that tries to
break out of text and attributes, template and SQL syntax, numbers out of range,
wrong types, dates that do not exist or fall into a daylight-saving gap, e-mail
addresses that differ from an existing one only in case or Unicode form, fields
nobody should be able to set (mass assignment), missing and foreign CSRF tokens,
GET on state-changing addresses, and CRLF in feed text and file names.

The table of targets (who sends what to which address, with otherwise-valid data)
times the hostile values of each field's kind gives the cases. Each case must:

- never get a 5xx;
- on a 4xx, say in words what is wrong, and leave the database as it was (a dump of
  every table is compared before and after);
- when the value is acceptable input (``<script>`` is a valid course title), store
  it as given and show it escaped: no raw markup on the pages that show it, no line
  injected into a calendar, no header built from it, no redirect off the site, and
  no field set that the form does not offer.

The world (people, courses, offerings) is built again for each target, so what one
target's accepted cases store never slows down or changes the next; within a target,
a case that would change something the others use gets objects of its own from the
target's ``prepare``. Tables a refused request may still write are listed in
``tests/database_dump.py``.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from catalog import create_app
from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds.services import clear_cache, issue_token, token_for
from catalog.models import (
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Level,
    Offering,
    OfferingQuota,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    Role,
    TrainerAssignment,
    TrainerRole,
    TrainingSession,
    User,
)
from config import TestingConfig
from tests.conftest import IsolatedClient, clean_tables
from tests.database_dump import changed_rows, describe_changes, dump
from tests.factories import PASSWORD, make_course, make_offering, make_user
from tests.html import Page

# --- What a person reads ---------------------------------------------------------------


class _Messages(Page):
    """Page, plus the text of the elements that carry error messages."""

    def __init__(self, html: str):
        self.messages: list[str] = []
        super().__init__(html)

    def handle_endtag(self, tag):
        if self._open:
            _tag, attributes, parts = self._open[-1]
            classes = attributes.get("class", "").split()
            if (
                attributes.get("role") == "alert"
                or "error" in classes
                or "flash-error" in classes
                or "notice-danger" in classes
            ):
                text = " ".join("".join(parts).split())
                if text:
                    self.messages.append(text)
        super().handle_endtag(tag)


WORDS = re.compile(r"[^\W\d_]{2,}")
# Where the site's pages put a message: a field's error, the summary, a flash, the
# refusal notice, the error page's paragraph. Read with a regex first (most pages),
# with the parser when that finds nothing.
MESSAGE_ELEMENTS = re.compile(
    r'<p class="(?:error|flash flash-error|notice notice-danger)"[^>]*>(.*?)</p>'
    r"|<h1>Error \d+</h1>\s*<p>(.*?)</p>",
    re.S,
)


def human_message(response) -> str:
    """The message a 4xx answer gives its reader, or "" when it gives none."""
    body = response.get_data(as_text=True)
    mimetype = response.mimetype
    if mimetype == "application/json":
        message = (response.get_json(silent=True) or {}).get("error", {}).get("message", "")
    elif mimetype == "text/html":
        found = [a or b for a, b in MESSAGE_ELEMENTS.findall(body)]
        message = " ".join(re.sub(r"<[^>]+>", " ", text) for text in found)
        if not found:
            page = _Messages(body)
            message = " ".join(page.messages)
            if not message and page.title.startswith(("Error", "This could not")):
                message = page.text_by_id.get("content", "")
    else:
        message = body
    looks_human = len(WORDS.findall(message)) >= 2 and "Traceback" not in message
    return message if looks_human else ""


# Markup a hostile value would leave in a page that does not escape it.
RAW_MARKERS = ("<script>alert(", "<img src=x onerror", "onmouseover='alert(", '"autofocus onfocus=')
INJECTED_LINE = "X-INJECTED"


def assert_safe_response(response, where: str) -> None:
    """No raw markup, no injected calendar line, no header carrying a line break."""
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, f"{where}: header {name} breaks a line"
        if name.lower() == "content-disposition":
            match = re.search(r'filename="?([^";]*)', value)
            assert match and re.fullmatch(r"[A-Za-z0-9._-]+", match.group(1)), (
                f"{where}: file name not built from a slug: {value!r}"
            )
    body = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        for marker in RAW_MARKERS:
            assert marker not in body, f"{where}: raw markup {marker!r} in the page"
    if response.mimetype == "text/calendar" and response.status_code == 200:
        raw = response.get_data()
        assert b"\n" not in raw.replace(b"\r\n", b""), f"{where}: a bare line feed"
        assert b"\r" not in raw.replace(b"\r\n", b""), f"{where}: a bare carriage return"
        unfolded = raw.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")
        for line in unfolded.split("\r\n"):
            assert not line.upper().startswith(INJECTED_LINE), f"{where}: injected {line!r}"


def assert_safe_redirect(response, where: str) -> str:
    location = response.headers.get("Location", "")
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), (
        f"{where}: redirect off the site to {location!r}"
    )
    assert parts.path.startswith("/") and not parts.path.startswith("//"), (
        f"{where}: redirect to {location!r}"
    )
    return location


# --- Hostile values ----------------------------------------------------------------------

REJECT = "reject"  # must be refused with a 4xx
EITHER = "either"  # refused, or accepted and shown safely

HUGE = "x" * 10_000
SCRIPT = '<script>alert("pwned")</script>'
ATTRIBUTE = "\"autofocus onfocus=alert(1) x=\"' onmouseover='alert(1)'><img src=x onerror=alert(1)>"
TEMPLATE = "{{7*7}} ${7*7} {% raw %}#{7*7}"
SQL = "'; DROP TABLE users; -- \" OR 1=1 --"
CRLF = f"Line one\r\n{INJECTED_LINE}:evil\r\nLine three"
RTL = "Course \u202egnp.exe"
NUL = "before\x00after"
CONTROL = "bell\x07escape\x1b[31mred\x08"
MULTI = ["first", "second"]
BIG = str(2**63)  # past SQLite's integers
INT4 = str(2**31)  # past PostgreSQL's integer columns
DIGITS = "9" * 10_000  # past what int() reads (4,300 digits) without an error


@dataclass(frozen=True)
class Value:
    name: str
    raw: object  # a string, a list (several values), or a function of the case's context
    expect: str = EITHER


TEXT = (
    Value("empty", ""),
    Value("huge", HUGE),
    Value("nul", NUL, REJECT),
    Value("control", CONTROL, REJECT),
    Value("crlf", CRLF),
    Value("rtl", RTL),
    Value("script", SCRIPT),
    Value("attribute", ATTRIBUTE),
    Value("template", TEMPLATE),
    Value("sql", SQL),
    Value("several", MULTI),
)
LONG_TEXT = (
    Value("empty", ""),
    Value("huge", HUGE),
    Value("nul", NUL, REJECT),
    Value("crlf", CRLF),
    Value("script", SCRIPT),
    Value("template", TEMPLATE),
)
# A whole number where a person types one.
INTEGER = (
    Value("zero", "0", REJECT),
    Value("negative", "-1", REJECT),
    Value("2^31", INT4, REJECT),
    Value("2^63", BIG, REJECT),
    Value("exponent", "1e3", REJECT),
    Value("10,000 digits", DIGITS, REJECT),
    Value("fraction", "2.5", REJECT),
    Value("word", "twelve", REJECT),
    Value("nul", "1\x002", REJECT),
    Value("several", ["3", "4"]),
)
# An id chosen from a list.
IDENTIFIER = (
    Value("word", "abc", REJECT),
    Value("negative", "-1", REJECT),
    Value("2^31", INT4, REJECT),
    Value("2^63", BIG, REJECT),
    Value("unknown", "987654", REJECT),
    Value("10,000 digits", DIGITS, REJECT),
    Value("sql", "1 OR 1=1", REJECT),
    Value("nul", "1\x00", REJECT),
)
CHOICE = (
    Value("empty", ""),
    Value("unknown", "bogus", REJECT),
    Value("script", SCRIPT, REJECT),
    Value("sql", SQL, REJECT),
    Value("nul", "en\x00", REJECT),
    Value("huge", HUGE, REJECT),
    Value("several", ["bogus", "other"], REJECT),
)
DATE = (
    Value("empty", ""),
    Value("30 February", "2027-02-30", REJECT),
    Value("month 13", "2027-13-01", REJECT),
    Value("year 1", "0001-01-01"),
    Value("year 9999", "9999-12-31"),
    Value("day first", "31/12/2027", REJECT),
    Value("script", SCRIPT, REJECT),
    Value("nul", "2027-01-01\x00", REJECT),
)
TIME = (
    Value("hour 25", "25:00", REJECT),
    Value("negative", "-1:00", REJECT),
    Value("words", "nine o'clock", REJECT),
    Value("nul", "09:00\x00", REJECT),
)
EMAIL = (
    Value("empty", ""),
    Value("huge", "a" * 10_000 + "@example.org", REJECT),
    Value("nul", "someone\x00@example.org", REJECT),
    Value("crlf", "someone@example.org\r\nBcc: victim@example.org", REJECT),
    Value("no at", "someone.example.org", REJECT),
    Value("script", f"{SCRIPT}@example.org", REJECT),
    Value("rtl", "someone\u202e@example.org"),
    Value("sql", "x' OR '1'='1@example.org", REJECT),
)
PASSWORD_VALUES = (
    Value("empty", "", REJECT),
    Value("huge", "correct horse " * 700),
    Value("nul", "correct horse\x00battery", REJECT),
    Value("control", "correct horse\x1bbattery", REJECT),
)
# Where to go after a button: never off the site, never a header with a line break.
NEXT = (
    Value("huge", "/" + "a" * 10_000),
    Value("crlf", "/manage\r\nSet-Cookie: evil=1"),
    Value("absolute", "https://evil.example/"),
    Value("scheme relative", "//evil.example/"),
    Value("backslash", "/\\evil.example"),
    Value("javascript", "javascript:alert(1)"),
    Value("nul", "/manage\x00", REJECT),
)
BOOLEAN = (
    Value("word", "maybe"),
    Value("several", ["y", ""]),
    Value("nul", "y\x00", REJECT),
)
KINDS: dict[str, tuple[Value, ...]] = {
    "text": TEXT,
    "longtext": LONG_TEXT,
    "integer": INTEGER,
    "id": IDENTIFIER,
    "choice": CHOICE,
    "date": DATE,
    "time": TIME,
    "email": EMAIL,
    "password": PASSWORD_VALUES,
    "next": NEXT,
    "boolean": BOOLEAN,
}

# Query parameters (GET), by what they hold: a number (page=), one of a list
# (discipline=), a day (from=), free text (q=). Each parser decides what it accepts;
# a read writes nothing either way.
NUMBER_PARAMETER = (
    Value("zero", "0"),
    Value("negative", "-1"),
    Value("2^63", BIG),
    Value("exponent", "1e3"),
    Value("word", "ten"),
    Value("10,000 digits", DIGITS),
    Value("nul", "1\x00", REJECT),
    Value("several", ["1", "2"]),
)
OPTION_PARAMETER = (
    Value("script", SCRIPT),
    Value("sql", SQL),
    Value("huge", HUGE),
    Value("nul", "a\x00b", REJECT),
    Value("several", ["x", "y"]),
)
DAY_PARAMETER = (
    Value("30 February", "2027-02-30"),
    Value("year 1", "0001-01-01"),
    Value("year 9999", "9999-12-31"),
    Value("script", SCRIPT),
    Value("nul", "2027-01-01\x00", REJECT),
)
TEXT_PARAMETER = (
    Value("empty", ""),
    Value("huge", HUGE),
    Value("nul", "a\x00b", REJECT),
    Value("crlf", CRLF),
    Value("rtl", RTL),
    Value("script", SCRIPT),
    Value("template", TEMPLATE),
    Value("sql", SQL),
    Value("several", ["first", "second"]),
)
PARAMETER_KINDS = {
    "number parameter": NUMBER_PARAMETER,
    "option parameter": OPTION_PARAMETER,
    "day parameter": DAY_PARAMETER,
    "text parameter": TEXT_PARAMETER,
}
# A value in the address itself, e.g. /courses/<code>.
PATH = (
    Value("huge", HUGE),
    Value("10,000 digits", DIGITS),
    Value("script", SCRIPT),
    Value("crlf", CRLF),
    Value("sql", SQL),
    Value("2^63", BIG),
    Value("negative", "-1"),
    Value("dots", "../../etc/passwd"),
    Value("rtl", RTL),
    Value("nul", "a\x00b"),
)


def _case_variant(ctx: Context) -> str:
    return ctx.world.accented_email.upper()


def _nfd_variant(ctx: Context) -> str:
    return unicodedata.normalize("NFD", ctx.world.accented_email)


# E-mail addresses that are an existing account's address in another form.
SAME_ADDRESS = (
    Value("upper case", _case_variant, REJECT),
    Value("NFD", _nfd_variant, REJECT),
)


# Fields no form offers, which a forged request may carry.
def _mass_fields(ctx: Context) -> dict[str, str]:
    return {
        "status": "completed",
        "role": "admin",
        "roles": "admin",
        "is_admin": "1",
        "active": "0",
        "country": "FR",
        "country_code": "FR",
        "user_id": str(ctx.world.bystander_id),
        "decided_by_id": str(ctx.world.bystander_id),
        "session_version": "99",
    }


# --- The world ---------------------------------------------------------------------------

_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


@dataclass
class World:
    trainee_id: int
    trainee_email: str
    focal_email: str
    coordinator_email: str
    instructor_id: int
    instructor_email: str
    graduate_id: int
    bystander_id: int
    accented_email: str
    course_id: int
    course_code: str
    future_id: int  # published, open for enrolment, taught by the instructor
    upcoming_id: int  # published, enrolment not open yet
    running_id: int  # under way: a past session, a class of two
    running_session_id: int
    class_ids: tuple[int, int]
    outsider_enrolment_id: int  # an enrolment of another offering
    ended_id: int  # ended two days ago: the trainee's feedback is open
    dst_id: int  # in New York across the spring change
    dst_day: date
    fall_day: date
    organisation_id: int
    feed_token: str


@dataclass
class Context:
    """What one case works with: the world, and the objects its target made for it."""

    world: World
    actor_email: str | None = None
    made: dict = field(default_factory=dict)


def spring_forward(year: int) -> date:
    """The second Sunday of March: clocks in New York jump from 02:00 to 03:00."""
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def fall_back(year: int) -> date:
    """The first Sunday of November: 01:00 to 02:00 happens twice in New York."""
    first = date(year, 11, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7)


def at(day: date, hour: int, zone: str = "UTC") -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def enrol(user_id: int, offering_id: int, status: EnrolmentStatus, **fields) -> Enrolment:
    enrolment = Enrolment(
        user_id=user_id,
        offering_id=offering_id,
        status=status,
        country_code=fields.pop("country_code", "KE"),
        **fields,
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def add_session(offering: Offering, day: date, hour: int = 9, **fields) -> TrainingSession:
    session = TrainingSession(
        offering=offering,
        title=fields.pop("title", "Casualty evacuation drill"),
        starts_at=at(day, hour, offering.timezone),
        ends_at=at(day, hour + 2, offering.timezone),
        timezone=offering.timezone,
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    return session


def open_offering(course: Course | None = None, **fields) -> Offering:
    """A published offering taking enrolments now, starting in two months."""
    today = date.today()
    fields.setdefault("starts_on", today + timedelta(days=60))
    fields.setdefault("ends_on", today + timedelta(days=70))
    fields.setdefault("enrolment_opens_on", today - timedelta(days=5))
    fields.setdefault("enrolment_closes_on", today + timedelta(days=30))
    return make_offering(course, **fields)


def build_world() -> World:
    today = date.today()
    trainee = make_user("trainee@example.org", Role.TRAINEE, name="Tina Trainee")
    focal = make_user("focal@example.org", Role.FOCAL_POINT, name="Fred Focal")
    coordinator = make_user("coordinator@example.org", Role.COORDINATOR, name="Cora Ordinator")
    instructor = make_user("instructor@example.org", Role.INSTRUCTOR, name="Ian Structor")
    graduate = make_user("graduate@example.org", Role.TRAINEE, name="Grace Graduate")
    bystander = make_user("bystander@example.org", Role.TRAINEE, name="Bea Stander")
    accented = make_user(unicodedata.normalize("NFC", "josé.nfc@example.org"), name="José")

    course = make_course("BAD-BASE", title="Field medical assistants")
    tot = make_course("BAD-TOT", title="Training of trainers", level=Level.TOT)

    future = open_offering(course)
    future.instructors.append(instructor)
    upcoming = make_offering(course, starts_in_days=90)  # enrolment opens in 40 days

    running = make_offering(
        course,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=5),
        enrolment_opens_on=today - timedelta(days=40),
        enrolment_closes_on=today - timedelta(days=10),
    )
    running.instructors.append(instructor)
    running_session = add_session(running, today - timedelta(days=1))
    first = enrol(trainee.id, running.id, EnrolmentStatus.CONFIRMED)
    second = enrol(bystander.id, running.id, EnrolmentStatus.CONFIRMED)

    ended = make_offering(
        course,
        starts_on=today - timedelta(days=12),
        ends_on=today - timedelta(days=2),
        enrolment_opens_on=today - timedelta(days=40),
        enrolment_closes_on=today - timedelta(days=20),
    )
    outsider = enrol(trainee.id, ended.id, EnrolmentStatus.CONFIRMED)

    tot_run = make_offering(
        tot,
        starts_on=today - timedelta(days=100),
        ends_on=today - timedelta(days=90),
        enrolment_opens_on=today - timedelta(days=140),
        enrolment_closes_on=today - timedelta(days=110),
    )
    enrol(graduate.id, tot_run.id, EnrolmentStatus.COMPLETED)

    year = today.year + 1
    dst_day, fall_day = spring_forward(year), fall_back(year)
    dst = make_offering(
        course,
        status=OfferingStatus.DRAFT,
        country_code="US",
        timezone="America/New_York",
        starts_on=date(year, 3, 1),
        ends_on=date(year, 11, 30),
        enrolment_opens_on=date(year, 1, 1),
        enrolment_closes_on=date(year, 2, 1),
    )

    organisation = Organisation(
        name="International Peace Support Training Centre",
        short_name="IPSTC",
        kind=OrganisationKind.TRAINING_CENTRE,
        country_code="KE",
    )
    db.session.add(organisation)
    token = issue_token(trainee, "phone")
    db.session.flush()
    world = World(
        trainee_id=trainee.id,
        trainee_email=trainee.email,
        focal_email=focal.email,
        coordinator_email=coordinator.email,
        instructor_id=instructor.id,
        instructor_email=instructor.email,
        graduate_id=graduate.id,
        bystander_id=bystander.id,
        accented_email=accented.email,
        course_id=course.id,
        course_code=course.code,
        future_id=future.id,
        upcoming_id=upcoming.id,
        running_id=running.id,
        running_session_id=running_session.id,
        class_ids=(first.id, second.id),
        outsider_enrolment_id=outsider.id,
        ended_id=ended.id,
        dst_id=dst.id,
        dst_day=dst_day,
        fall_day=fall_day,
        organisation_id=organisation.id,
        feed_token=token_for(token),
    )
    db.session.commit()
    return world


# --- Targets ------------------------------------------------------------------------------

Prepare = Callable[[Context], tuple[str, dict]]


@dataclass(frozen=True)
class Target:
    """One address and who sends to it, with otherwise-valid data.

    ``persona`` is a role with a logged-in client shared by the module, ``anonymous``
    (a new client each case), or ``fresh`` (``prepare`` sets ``ctx.actor_email`` to a
    new person, who logs in on a new client). ``fields`` maps each field tried to its
    kind; ``pairs`` are fields sent with the same value (a password and its
    confirmation); ``shown`` gives the pages that show what an accepted case stored,
    and ``displays`` the fields they show.
    """

    name: str
    persona: str
    prepare: Prepare
    fields: dict[str, str]
    method: str = "POST"
    pairs: dict[str, str] = field(default_factory=dict)
    shown: Callable[[Context], list[str]] | None = None
    displays: frozenset[str] = frozenset()
    extra_values: dict[str, tuple[Value, ...]] = field(default_factory=dict)
    expect: dict[tuple[str, str], str] = field(default_factory=dict)
    mass_assignment: bool = True
    json: bool = True


def fresh_person(ctx: Context, *roles: Role, **fields):
    person = make_user(f"person{serial()}@example.org", *roles, **fields)
    ctx.actor_email = person.email
    return person


# Registration and accounts ...........................................................


def prepare_register(ctx):
    return "/account/register", {
        "name": "New Person",
        "email": f"new{serial()}@example.org",
        "password": "correct horse battery",
        "confirm": "correct horse battery",
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "language": "en",
        "gender": "",
    }


def prepare_login(ctx):
    return "/account/login", {"email": ctx.world.accented_email, "password": PASSWORD}


def prepare_profile(ctx):
    fresh_person(ctx)
    return "/account/profile", {
        "name": "Renamed Person",
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "language": "en",
        "gender": "female",
        "reminders_enabled": "y",
        "digest_enabled": "y",
        "submit": "Save profile",
    }


def prepare_password(ctx):
    fresh_person(ctx)
    return "/account/password", {
        "pw-current_password": PASSWORD,
        "pw-new_password": "another horse staple",
        "pw-confirm": "another horse staple",
        "pw-submit": "Change password",
    }


def prepare_language(ctx):
    fresh_person(ctx)
    return "/language", {"language": "fr", "next": "/catalogue"}


# Coordinators: courses, offerings, people, organisations ...............................


def course_data(code: str | None = None) -> dict:
    return {
        "code": code or f"BAD-{serial()}",
        "title": "UN Field Medical Assistants Course",
        "content_language": "en",
        "discipline": "medical",
        "level": "basic",
        "programme": "tpp",
        "summary": "Seven days of field medical care to UN standards.",
        "description": "## Topics\n\n- Buddy first aid",
        "duration_days": "7",
        "qualification_valid_years": "4",
        "translated_title": "",
        "translated_summary": "",
        "translated_description": "",
    }


def prepare_new_course(ctx):
    data = course_data()
    ctx.made["code"] = data["code"]
    return "/manage/courses/new", data


def prepare_edit_course(ctx):
    course = make_course(f"BAD-{serial()}", status=CourseStatus.PUBLISHED)
    open_offering(course)  # so the course is in the catalogue's feed
    ctx.made["code"] = course.code
    return f"/manage/courses/{course.id}/edit", course_data(course.code)


def course_pages(ctx) -> list[str]:
    code = quote(ctx.made.get("code", ""), safe="")
    return [f"/courses/{code}", "/manage", "/manage/export.csv", "/feeds/catalogue.ics"]


def course_action(action: str, status: CourseStatus) -> Prepare:
    def prepare(ctx):
        course = make_course(f"BAD-{serial()}", status=status)
        return f"/manage/courses/{course.id}/{action}", {"next": "/manage"}

    return prepare


def offering_data(course_id: int) -> dict:
    start = date.today() + timedelta(days=90)
    return {
        "course_id": str(course_id),
        "delivery_mode": "in_person",
        "venue": "IPSTC, Embakasi, Nairobi",
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "language": "en",
        "interpretation": "fr",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=10)).isoformat(),
        "enrolment_opens_on": (start - timedelta(days=60)).isoformat(),
        "enrolment_closes_on": (start - timedelta(days=14)).isoformat(),
        "capacity": "20",
        "quotas": "KE:4;UG:4",
        "health_requirements": "Medical fitness certificate.",
        "travel_requirements": "Passport valid for six months.",
    }


def prepare_new_offering(ctx):
    return "/manage/offerings/new", offering_data(ctx.world.course_id)


def prepare_edit_offering(ctx):
    offering = open_offering(status=OfferingStatus.DRAFT)
    ctx.made["offering_id"] = offering.id
    return f"/manage/offerings/{offering.id}/edit", offering_data(offering.course_id)


def offering_pages(ctx) -> list[str]:
    pages = ["/manage", "/catalogue"]
    if "offering_id" in ctx.made:
        pages.append(f"/offerings/{ctx.made['offering_id']}")
    return pages


def offering_action(action: str, status: OfferingStatus) -> Prepare:
    def prepare(ctx):
        offering = open_offering(status=status)
        return f"/manage/offerings/{offering.id}/{action}", {"next": "/manage"}

    return prepare


def prepare_people(ctx):
    offering = open_offering(status=OfferingStatus.DRAFT)
    return f"/manage/offerings/{offering.id}/people", {
        "instructors": [str(ctx.world.instructor_id)],
        "host": [str(ctx.world.organisation_id)],
        "trainer_provider": [],
        "funder": [str(ctx.world.organisation_id)],
        "participant": [],
    }


def prepare_organisation(ctx):
    name = f"Training centre {serial()}"
    ctx.made["name"] = name
    return "/manage/organisations/new", {
        "name": name,
        "short_name": "TC",
        "kind": "training_centre",
        "country": "KE",
        "next": "/manage",
    }


# The training plan upload ..............................................................

PLAN_HEADER = (
    "course_code,course_title,discipline,level,programme,summary,delivery_mode,venue,"
    "country,timezone,language,starts_on,ends_on,enrolment_opens,enrolment_closes,"
    "capacity,quotas,status"
)


def plan_row(code: str, title: str = "Imported course", **cells) -> str:
    start = date.today() + timedelta(days=120)
    values = {
        "course_code": code,
        "course_title": title,
        "discipline": "engineering",
        "level": "basic",
        "programme": "tpp",
        "summary": "Imported.",
        "delivery_mode": "in_person",
        "venue": "Nairobi",
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "language": "en",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=5)).isoformat(),
        "enrolment_opens": (start - timedelta(days=40)).isoformat(),
        "enrolment_closes": (start - timedelta(days=10)).isoformat(),
        "capacity": "20",
        "quotas": "",
        "status": "draft",
        **cells,
    }
    return ",".join('"' + str(v).replace('"', '""') + '"' for v in values.values())


def plan_file(content: str | bytes, name: str = "plan.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return (io.BytesIO(data), name)


def _plan(ctx, **cells):
    code = f"IMP-{serial()}"
    ctx.made["code"] = code
    return PLAN_HEADER + "\n" + plan_row(code, **cells) + "\n"


PLAN_FILES = (
    Value("no file", lambda ctx: "", REJECT),
    Value("empty file", lambda ctx: plan_file(b""), REJECT),
    Value("not csv", lambda ctx: plan_file(_plan(ctx), "plan.exe"), REJECT),
    Value("rtl name", lambda ctx: plan_file(_plan(ctx), "plan\u202evsc.exe"), REJECT),
    Value("crlf name", lambda ctx: plan_file(_plan(ctx), "plan\r\nX-INJECTED: 1.csv")),
    Value("nul name", lambda ctx: plan_file(_plan(ctx), "plan\x00.csv")),
    Value("binary", lambda ctx: plan_file(b"\x00\x01\xff\xfe" * 100), REJECT),
    Value("latin-1", lambda ctx: plan_file(_plan(ctx, venue="Yaoundé").encode("latin-1")), REJECT),
    Value("wrong header", lambda ctx: plan_file("a,b,c\n1,2,3\n"), REJECT),
    Value("huge title", lambda ctx: plan_file(_plan(ctx, course_title=HUGE)), REJECT),
    Value("nul cell", lambda ctx: plan_file(_plan(ctx, venue=NUL)), REJECT),
    Value("bad date", lambda ctx: plan_file(_plan(ctx, starts_on="2027-02-30")), REJECT),
    Value("capacity 2^63", lambda ctx: plan_file(_plan(ctx, capacity=BIG)), REJECT),
    Value("capacity digits", lambda ctx: plan_file(_plan(ctx, capacity=DIGITS)), REJECT),
    Value("quota digits", lambda ctx: plan_file(_plan(ctx, quotas=f"KE:{DIGITS}")), REJECT),
    Value("script title", lambda ctx: plan_file(_plan(ctx, course_title=SCRIPT))),
    Value("crlf title", lambda ctx: plan_file(_plan(ctx, course_title=CRLF))),
    Value("formula title", lambda ctx: plan_file(_plan(ctx, course_title="=HYPERLINK(1)"))),
    Value("several files", lambda ctx: [plan_file(_plan(ctx)), plan_file("x", "b.csv")]),
)


def prepare_import(ctx):
    return "/manage/import", {"plan": plan_file(_plan(ctx))}


# Enrolment ..........................................................................


def prepare_apply(ctx):
    fresh_person(ctx, Role.TRAINEE)
    return f"/offerings/{ctx.world.future_id}/enrol", {"next": "/my/training"}


def prepare_watch(ctx):
    fresh_person(ctx, Role.TRAINEE)
    return f"/offerings/{ctx.world.upcoming_id}/watch", {"stop": "", "next": "/"}


def prepare_accept(ctx):
    person = fresh_person(ctx, Role.TRAINEE)
    enrolment = enrol(
        person.id,
        ctx.world.future_id,
        EnrolmentStatus.CONFIRMED,
        offer_expires_at=utcnow() + timedelta(days=2),
    )
    return f"/enrolments/{enrolment.id}/accept", {"next": "/"}


def prepare_withdraw(ctx):
    person = fresh_person(ctx, Role.TRAINEE)
    enrolment = enrol(person.id, ctx.world.future_id, EnrolmentStatus.APPLIED)
    return f"/enrolments/{enrolment.id}/withdraw", {"next": "/"}


def subject_enrolment(ctx, status: EnrolmentStatus, offering_id: int | None = None) -> Enrolment:
    person = make_user(f"subject{serial()}@example.org", Role.TRAINEE)
    ctx.made["subject_email"] = person.email
    return enrol(person.id, offering_id or ctx.world.future_id, status)


def enrolment_action(action: str, status: EnrolmentStatus, note: bool = False) -> Prepare:
    def prepare(ctx):
        enrolment = subject_enrolment(ctx, status)
        data = {"next": f"/offerings/{ctx.world.future_id}/enrolments"}
        if note:
            data["note"] = "Not this time."
        return f"/enrolments/{enrolment.id}/{action}", data

    return prepare


def prepare_allocation(ctx):
    offering = open_offering()
    return f"/offerings/{offering.id}/allocation", {"allocation": "first_come"}


def prepare_override(ctx):
    person = make_user(f"subject{serial()}@example.org", Role.TRAINEE)
    ctx.made["subject_email"] = person.email
    return f"/offerings/{ctx.world.future_id}/prerequisite-override", {
        "email": person.email,
        "reason": "An equivalent national course.",
    }


def prepare_release(ctx):
    today = date.today()
    offering = open_offering(
        enrolment_opens_on=today - timedelta(days=20),
        enrolment_closes_on=today - timedelta(days=1),
        starts_on=today + timedelta(days=5),
    )
    db.session.add(OfferingQuota(offering=offering, country_code="KE", seats=2))
    return f"/offerings/{offering.id}/release-quotas", {"next": "/"}


def prepare_nominate_person(ctx):
    person = make_user(f"subject{serial()}@example.org", Role.TRAINEE)
    return f"/nominations/{ctx.world.future_id}/nominate", {
        "person": str(person.id),
        "note": "Our best medic.",
    }


def prepare_invite(ctx):
    return f"/nominations/{ctx.world.future_id}/invite", {"email": f"invitee{serial()}@example.org"}


# Sessions .................................................................................


def scheduling_offering(ctx) -> Offering:
    offering = open_offering()
    offering.instructors.append(db.session.get(User, ctx.world.instructor_id))
    db.session.flush()
    ctx.made["offering_id"] = offering.id
    return offering


def session_data(offering: Offering) -> dict:
    return {
        "title": "Casualty evacuation drill",
        "start_date": (offering.starts_on + timedelta(days=1)).isoformat(),
        "start_time": "09:00",
        "end_time": "11:30",
        "end_date": "",
        "timezone": offering.timezone,
        "location": "Hall B",
        "online_url": "https://meet.example.org/drill",
        "instructor_id": str(offering.instructors[0].id),
        "notes": "Bring helmets.",
    }


def prepare_new_session(ctx):
    offering = scheduling_offering(ctx)
    return f"/manage/offerings/{offering.id}/sessions/new", session_data(offering)


def prepare_edit_session(ctx):
    offering = scheduling_offering(ctx)
    session = add_session(offering, offering.starts_on + timedelta(days=2))
    return (
        f"/manage/offerings/{offering.id}/sessions/{session.id}/edit",
        session_data(offering),
    )


def session_pages(ctx) -> list[str]:
    """The timetable, the offering's feed and each session's calendar file: CRLF in a
    title or a place must not become a line of its own in a calendar."""
    offering_id = ctx.made["offering_id"]
    sessions = db.session.scalars(
        select(TrainingSession.id).where(TrainingSession.offering_id == offering_id)
    )
    return [
        f"/manage/offerings/{offering_id}/sessions",
        f"/feeds/offerings/{offering_id}.ics",
        *(f"/sessions/{session_id}.ics" for session_id in sessions),
    ]


def prepare_clock_change(ctx):
    """A session in New York on the day clocks jump from 02:00 to 03:00."""
    return f"/manage/offerings/{ctx.world.dst_id}/sessions/new", {
        "title": "Night drill",
        "start_date": ctx.world.dst_day.isoformat(),
        "start_time": "01:30",
        "end_time": "04:00",
        "end_date": "",
        "timezone": "America/New_York",
        "location": "Range 2",
        "online_url": "",
        "instructor_id": "",
        "notes": "",
    }


# Times the clock skips (refused) or shows twice (refused, or accepted as one of them).
CLOCK_CHANGE = {
    "start_time": (Value("in the spring gap", "02:30", REJECT),),
    "end_time": (Value("in the spring gap", "02:59", REJECT),),
    "start_date": (Value("autumn fold", lambda ctx: ctx.world.fall_day.isoformat(), REJECT),),
}


def prepare_series(ctx):
    offering = scheduling_offering(ctx)
    first = offering.starts_on
    return f"/manage/offerings/{offering.id}/sessions/series", {
        "title": "Morning drill",
        "frequency": "weekly",
        "weekdays": ["0", "2"],
        "first_date": first.isoformat(),
        "until": offering.ends_on.isoformat(),
        "start_time": "07:00",
        "end_time": "09:00",
        "timezone": offering.timezone,
        "exceptions": (first + timedelta(days=2)).isoformat(),
        "location": "Range 2",
        "online_url": "",
        "instructor_id": "",
        "notes": "",
    }


def session_action(action: str, **fields) -> Prepare:
    def prepare(ctx):
        offering = scheduling_offering(ctx)
        session = add_session(offering, offering.starts_on + timedelta(days=1), **fields)
        return (
            f"/manage/offerings/{offering.id}/sessions/{session.id}/{action}",
            {"next": f"/manage/offerings/{offering.id}/sessions"},
        )

    return prepare


# Records .................................................................................


def prepare_attendance(ctx):
    w = ctx.world
    first, second = w.class_ids
    url = f"/manage/offerings/{w.running_id}/sessions/{w.running_session_id}/attendance"
    return url, {f"mark_{first}": "present", f"mark_{second}": "absent"}


def prepare_results(ctx):
    first, second = ctx.world.class_ids
    return f"/manage/offerings/{ctx.world.running_id}/results", {
        f"result_{first}": "passed",
        f"result_{second}": "passed",
    }


def prepare_trainers(ctx):
    offering = open_offering()
    return f"/manage/offerings/{offering.id}/trainers", {
        "person": str(ctx.world.graduate_id),
        "role": "assistant_trainer",
    }


def prepare_remove_trainer(ctx):
    offering = open_offering()
    graduation = db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == ctx.world.graduate_id,
            Enrolment.status == EnrolmentStatus.COMPLETED,
        )
    )
    db.session.add(
        TrainerAssignment(
            offering=offering,
            user_id=ctx.world.graduate_id,
            role=TrainerRole.CO_TRAINER,
            qualifying_enrolment_id=graduation.id,
        )
    )
    return (
        f"/manage/offerings/{offering.id}/trainers/{ctx.world.graduate_id}/remove",
        {"next": "/manage"},
    )


def prepare_feedback(ctx):
    return f"/offerings/{ctx.world.ended_id}/feedback", {"rating": "4", "comments": "Useful."}


# Calendar feed addresses ...................................................................


def prepare_feed_token(ctx):
    fresh_person(ctx, Role.TRAINEE)
    return "/account/feeds", {"label": "Work phone"}


def profile_page(ctx) -> list[str]:
    return ["/account/profile"]


# Reads: filters and parameters .........................................................

CATALOGUE_PARAMETERS = {
    **dict.fromkeys(
        ("discipline", "level", "programme", "mode", "country", "region", "language", "open"),
        "option parameter",
    ),
    "from": "day parameter",
    "to": "day parameter",
    "q": "text parameter",
    "page": "number parameter",
}
API_PARAMETERS = {
    **CATALOGUE_PARAMETERS,
    "per_page": "number parameter",
    "lang": "option parameter",
}
FEED_PARAMETERS = dict.fromkeys(
    ("discipline", "mode", "country", "language", "bogus"), "option parameter"
)
REPORT_PARAMETERS = {
    "year": "number parameter",
    "discipline": "option parameter",
    "country": "option parameter",
}
LIST_PARAMETERS = {
    "page": "number parameter",
    "per_page": "number parameter",
    "status": "option parameter",
}


def get(url: str, **params) -> Prepare:
    return lambda ctx: (url.format(w=ctx.world), dict(params))


def path(template: str) -> Prepare:
    """A GET whose hostile value goes into the address (``{value}``)."""
    return lambda ctx: (template, {})


TARGETS: tuple[Target, ...] = (
    # Accounts
    Target(
        "register",
        "anonymous",
        prepare_register,
        {
            "name": "text",
            "email": "email",
            "password": "password",
            "country": "choice",
            "timezone": "choice",
            "language": "choice",
            "gender": "choice",
        },
        pairs={"password": "confirm"},
        extra_values={"email": SAME_ADDRESS},
        # The welcome on the page after registering names the person.
        displays=frozenset({"name"}),
    ),
    Target(
        "login",
        "anonymous",
        prepare_login,
        {"email": "email", "password": "password"},
        # Another form of the right address is the same account: logging in is right.
        extra_values={"email": tuple(Value(v.name, v.raw, EITHER) for v in SAME_ADDRESS)},
        expect={("password", "huge"): REJECT},
    ),
    Target(
        "profile",
        "fresh",
        prepare_profile,
        {
            "name": "text",
            "country": "choice",
            "timezone": "choice",
            "language": "choice",
            "gender": "choice",
            "reminders_enabled": "boolean",
        },
        shown=profile_page,
        displays=frozenset({"name"}),
    ),
    Target(
        "password",
        "fresh",
        prepare_password,
        {"pw-current_password": "password", "pw-new_password": "password"},
        pairs={"pw-new_password": "pw-confirm"},
        expect={("pw-current_password", "huge"): REJECT},
    ),
    Target("language", "fresh", prepare_language, {"language": "choice", "next": "next"}),
    # Coordinators
    Target(
        "new course",
        "coordinator",
        prepare_new_course,
        {
            "code": "text",
            "title": "text",
            "content_language": "choice",
            "discipline": "choice",
            "level": "choice",
            "programme": "choice",
            "summary": "longtext",
            "description": "longtext",
            "duration_days": "integer",
            "qualification_valid_years": "integer",
            "prerequisites": "id",
            "translated_title": "text",
            "translated_description": "longtext",
        },
        shown=course_pages,
        displays=frozenset({"title", "summary"}),
    ),
    Target(
        "edit course",
        "coordinator",
        prepare_edit_course,
        {"title": "text", "summary": "longtext", "duration_days": "integer", "level": "choice"},
        shown=course_pages,
        displays=frozenset({"title", "summary"}),
    ),
    Target(
        "publish course",
        "coordinator",
        course_action("publish", CourseStatus.DRAFT),
        {"next": "next"},
    ),
    Target(
        "cancel course",
        "coordinator",
        course_action("cancel", CourseStatus.PUBLISHED),
        {"next": "next"},
    ),
    Target(
        "reinstate course",
        "coordinator",
        course_action("reinstate", CourseStatus.CANCELLED),
        {"next": "next"},
    ),
    Target(
        "new offering",
        "coordinator",
        prepare_new_offering,
        {
            "course_id": "id",
            "delivery_mode": "choice",
            "venue": "text",
            "country": "choice",
            "timezone": "choice",
            "language": "choice",
            "interpretation": "text",
            "starts_on": "date",
            "ends_on": "date",
            "enrolment_opens_on": "date",
            "enrolment_closes_on": "date",
            "capacity": "integer",
            "quotas": "text",
            "health_requirements": "longtext",
        },
        shown=offering_pages,
    ),
    Target(
        "edit offering",
        "coordinator",
        prepare_edit_offering,
        {
            "venue": "text",
            "starts_on": "date",
            "enrolment_closes_on": "date",
            "capacity": "integer",
            "quotas": "text",
            "travel_requirements": "longtext",
        },
        shown=offering_pages,
        displays=frozenset({"venue", "travel_requirements"}),
    ),
    Target(
        "publish offering",
        "coordinator",
        offering_action("publish", OfferingStatus.DRAFT),
        {"next": "next"},
    ),
    Target(
        "cancel offering",
        "coordinator",
        offering_action("cancel", OfferingStatus.PUBLISHED),
        {"next": "next"},
    ),
    Target(
        "offering people",
        "coordinator",
        prepare_people,
        {"instructors": "id", "host": "id", "funder": "id"},
    ),
    Target(
        "new organisation",
        "coordinator",
        prepare_organisation,
        {
            "name": "text",
            "short_name": "text",
            "kind": "choice",
            "country": "choice",
            "next": "next",
        },
    ),
    Target(
        "import plan",
        "coordinator",
        prepare_import,
        {},
        extra_values={"plan": PLAN_FILES},
        shown=course_pages,
        json=False,
    ),
    # Enrolment
    Target("apply", "fresh", prepare_apply, {"next": "next"}),
    Target("watch", "fresh", prepare_watch, {"stop": "boolean", "next": "next"}),
    Target("accept offer", "fresh", prepare_accept, {"next": "next"}),
    Target("withdraw", "fresh", prepare_withdraw, {"next": "next"}),
    Target(
        "nominate",
        "focal",
        enrolment_action("nominate", EnrolmentStatus.APPLIED),
        {"next": "next"},
    ),
    Target(
        "decline",
        "focal",
        enrolment_action("decline", EnrolmentStatus.APPLIED, note=True),
        {"note": "longtext", "next": "next"},
        expect={("note", "huge"): REJECT},
    ),
    Target(
        "select",
        "coordinator",
        enrolment_action("select", EnrolmentStatus.NOMINATED),
        {"next": "next"},
    ),
    Target(
        "remove",
        "coordinator",
        enrolment_action("remove", EnrolmentStatus.CONFIRMED, note=True),
        {"note": "longtext", "next": "next"},
        expect={("note", "huge"): REJECT, ("note", "empty"): REJECT},
    ),
    Target("seat allocation", "coordinator", prepare_allocation, {"allocation": "choice"}),
    Target(
        "prerequisite override",
        "coordinator",
        prepare_override,
        {"email": "email", "reason": "longtext"},
        expect={("reason", "huge"): REJECT, ("reason", "empty"): REJECT},
    ),
    Target("release quotas", "coordinator", prepare_release, {"next": "next"}),
    Target(
        "nominate person",
        "focal",
        prepare_nominate_person,
        {"person": "id", "note": "longtext"},
        expect={("note", "huge"): REJECT},
    ),
    Target(
        "invite",
        "focal",
        prepare_invite,
        {"email": "email"},
        extra_values={"email": SAME_ADDRESS},
        expect={("email", "empty"): REJECT, ("email", "rtl"): REJECT},
    ),
    # Sessions
    Target(
        "new session",
        "coordinator",
        prepare_new_session,
        {
            "title": "text",
            "start_date": "date",
            "start_time": "time",
            "end_time": "time",
            "end_date": "date",
            "timezone": "choice",
            "location": "text",
            "online_url": "text",
            "instructor_id": "id",
            "notes": "longtext",
        },
        shown=session_pages,
        displays=frozenset({"title", "location"}),
        extra_values={
            "online_url": (
                Value("javascript", "javascript:alert(1)", REJECT),
                Value("data", "data:text/html,<script>alert(1)</script>", REJECT),
            )
        },
    ),
    Target(
        "clock change",
        "coordinator",
        prepare_clock_change,
        {},
        extra_values=CLOCK_CHANGE,
        mass_assignment=False,
        json=False,
    ),
    Target(
        "edit session",
        "instructor",
        prepare_edit_session,
        {"title": "text", "start_time": "time", "location": "text", "notes": "longtext"},
        shown=session_pages,
        displays=frozenset({"title", "location"}),
    ),
    Target(
        "session series",
        "coordinator",
        prepare_series,
        {
            "title": "text",
            "frequency": "choice",
            "weekdays": "id",
            "first_date": "date",
            "until": "date",
            "start_time": "time",
            "exceptions": "text",
        },
        shown=session_pages,
    ),
    Target("cancel session", "coordinator", session_action("cancel"), {"next": "next"}),
    Target(
        "restore session",
        "coordinator",
        session_action("restore", status="cancelled"),
        {"next": "next"},
    ),
    # Records
    Target(
        "attendance",
        "instructor",
        prepare_attendance,
        {},
        extra_values={"mark_{first}": CHOICE, "mark_abc": (Value("forged", "present"),)},
    ),
    Target(
        "results",
        "coordinator",
        prepare_results,
        {},
        extra_values={"result_{first}": CHOICE},
    ),
    Target("trainers", "coordinator", prepare_trainers, {"person": "id", "role": "choice"}),
    Target("remove trainer", "coordinator", prepare_remove_trainer, {"next": "next"}),
    Target(
        "feedback",
        "trainee",
        prepare_feedback,
        {"rating": "integer", "comments": "longtext"},
        extra_values={"rating": (Value("six", "6", REJECT),)},
        expect={("comments", "huge"): REJECT},
    ),
    # Feeds
    Target(
        "feed address",
        "fresh",
        prepare_feed_token,
        {"label": "text"},
        shown=profile_page,
        displays=frozenset({"label"}),
    ),
    # Reads
    Target("catalogue", "anonymous", get("/catalogue"), CATALOGUE_PARAMETERS, method="GET"),
    Target("api offerings", "anonymous", get("/api/v1/offerings"), API_PARAMETERS, method="GET"),
    Target(
        "api offering",
        "anonymous",
        get("/api/v1/offerings/{w.future_id}"),
        {"lang": "option parameter"},
        method="GET",
    ),
    Target(
        "catalogue feed", "anonymous", get("/feeds/catalogue.ics"), FEED_PARAMETERS, method="GET"
    ),
    Target("reports", "coordinator", get("/reports"), REPORT_PARAMETERS, method="GET"),
    Target("reports as focal point", "focal", get("/reports"), REPORT_PARAMETERS, method="GET"),
    Target(
        "report csv", "coordinator", get("/reports/trained.csv"), REPORT_PARAMETERS, method="GET"
    ),
    Target(
        "training capacity",
        "coordinator",
        get("/training-capacity"),
        {"country": "option parameter"},
        method="GET",
    ),
    Target("manage list", "coordinator", get("/manage"), LIST_PARAMETERS, method="GET"),
    Target("enrolment list", "coordinator", get("/enrolments"), LIST_PARAMETERS, method="GET"),
    Target("course page", "anonymous", path("/courses/{value}"), {"<path>": "path"}, method="GET"),
    Target("verify", "anonymous", path("/verify/{value}"), {"<path>": "path"}, method="GET"),
    Target(
        "personal feed",
        "anonymous",
        path("/feeds/me/{value}.ics"),
        {"<path>": "path"},
        method="GET",
    ),
    Target(
        "offering feed",
        "anonymous",
        path("/feeds/offerings/{value}.ics"),
        {"<path>": "path"},
        method="GET",
    ),
    Target(
        "api offering id",
        "anonymous",
        path("/api/v1/offerings/{value}"),
        {"<path>": "path"},
        method="GET",
    ),
    Target(
        "revoke feed address",
        "trainee",
        path("/account/feeds/{value}/revoke"),
        {"<path>": "path"},
    ),
)


@dataclass(frozen=True)
class Case:
    target: Target
    field: str  # a form field or parameter, or one of the <special> cases below
    value: Value
    expect: str

    @property
    def id(self) -> str:
        return f"{self.target.name}|{self.field}|{self.value.name}"


# The cases besides field values that every state-changing target gets.
MASS = "<mass>"  # fields the form does not offer
JSON_BODY = "<json>"  # the data as JSON instead of a form
GET = "<get>"  # GET on the address that changes state
CSRF = "<csrf>"  # an app that checks CSRF tokens: the token missing, foreign or forged

JSON_BODIES = (
    Value("objects", lambda data: {key: {"$ne": None} for key in data}),
    Value("list", lambda data: [list(data)]),
)
CSRF_TOKENS = (Value("missing", "missing"), Value("foreign", "foreign"), Value("forged", "forged"))


def _values(target: Target, name: str, kind: str | None) -> list[Value]:
    if kind in PARAMETER_KINDS:
        values = list(PARAMETER_KINDS[kind])
    elif kind == "path":
        values = list(PATH)
    else:
        values = list(KINDS.get(kind, ()))
    return values + list(target.extra_values.get(name, ()))


def _cases() -> list[Case]:
    cases = []
    for target in TARGETS:
        names = list(target.fields) + [n for n in target.extra_values if n not in target.fields]
        for name in names:
            for value in _values(target, name, target.fields.get(name)):
                expect = target.expect.get((name, value.name), value.expect)
                cases.append(Case(target, name, value, expect))
        if target.method != "POST" or "<path>" in target.fields:
            continue
        if target.mass_assignment:
            cases.append(Case(target, MASS, Value("forged fields", _mass_fields), EITHER))
        if target.json:
            cases += [Case(target, JSON_BODY, body, REJECT) for body in JSON_BODIES]
        cases.append(Case(target, GET, Value("instead of POST", None), EITHER))
        cases += [Case(target, CSRF, token, REJECT) for token in CSRF_TOKENS]
    return cases


CASES = _cases()


# --- Sending -------------------------------------------------------------------------------


def login(client, email: str, token: str | None = None) -> None:
    data = {"email": email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/account/login", data=data)
    assert response.status_code == 302, f"{email} logs in"


def csrf_token_of(client) -> str:
    """The CSRF token a page gives this client's session."""
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert match, "the page carries a CSRF token"
    return match.group(1)


class Stage:
    """The world and the personas' clients, built again for each target: what one
    target's accepted cases leave behind never slows down or changes the next."""

    def __init__(self) -> None:
        self.target: str | None = None
        self.world: World | None = None
        self.personas: dict[str, IsolatedClient] = {}
        self.csrf_app: Flask | None = None
        self.csrf_personas: dict[str, IsolatedClient] = {}
        self.stranger_token: str | None = None

    def enter(self, app: Flask, target: Target) -> World:
        if target.name != self.target:
            db.session.remove()
            clean_tables()
            clear_cache()
            self.world = build_world()
            self.personas = {}
            self.csrf_personas = {}
            self.target = target.name
        return self.world

    def persona(self, app: Flask, name: str) -> IsolatedClient:
        if name not in self.personas:
            client = app.test_client()
            login(client, getattr(self.world, f"{name}_email"))
            self.personas[name] = client
        return self.personas[name]

    def checking_csrf(self, app: Flask) -> Flask:
        """The same site with CSRF protection on, as in production."""
        if self.csrf_app is None:

            class Config(TestingConfig):
                SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
                WTF_CSRF_ENABLED = True

            self.csrf_app = create_app(Config)
            self.csrf_app.test_client_class = IsolatedClient
        return self.csrf_app

    def csrf_client(self, app: Flask, target: Target, ctx: Context) -> IsolatedClient:
        """A client of the CSRF-checking app, logged in as the target's persona (with
        a token, as a browser does)."""
        csrf_app = self.checking_csrf(app)
        persona = target.persona
        if persona in self.csrf_personas:
            return self.csrf_personas[persona]
        client = csrf_app.test_client()
        token = csrf_token_of(client)
        if persona == "fresh":
            login(client, ctx.actor_email, token)
        elif persona != "anonymous":
            login(client, getattr(ctx.world, f"{persona}_email"), token)
            self.csrf_personas[persona] = client
        return client

    def foreign_token(self, app: Flask) -> str:
        """A valid token, of another visitor's session."""
        if self.stranger_token is None:
            self.stranger_token = csrf_token_of(self.checking_csrf(app).test_client())
        return self.stranger_token

    def close(self) -> None:
        if self.csrf_app is not None:
            with self.csrf_app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="module")
def stage(app):
    staged = Stage()
    yield staged
    staged.close()
    with app.app_context():
        db.session.remove()
        clean_tables()
        clear_cache()


@pytest.fixture
def app_context(app):
    """Overrides the suite's: tables are cleaned per target by ``Stage``, not per test."""
    with app.app_context():
        yield
        db.session.remove()


def client_for(app: Flask, case: Case, ctx: Context, stage: Stage) -> IsolatedClient:
    target = case.target
    if case.field == CSRF:
        return stage.csrf_client(app, target, ctx)
    if target.persona not in ("anonymous", "fresh"):
        return stage.persona(app, target.persona)
    client = app.test_client()
    if target.persona == "fresh":
        assert ctx.actor_email, f"{target.name}: prepare names the person acting"
        login(client, ctx.actor_email)
    return client


def csrf_value(kind: str, foreign: Callable[[], str]) -> str | None:
    if kind == "missing":
        return None
    if kind == "foreign":  # valid, but for another visitor's session
        return foreign()
    # Signed with another site's key.
    return URLSafeTimedSerializer("another-site", salt="wtf-csrf-token").dumps("0" * 40)


def build_request(
    case: Case, ctx: Context, url: str, data: dict, foreign: Callable[[], str]
) -> tuple[str, dict]:
    """The URL and the keyword arguments of the request for ``case``."""
    target, value = case.target, case.value
    name = case.field.format(first=ctx.world.class_ids[0])
    method = target.method
    if name == JSON_BODY:
        body = json.dumps(value.raw(data))
        return url, {"method": method, "data": body, "content_type": "application/json"}
    if name == GET:
        return url + "?" + urlencode(data, doseq=True), {"method": "GET"}
    if name == CSRF:
        token = csrf_value(value.raw, foreign)
        if token is not None:
            data["csrf_token"] = token
        return url, {"method": method, "data": data}
    raw = value.raw(ctx) if callable(value.raw) else value.raw
    if name == MASS:
        data.update({k: v for k, v in raw.items() if k not in data})
    elif name == "<path>":
        url = url.replace("{value}", quote(raw, safe=""))
    elif name == "plan" and raw == "":
        data.pop("plan")
    else:
        data[name] = raw
        if name in target.pairs:
            data[target.pairs[name]] = raw
    if method == "GET":
        query = urlencode(data, doseq=True)
        return (url + "?" + query if query else url), {"method": "GET"}
    return url, {"method": method, "data": data}


def check_accepted(case: Case, ctx: Context, client, response, before, after) -> None:
    """An accepted value: shown safely, nothing set that the form does not offer."""
    where = case.id
    if case.expect == REJECT:
        pytest.fail(f"{where}: accepted ({response.status_code}), should be refused")
    if case.field == GET:
        # A confirmation page, never the change itself.
        assert after == before, f"{where}: GET changed:\n{describe_changes(before, after)}"
        return
    pages = []
    if 300 <= response.status_code < 400:
        location = assert_safe_redirect(response, where)
        pages.append(location)
    if case.target.shown is not None:
        pages += case.target.shown(ctx)
    bodies = []
    for page in pages:
        shown = client.get(page)
        assert shown.status_code < 500, f"{where}: {page} answers {shown.status_code}"
        assert_safe_response(shown, f"{where} then {page}")
        bodies.append(shown.get_data(as_text=True))
    if case.field in case.target.displays and case.value.name in {"script", "template"}:
        expected = "&lt;script&gt;alert(" if case.value.name == "script" else "{{7*7}}"
        assert any(expected in body for body in bodies), f"{where}: the text is not shown"
    if case.field == MASS:
        assert_nothing_forged(case, ctx, before, after)


def assert_nothing_forged(case: Case, ctx: Context, before, after) -> None:
    changes = changed_rows(before, after)
    for row in changes.get("user_roles", []):
        assert row["role"] != "admin", f"{case.id}: an admin role was granted"
    for table, rows in changes.items():
        for row in rows:
            assert row.get("country_code") != "FR", f"{case.id}: {table} took the forged country"
            if case.target.name != "results":
                assert row.get("status") != "completed", f"{case.id}: {table} took the status"
            if table in {"enrolments", "feed_tokens", "enrolment_watches", "feedback"}:
                assert row.get("user_id") != ctx.world.bystander_id, (
                    f"{case.id}: {table} row made for someone else"
                )
            if table == "users":
                assert row["active"], f"{case.id}: the account was deactivated"
                assert row["session_version"] != 99, f"{case.id}: session version forged"


def excerpt(response) -> str:
    body = response.get_data(as_text=True)
    start = body.find('<main id="content"')
    return body[start : start + 3000] if start >= 0 else body[:3000]


# Found here, to be fixed where another change is under way (reported, not patched):
# ``normalise_email`` (catalog/auth/services.py) lower-cases but does not apply NFC,
# so "josé" typed with a combining accent is a second account, or a second invitation.
KNOWN_BUGS: dict[str, str] = {}


def _params():
    for case in CASES:
        marks = []
        if case.id in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case.id]))
        yield pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input(case: Case, app, stage):
    world = stage.enter(app, case.target)
    ctx = Context(world)
    url, data = case.target.prepare(ctx)
    db.session.commit()
    client = client_for(app, case, ctx, stage)
    url, kwargs = build_request(case, ctx, url, data, lambda: stage.foreign_token(app))

    before = dump()
    response = client.open(url, **kwargs)
    after = dump()

    status = response.status_code
    assert status < 500, f"{case.id}: {status}\n{excerpt(response)}"
    assert_safe_response(response, case.id)
    if status >= 400:
        assert human_message(response), (
            f"{case.id}: {status} without a message a person understands:\n{excerpt(response)}"
        )
        assert after == before, f"{case.id}: refused, yet wrote:\n{describe_changes(before, after)}"
    else:
        if case.target.method == "GET":
            assert after == before, f"{case.id}: a read wrote:\n{describe_changes(before, after)}"
        check_accepted(case, ctx, client, response, before, after)
