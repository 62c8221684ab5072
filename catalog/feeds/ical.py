"""iCalendar feeds built from plain data (no Flask, no database).

Rules the calendar clients need (see FEEDS.md in the project's shared notes): a
fixed calendar UID, no METHOD in subscription feeds, stable event UIDs,
DTSTAMP and LAST-MODIFIED from the data so unchanged data gives unchanged
bytes, SEQUENCE from the session's revision, TZID times with a VTIMEZONE for
each zone used, STATUS:CANCELLED events kept, and all text escaped.

Each event is serialised once and cached by its content; a feed joins the
cached pieces, so rebuilding after one change costs one event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, vText

from catalog.feeds.timezones import vtimezone

PRODID = "-//Peacekeeping Training Catalogue//Training sessions//EN"
REFRESH = timedelta(hours=6)
_LINE_BREAKS = re.compile(r"\r\n?")
# RFC 5545 TEXT may hold no control character but HTAB (and the escaped newline).
# `ical` (PyPI) refuses a whole feed with one, so one stray character in a title
# would empty the calendar of everyone subscribed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarInfo:
    uid: str
    name: str
    description: str
    source_url: str
    timezone: str = "UTC"  # a display hint only (X-WR-TIMEZONE)
    method: str | None = None  # only for e-mail invitations (REQUEST, CANCEL)


@dataclass(frozen=True)
class TimedEvent:
    uid: str
    summary: str
    description: str
    url: str
    location: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    timezone: str
    cancelled: bool
    sequence: int
    modified: datetime  # aware UTC: DTSTAMP and LAST-MODIFIED
    conference_url: str = ""
    organizer: str = ""  # mailto: address, needed with METHOD
    # The SUMMARY of a cancelled event, in the feed's language.
    cancelled_format: str = "Cancelled: %(summary)s"
    attendee: str = ""  # mailto: address of the invitation's recipient


@dataclass(frozen=True)
class AllDayEvent:
    uid: str
    summary: str
    description: str
    url: str
    location: str
    first_day: date
    last_day: date  # inclusive; DTEND is the day after
    cancelled: bool
    sequence: int
    modified: datetime
    cancelled_format: str = "Cancelled: %(summary)s"


def _clean(text: str) -> str:
    """Text as RFC 5545 allows it: LF for every line break, no control characters."""
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", text or ""))


def _one_line(text: str) -> str:
    """X- properties are written unescaped: a newline there would break the file."""
    return " ".join(_clean(text).split("\n")).strip()


# --- Content lines ------------------------------------------------------------------------
# Events are written here rather than through icalendar's Event: for 10,000 events
# icalendar takes seconds (most of it turning values into content lines), and a
# feed is only a few kinds of line. The header and the VTIMEZONEs, written once a
# feed, still go through icalendar.

_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})
_MAX_OCTETS = 75


def _text(value: str) -> str:
    """A TEXT value: clean, then escape backslash, semicolon, comma and newline."""
    return _clean(value).translate(_TEXT_ESCAPES)


def _uri(value: str) -> str:
    """A URI value is written as it is (no TEXT escapes) but never breaks a line."""
    return _CONTROL.sub("", value.replace("\r", "").replace("\n", ""))


def _param(value: str) -> str:
    """A parameter value, quoted when it holds a character that ends one."""
    value = _CONTROL.sub("", value).replace('"', "")
    return f'"{value}"' if any(c in value for c in ";:,") else value


def _fold(line: str) -> bytes:
    """One content line, folded at 75 octets without splitting a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= _MAX_OCTETS:
        return data + b"\r\n"
    parts = []
    start, limit = 0, _MAX_OCTETS
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a continuation byte: step back to its start
            end -= 1
        parts.append(data[start:end])
        start, limit = end, _MAX_OCTETS - 1  # a continuation line starts with a space
    parts.append(data[start:])
    return b"\r\n ".join(parts) + b"\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _timed(name: str, moment: datetime, zone_name: str) -> str:
    if zone_name == "UTC":
        return f"{name}:{_utc(moment)}"
    local = moment.astimezone(ZoneInfo(zone_name))
    return f"{name};TZID={_param(zone_name)}:{local:%Y%m%dT%H%M%S}"


@lru_cache(maxsize=50_000)
def event_bytes(item: TimedEvent | AllDayEvent) -> bytes:
    """One serialised VEVENT; cached by content, so unchanged events cost nothing."""
    summary = item.cancelled_format % {"summary": item.summary} if item.cancelled else item.summary
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(item.uid)}",
        f"DTSTAMP:{_utc(item.modified)}",
        f"LAST-MODIFIED:{_utc(item.modified)}",
        f"SEQUENCE:{int(item.sequence)}",
        f"SUMMARY:{_text(summary)}",
        f"STATUS:{'CANCELLED' if item.cancelled else 'CONFIRMED'}",
    ]
    if isinstance(item, AllDayEvent):
        lines += [
            f"DTSTART;VALUE=DATE:{item.first_day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{item.last_day + timedelta(days=1):%Y%m%d}",
            "TRANSP:TRANSPARENT",
        ]
    else:
        lines += [
            _timed("DTSTART", item.starts_at, item.timezone),
            _timed("DTEND", item.ends_at, item.timezone),
        ]
    if item.description:
        lines.append(f"DESCRIPTION:{_text(item.description)}")
    if item.location:
        lines.append(f"LOCATION:{_text(item.location)}")
    if item.url:
        lines.append(f"URL:{_uri(item.url)}")
    if isinstance(item, TimedEvent):
        if item.conference_url:
            # One FEATURE only: several are read back as one value (icalendar 7.3).
            lines.append(f"CONFERENCE;FEATURE=VIDEO;VALUE=URI:{_uri(item.conference_url)}")
        if item.organizer:
            lines.append(f"ORGANIZER:{_uri(item.organizer)}")
        if item.attendee:
            lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:{_uri(item.attendee)}")
    lines.append("END:VEVENT")
    return b"".join(_fold(line) for line in lines)


def _header(info: CalendarInfo) -> bytes:
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    if info.method:
        calendar.add("method", info.method)
    calendar.add("uid", info.uid)
    # icalendar does not know NAME (RFC 7986) and would write it raw: a newline in a
    # course title then raised (a 500) and a comma was not escaped. It is TEXT.
    calendar.add("name", vText(_clean(info.name)))
    calendar.add("x-wr-calname", _one_line(info.name))
    calendar.add("description", _clean(info.description))
    calendar.add("x-wr-caldesc", _one_line(info.description))
    calendar.add("x-wr-timezone", _one_line(info.timezone))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    if info.source_url:
        calendar.add("source", info.source_url, parameters={"VALUE": "URI"})
    text = calendar.to_ical()
    return text[: -len(b"END:VCALENDAR\r\n")]


def build_calendar(info: CalendarInfo, events: list[TimedEvent | AllDayEvent]) -> bytes:
    """The whole feed: header, a VTIMEZONE per zone used, then the events."""
    timed = [e for e in events if isinstance(e, TimedEvent)]
    parts = [_header(info)]
    if timed:
        years = [e.starts_at.year for e in timed] + [e.ends_at.year for e in timed]
        first, last = min(years) - 1, max(years) + 1
        for zone in sorted({e.timezone for e in timed}):
            if zone != "UTC":
                parts.append(vtimezone(zone, first, last))
    parts.extend(event_bytes(event) for event in events)
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)
