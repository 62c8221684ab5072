"""catalog.feeds.ical from plain data: the bytes, read by parsers others wrote.

No database here: each test builds events itself, so the expected instants are
computed with zoneinfo from the wall-clock times a person would have entered.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from catalog.feeds import ical
from catalog.feeds.ical import AllDayEvent, CalendarInfo, TimedEvent, build_calendar
from tests.feeds import parsers, rules
from tests.feeds.support import AWKWARD_TEXT, INJECTION

MODIFIED = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
INFO = CalendarInfo(
    uid="calendar-test@example.org",
    name="Peacekeeping training",
    description="Sessions",
    source_url="https://example.org/feeds/catalogue.ics",
)


def timed(
    uid: str,
    local_start: datetime,
    zone: str,
    *,
    hours: float = 2,
    summary: str = "Session",
    **fields,
) -> TimedEvent:
    start = local_start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    values = {
        "description": "Details: https://example.org/offerings/1",
        "url": "https://example.org/offerings/1",
        "location": "Room 1",
        "cancelled": False,
        "sequence": 0,
        "modified": MODIFIED,
        **fields,
    }
    return TimedEvent(
        uid=uid,
        summary=summary,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        timezone=zone,
        **values,
    )


def weekly(zone: str, first: datetime, weeks: int) -> list[TimedEvent]:
    return [
        timed(f"{zone}-{week}@example.org", first + timedelta(weeks=week), zone)
        for week in range(weeks)
    ]


def read_all(body: bytes, reader) -> dict[str, parsers.ParsedEvent]:
    return reader(body).by_uid()


# --- Times across daylight-saving changes ------------------------------------------------


DST_CASES = {
    # Clocks go forward on 14 March 2027 in New York and on 28 March in London.
    "America/New_York": datetime(2027, 3, 1, 9, 0),
    "Europe/London": datetime(2027, 3, 8, 9, 0),
    # And back on 31 October 2027 in London; no daylight saving in Nairobi and Tokyo.
    "Europe/London (autumn)": datetime(2027, 10, 17, 18, 30),
    "Africa/Nairobi": datetime(2027, 3, 1, 9, 0),
    "Asia/Tokyo": datetime(2027, 3, 1, 9, 0),
}


@pytest.mark.parametrize("case", DST_CASES)
def test_weekly_sessions_across_a_clock_change_read_at_the_right_instant(case, any_reader):
    zone = case.split(" ")[0]
    events = weekly(zone, DST_CASES[case], 5)
    body = build_calendar(INFO, events)
    assert rules.feed_problems(body) == []
    read = read_all(body, any_reader)
    offsets = set()
    for event in events:
        got = read[event.uid]
        assert (got.start, got.end) == (event.starts_at, event.ends_at), event.uid
        offsets.add(event.starts_at.astimezone(ZoneInfo(zone)).utcoffset())
    # The same 09:00 every week: two different UTC offsets in the zones that change.
    assert len(offsets) == (1 if zone in {"Africa/Nairobi", "Asia/Tokyo"} else 2)


def test_times_in_summer_and_winter_match_the_zone_database(any_reader):
    """The two readings FEEDS.md saw go wrong with RDATE-list zones."""
    new_york = timed("ny@example.org", datetime(2027, 7, 6, 9, 0), "America/New_York")
    london = timed("ldn@example.org", datetime(2027, 1, 12, 9, 0), "Europe/London")
    read = read_all(build_calendar(INFO, [new_york, london]), any_reader)
    assert read["ny@example.org"].start == datetime(2027, 7, 6, 13, 0, tzinfo=UTC)
    assert read["ldn@example.org"].start == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)


def test_a_session_that_spans_the_night_of_the_change(any_reader):
    # 22:00 on 13 March to 04:00 on 14 March in New York is five hours, not six.
    event = timed("night@example.org", datetime(2027, 3, 13, 22, 0), "America/New_York", hours=5)
    got = read_all(build_calendar(INFO, [event]), any_reader)["night@example.org"]
    assert got.start == datetime(2027, 3, 14, 3, 0, tzinfo=UTC)
    assert got.end - got.start == timedelta(hours=5)


def test_utc_sessions_are_written_in_utc_without_a_vtimezone(any_reader):
    event = timed("utc@example.org", datetime(2027, 5, 1, 12, 0), "UTC")
    body = build_calendar(INFO, [event])
    assert b"DTSTART:20270501T120000Z\r\n" in body
    assert b"BEGIN:VTIMEZONE" not in body
    assert read_all(body, any_reader)["utc@example.org"].start == event.starts_at


def test_each_zone_used_has_one_vtimezone_with_one_observance_per_change_and_no_rdate():
    events = weekly("America/New_York", datetime(2027, 3, 1, 9), 3) + weekly(
        "Europe/London", datetime(2027, 3, 1, 9), 3
    )
    body = build_calendar(INFO, events)
    assert rules.feed_problems(body) == []
    root = rules.parse(body)
    zones = {zone.first("TZID").value: zone for zone in root.walk("VTIMEZONE")}
    assert sorted(zones) == ["America/New_York", "Europe/London"]
    assert b"RDATE" not in body
    new_york = zones["America/New_York"]
    onsets = sorted(o.first("DTSTART").value for o in new_york.children)
    # The window is the events' years, one either side: 2026 to 2028.
    assert "20270314T020000" in onsets and "20271107T020000" in onsets
    assert all(not o.all("RRULE") for o in new_york.children)


# --- Text ------------------------------------------------------------------------------------


def test_awkward_text_reads_back_unchanged(any_reader):
    event = timed(
        "text@example.org",
        datetime(2027, 2, 1, 9),
        "Africa/Addis_Ababa",
        summary=AWKWARD_TEXT,
        description=AWKWARD_TEXT,
        location=AWKWARD_TEXT,
    )
    body = build_calendar(INFO, [event])
    assert rules.feed_problems(body) == []
    got = read_all(body, any_reader)["text@example.org"]
    expected = AWKWARD_TEXT.replace("\r\n", "\n")
    assert (got.summary, got.description, got.location) == (expected, expected, expected)


def test_an_injected_component_stays_text_in_one_event(any_reader):
    event = timed("inject@example.org", datetime(2027, 2, 1, 9), "UTC", summary=INJECTION)
    body = build_calendar(INFO, [event])
    assert rules.feed_problems(body) == []
    assert body.count(b"\r\nBEGIN:VEVENT\r\n") == 1
    assert b"\r\nSUMMARY:evil" not in body and b"\r\nUID:evil" not in body
    feed = any_reader(body)
    assert [e.uid for e in feed.events] == ["inject@example.org"]
    assert feed.events[0].summary == INJECTION.replace("\r\n", "\n")


@pytest.mark.parametrize(
    "separator",
    ["\r", "\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\x00", "\x1b"],
    ids=["CR", "LF", "VT", "FF", "FS", "NEL", "LS", "PS", "NUL", "ESC"],
)
def test_no_line_break_or_control_character_can_split_or_spoil_the_feed(separator, reader):
    """RFC 5545 TEXT holds no control character but HTAB; `ical` refuses a whole
    feed that has one, and some readers split lines on characters other than LF."""
    text = INJECTION.replace("\r\n", separator)
    event = timed("sep@example.org", datetime(2027, 2, 1, 9), "UTC", summary=text, location=text)
    info = CalendarInfo(uid="c@example.org", name=text, description=text, source_url="")
    body = build_calendar(info, [event])
    assert rules.feed_problems(body) == []
    feed = reader(body)
    assert [e.uid for e in feed.events] == ["sep@example.org"]
    assert "evil" in feed.events[0].summary


def test_calendar_level_text_is_escaped_or_kept_on_one_line(any_reader):
    name = "ENG-101 Logistics, supply; C:\\temp\r\nX-INJECTED:yes"
    info = CalendarInfo(uid="c@example.org", name=name, description=name, source_url="")
    body = build_calendar(info, [timed("a@example.org", datetime(2027, 2, 1, 9), "UTC")])
    assert rules.feed_problems(body) == []
    assert b"\r\nX-INJECTED" not in body
    root = rules.parse(body)
    # NAME is TEXT (RFC 7986): escaped. X-WR-CALNAME is written as it is read, on one line.
    assert root.first("NAME").value == "ENG-101 Logistics\\, supply\\; C:\\\\temp\\nX-INJECTED:yes"
    assert root.first("X-WR-CALNAME").value == "ENG-101 Logistics, supply; C:\\temp X-INJECTED:yes"
    shown = "ENG-101 Logistics, supply; C:\\temp X-INJECTED:yes"
    if any_reader is parsers.read_vobject:
        # vobject reads every X- property as TEXT, so a raw comma ends its value; the
        # others read X-WR-CALNAME raw, as most producers write it (see the report).
        shown = shown.split(",")[0]
    feed = any_reader(body)
    assert feed.calendar_name == shown
    assert len(feed.events) == 1


def test_a_200_character_title_in_three_scripts_folds_on_character_boundaries(any_reader):
    title = ("የሰላም ማስከበር 平和維持 حفظ السلام " * 10)[:200]
    assert len(title) == 200
    event = timed("long@example.org", datetime(2027, 2, 1, 9), "Asia/Tokyo", summary=title)
    body = build_calendar(INFO, [event])
    assert rules.feed_problems(body) == []  # <= 75 octets, each line valid UTF-8, CRLF
    assert max(len(line) for line in body.split(b"\r\n")) <= 75
    assert read_all(body, any_reader)["long@example.org"].summary == title


# --- Events and the calendar ----------------------------------------------------------------


def test_a_cancelled_event_keeps_its_uid_with_status_and_a_prefix(any_reader):
    event = timed(
        "c@example.org", datetime(2027, 2, 1, 9), "Europe/London", cancelled=True, sequence=3
    )
    body = build_calendar(INFO, [event])
    assert b"STATUS:CANCELLED\r\n" in body and b"CANCELED" not in body
    got = read_all(body, any_reader)["c@example.org"]
    assert (got.status, got.sequence, got.summary) == ("CANCELLED", 3, "Cancelled: Session")


def test_online_sessions_carry_the_link_as_conference_location_and_description(any_reader):
    link = "https://meet.example.org/j/123?pwd=a;b&x=%2C"
    event = timed(
        "o@example.org",
        datetime(2027, 2, 1, 9),
        "UTC",
        location=link,
        description=f"Join online: {link}",
        conference_url=link,
    )
    body = build_calendar(INFO, [event])
    assert b"CONFERENCE;FEATURE=VIDEO;VALUE=URI:" in body.replace(b"\r\n ", b"")
    got = read_all(body, any_reader)["o@example.org"]
    assert (got.conference, got.location) == (link, link)
    assert link in got.description


def test_all_day_events_end_on_the_day_after(any_reader):
    event = AllDayEvent(
        uid="d@example.org",
        summary="Course",
        description="",
        url="https://example.org/offerings/1",
        location="Nairobi",
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 5),
        cancelled=False,
        sequence=1,
        modified=MODIFIED,
    )
    body = build_calendar(INFO, [event])
    assert b"DTSTART;VALUE=DATE:20270301\r\nDTEND;VALUE=DATE:20270306\r\n" in body
    got = read_all(body, any_reader)["d@example.org"]
    assert (got.start, got.end) == (date(2027, 3, 1), date(2027, 3, 6))


def test_the_calendar_carries_its_names_refresh_hints_and_no_method():
    body = build_calendar(INFO, [timed("a@example.org", datetime(2027, 2, 1, 9), "UTC")])
    root = rules.parse(body)
    assert root.first("UID").value == INFO.uid
    assert root.first("NAME").value == root.first("X-WR-CALNAME").value == INFO.name
    assert root.first("REFRESH-INTERVAL").params == {"VALUE": "DURATION"}
    assert root.first("REFRESH-INTERVAL").value == "PT6H"
    assert root.first("X-PUBLISHED-TTL").value == "PT6H"
    assert root.first("METHOD") is None
    assert root.first("SOURCE").value == INFO.source_url


def test_two_builds_of_the_same_data_give_the_same_bytes():
    events = weekly("America/New_York", datetime(2027, 3, 1, 9), 4)
    first = build_calendar(INFO, events)
    ical.event_bytes.cache_clear()  # not the cache answering: the same bytes from scratch
    again = build_calendar(INFO, list(events))
    assert first == again
    assert not re.search(rb"DTSTAMP:2026112[7-9]", first)  # never now()


def test_dtstamp_and_last_modified_come_from_the_data():
    body = build_calendar(INFO, [timed("a@example.org", datetime(2027, 2, 1, 9), "UTC")])
    assert b"DTSTAMP:20261101T083000Z\r\n" in body
    assert b"LAST-MODIFIED:20261101T083000Z\r\n" in body


# --- The checks themselves -------------------------------------------------------------------


GOOD = build_calendar(INFO, weekly("America/New_York", datetime(2027, 3, 1, 9), 2))
DEFECTS = {
    "bare LF": (lambda b: b.replace(b"\r\n", b"\n", 3), "bare CR or LF"),
    "long line": (lambda b: b.replace(b"SUMMARY:Session", b"SUMMARY:" + b"x" * 80), "octets"),
    "fold inside a character": (
        lambda b: b.replace(b"SUMMARY:Session", "SUMMARY:Sess\u00e9".encode()[:-1] + b"\r\n \xa9"),
        "UTF-8",
    ),
    "CANCELED": (lambda b: b.replace(b"STATUS:CONFIRMED", b"STATUS:CANCELED", 1), "CANCELED"),
    "RDATE": (
        lambda b: b.replace(
            b"TZOFFSETTO:-0400\r\n", b"TZOFFSETTO:-0400\r\nRDATE:20280312T020000\r\n"
        ),
        "RDATE",
    ),
    "missing VTIMEZONE": (
        lambda b: b.replace(b"TZID=America/New_York", b"TZID=America/Chicago", 1),
        "no VTIMEZONE for TZID America/Chicago",
    ),
    "duplicate UID": (lambda b: b.replace(b"-1@example.org", b"-0@example.org"), "used by 2"),
    "floating time": (
        lambda b: b.replace(b"DTSTART;TZID=America/New_York:", b"DTSTART:", 1),
        "floating",
    ),
    "METHOD": (
        lambda b: b.replace(b"VERSION:2.0\r\n", b"VERSION:2.0\r\nMETHOD:PUBLISH\r\n"),
        "METHOD",
    ),
    "UNTIL with a zone": (
        lambda b: b.replace(
            b"SEQUENCE:0\r\n", b"SEQUENCE:0\r\nRRULE:FREQ=WEEKLY;UNTIL=20270401T090000\r\n", 1
        ),
        "UNTIL",
    ),
    "no SEQUENCE": (lambda b: b.replace(b"SEQUENCE:0\r\n", b"", 1), "no SEQUENCE"),
    "wrong offset in the VTIMEZONE": (
        lambda b: b.replace(b"TZOFFSETTO:-0500", b"TZOFFSETTO:-0600"),
        "VTIMEZONE says",
    ),
    "control character": (
        lambda b: b.replace(b"SUMMARY:Session", b"SUMMARY:Se\x0bssion", 1),
        "control",
    ),
    "REFRESH-INTERVAL untyped": (
        lambda b: b.replace(b"REFRESH-INTERVAL;VALUE=DURATION:", b"REFRESH-INTERVAL:"),
        "VALUE=DURATION",
    ),
}


def test_the_good_feed_passes_the_checks():
    assert rules.feed_problems(GOOD) == []


@pytest.mark.parametrize("defect", DEFECTS)
def test_the_checks_catch_each_defect(defect):
    spoil, expected = DEFECTS[defect]
    spoiled = spoil(GOOD)
    assert spoiled != GOOD
    problems = rules.feed_problems(spoiled)
    assert any(expected in problem for problem in problems), problems


def test_parsers_read_times_from_the_feeds_own_vtimezone(reader):
    """A wrong VTIMEZONE must show in what vobject and ical.js read, or comparing
    their times with the database would prove nothing. `ical` resolves IANA names
    with the system's zone database instead, so it reads the true time whatever the
    VTIMEZONE says (which is what its users, Home Assistant among them, see)."""
    event = timed("ny@example.org", datetime(2027, 7, 6, 9, 0), "America/New_York")
    body = build_calendar(INFO, [event])
    wrong = body.replace(b"TZOFFSETTO:-0400", b"TZOFFSETTO:-0300")
    got = reader(wrong).by_uid()["ny@example.org"].start
    if reader is parsers.read_ical:
        assert got == event.starts_at
    else:
        assert got == event.starts_at - timedelta(hours=1)
