"""Test data for feeds, and the truth every parser's reading is held against.

The truth is read back from the database (``TrainingSession.starts_at`` and
``ends_at`` in UTC, ``status``, ``revision``), never from the feed or from another
parser: two parsers that agree on the wrong hour prove nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalog.extensions import db
from catalog.models import (
    DeliveryMode,
    Enrolment,
    EnrolmentStatus,
    Offering,
    OfferingStatus,
    SessionStatus,
    TrainingSession,
)
from tests.factories import make_course, make_offering
from tests.feeds.parsers import ParsedFeed

HOST = "localhost"  # the test client's host, and so the UIDs' domain
SITE = f"http://{HOST}"

# Text that must survive escaping in every parser: TEXT separators, a backslash,
# line breaks, and scripts that take two to four octets a character.
AWKWARD_TEXT = (
    "Logistics, supply; and C:\\temp\\n (not a newline)\n"
    "Second line\r\nThird line\n"
    "العربية: التدريب على حفظ السلام\n"
    "日本語: 平和維持活動の訓練\n"
    "አማርኛ: የሰላም ማስከበር ስልጠና\n"
    'Quotes " and emoji 🕊️'
)
INJECTION = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@example.org\r\nSUMMARY:evil"


def offering_for(
    zone: str,
    first_day: date,
    last_day: date,
    *,
    course_title: str = "Heavy Engineering Equipment Basic",
    mode: DeliveryMode = DeliveryMode.IN_PERSON,
    **fields,
) -> Offering:
    """A published offering in ``zone`` running over the given days."""
    course = make_course(title=course_title)
    fields.setdefault("enrolment_opens_on", first_day - timedelta(days=60))
    fields.setdefault("enrolment_closes_on", first_day - timedelta(days=1))
    offering = make_offering(
        course, starts_on=first_day, ends_on=last_day, timezone=zone, delivery_mode=mode, **fields
    )
    offering.sync_enrolment_window()
    db.session.flush()
    return offering


def add_session(
    offering: Offering,
    local_start: datetime,
    *,
    hours: float = 2,
    zone: str | None = None,
    title: str = "Session",
    **fields,
) -> TrainingSession:
    """A session starting at the naive wall-clock ``local_start`` in ``zone``
    (the offering's by default), stored in UTC as the authoring pages store it."""
    zone = zone or offering.timezone
    start = local_start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    session = TrainingSession(
        offering=offering,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        timezone=zone,
        status=fields.pop("status", SessionStatus.SCHEDULED),
        revision=fields.pop("revision", 0),
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    return session


def weekly_sessions(
    offering: Offering, first_local: datetime, weeks: int, **fields
) -> list[TrainingSession]:
    """The same wall-clock time every week, whatever the zone's offset does."""
    return [
        add_session(
            offering, first_local + timedelta(weeks=week), title=f"Week {week + 1}", **fields
        )
        for week in range(weeks)
    ]


def move(session: TrainingSession, new_start: datetime, hours: float = 2) -> None:
    """A moved session: a new time and a higher revision, as the authoring pages do."""
    session.starts_at = new_start.astimezone(UTC)
    session.ends_at = session.starts_at + timedelta(hours=hours)
    session.revision = session.revision + 1
    db.session.flush()


def cancel(session: TrainingSession) -> None:
    session.status = SessionStatus.CANCELLED
    session.revision = session.revision + 1
    db.session.flush()


def confirm(user, offering: Offering, status: EnrolmentStatus = EnrolmentStatus.CONFIRMED):
    enrolment = Enrolment(user=user, offering=offering, status=status)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def backdate(by: timedelta) -> None:
    """Date every row's last change ``by`` before now, as if the data were set up earlier.

    Feeds offer Last-Modified only once its second has passed (a date in the running
    second is a weak validator), so tests that send it back need data that is older.
    """
    from sqlalchemy import update

    from catalog.models import Course

    db.session.flush()
    earlier = datetime.now(UTC) - by
    for model in (Course, Offering, TrainingSession, Enrolment):
        db.session.execute(
            update(model).values(updated_at=earlier),
            execution_options={"synchronize_session": False},
        )
    db.session.expire_all()


# --- The truth ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What the database says about one session, as a calendar should show it."""

    uid: str
    start: datetime
    end: datetime
    status: str
    sequence: int
    summary: str
    page: str
    location: str
    online_url: str


def truth(session_ids) -> dict[str, Truth]:
    """The sessions as committed in the database, keyed by the UID feeds give them."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.id.in_(list(session_ids)))
        .options(joinedload(TrainingSession.offering).joinedload(Offering.course))
    ).all()
    result = {}
    for row in rows:
        cancelled = (
            row.status == SessionStatus.CANCELLED or row.offering.status == OfferingStatus.CANCELLED
        )
        summary = f"{row.offering.course.code}: {_normalised(row.title)}"
        result[f"session-{row.id}@{HOST}"] = Truth(
            uid=f"session-{row.id}@{HOST}",
            start=row.starts_at.astimezone(UTC),
            end=row.ends_at.astimezone(UTC),
            status="CANCELLED" if cancelled else "CONFIRMED",
            sequence=row.revision,
            summary=("Cancelled: " + summary) if cancelled else summary,
            page=f"{SITE}/offerings/{row.offering_id}",
            location=_normalised(row.location or row.online_url or row.offering.venue),
            online_url=row.online_url,
        )
    return result


def _normalised(text: str) -> str:
    """TEXT has one line break, written \\n: a CRLF or a CR comes back as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def assert_matches_truth(feed: ParsedFeed, expected: dict[str, Truth]) -> None:
    """Every session event the parser read is the database's session, and no other."""
    sessions = {e.uid: e for e in feed.events if e.uid.startswith("session-")}
    assert sorted(sessions) == sorted(expected), f"{feed.parser} read other sessions"
    for uid, want in expected.items():
        got = sessions[uid]
        where = f"{feed.parser}, {uid}"
        assert got.start == want.start, f"{where}: starts {got.start}, truth {want.start}"
        assert got.end == want.end, f"{where}: ends {got.end}, truth {want.end}"
        assert got.status == want.status, f"{where}: status {got.status}"
        assert got.sequence == want.sequence, f"{where}: SEQUENCE {got.sequence}"
        assert got.summary == want.summary, f"{where}: SUMMARY {got.summary!r}"
        assert got.url == want.page, f"{where}: URL {got.url!r}"
        assert want.page in got.description, f"{where}: no page link in DESCRIPTION"
        assert got.location == want.location, f"{where}: LOCATION {got.location!r}"
        if want.online_url:
            assert got.conference == want.online_url, f"{where}: CONFERENCE {got.conference!r}"
            assert want.online_url in got.description, f"{where}: no online link in DESCRIPTION"
        else:
            assert not got.conference, f"{where}: CONFERENCE without an online link"


# --- One catalogue with every case the feeds must carry ----------------------------------


@dataclass
class Scenario:
    """Ids of what ``build_scenario`` made (objects expire between requests)."""

    new_york: int  # offering: weekly 09:00 sessions across 14 March 2027
    london: int  # offering: weekly 09:00 sessions across 28 March 2027
    nairobi: int  # offering: recent past, with a cancelled session 10 and 40 days ago
    draft: int  # offering never published: in no feed
    new_york_sessions: list[int]
    london_sessions: list[int]
    nairobi_sessions: list[int]  # those still inside the 30-day window
    gone_session: int  # cancelled and ended 40 days ago: out of every feed
    cancelled: int
    moved: int
    online: int
    awkward: int
    long_title: int
    injected: int
    taught_alone: int  # a Nairobi session whose instructor teaches no other part
    trainee_id: int  # confirmed on New York, applied (not confirmed) on London
    instructor_id: int  # teaches London, and one Nairobi session

    @property
    def listed_sessions(self) -> list[int]:
        return self.new_york_sessions + self.london_sessions + self.nairobi_sessions


def build_scenario(now: datetime | None = None) -> Scenario:
    from catalog.models import Role
    from tests.factories import make_user

    now = now or datetime.now(UTC)
    new_york = offering_for(
        "America/New_York",
        date(2027, 3, 1),
        date(2027, 3, 31),
        country_code="US",
        venue="New York",
        course_title="Protection of Civilians, Advanced; Part 2",
    )
    ny = weekly_sessions(new_york, datetime(2027, 3, 1, 9, 0), 5, location="Room 4, UN HQ")
    cancel(ny[2])  # 15 March, the first week of daylight saving
    move(ny[3], datetime(2027, 3, 23, 10, 0, tzinfo=ZoneInfo("America/New_York")))
    online = add_session(
        new_york,
        datetime(2027, 3, 30, 14, 0),
        title="Online debrief",
        online_url="https://meet.example.org/j/123?pwd=a;b",
    )
    awkward = add_session(
        new_york,
        datetime(2027, 3, 31, 9, 0),
        title=AWKWARD_TEXT[:200],
        location="Salle 2, étage 3; bâtiment \\B\\",
        notes=AWKWARD_TEXT,
    )
    long_title = add_session(
        new_york, datetime(2027, 3, 31, 13, 0), title=("平和維持 የሰላም ማስከበር حفظ " * 12)[:200]
    )
    injected = add_session(new_york, datetime(2027, 3, 31, 16, 0), title=INJECTION)

    london = offering_for(
        "Europe/London", date(2027, 3, 15), date(2027, 4, 9), country_code="GB", venue="London"
    )
    ldn = weekly_sessions(london, datetime(2027, 3, 15, 9, 0), 4)

    today = now.date()
    nairobi = offering_for(
        "Africa/Nairobi",
        today - timedelta(days=45),
        today + timedelta(days=5),
        enrolment_opens_on=today - timedelta(days=100),
        enrolment_closes_on=today - timedelta(days=50),
    )
    local_now = now.astimezone(ZoneInfo("Africa/Nairobi")).replace(tzinfo=None, microsecond=0)
    gone = add_session(nairobi, local_now - timedelta(days=40), title="Long gone")
    cancel(gone)
    recent = add_session(nairobi, local_now - timedelta(days=10), title="Called off")
    cancel(recent)
    upcoming = add_session(nairobi, local_now + timedelta(days=2), title="Field day")

    draft = offering_for(
        "Africa/Nairobi", date(2027, 5, 3), date(2027, 5, 7), status=OfferingStatus.DRAFT
    )
    add_session(draft, datetime(2027, 5, 3, 9, 0), title="Draft session")

    trainee = make_user("trainee.feeds@example.org")
    confirm(trainee, new_york)
    confirm(trainee, london, EnrolmentStatus.APPLIED)
    instructor = make_user(
        "instructor.feeds@example.org", Role.INSTRUCTOR, timezone="Europe/London"
    )
    london.instructors.append(instructor)
    upcoming.instructor = instructor
    db.session.flush()
    backdate(timedelta(hours=1))
    return Scenario(
        new_york=new_york.id,
        london=london.id,
        nairobi=nairobi.id,
        draft=draft.id,
        new_york_sessions=[s.id for s in (*ny, online, awkward, long_title, injected)],
        london_sessions=[s.id for s in ldn],
        nairobi_sessions=[recent.id, upcoming.id],
        gone_session=gone.id,
        cancelled=ny[2].id,
        moved=ny[3].id,
        online=online.id,
        awkward=awkward.id,
        long_title=long_title.id,
        injected=injected.id,
        taught_alone=upcoming.id,
        trainee_id=trainee.id,
        instructor_id=instructor.id,
    )
