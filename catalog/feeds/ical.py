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
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vText

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


def _clean(text: str) -> str:
    """Text as RFC 5545 allows it: LF for every line break, no control characters."""
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", text or ""))


def _one_line(text: str) -> str:
    """X- properties are written unescaped: a newline there would break the file."""
    return " ".join(_clean(text).split("\n")).strip()


def _common(event: Event, item: TimedEvent | AllDayEvent) -> None:
    event.add("uid", item.uid)
    event.add("dtstamp", item.modified)
    event.add("last-modified", item.modified)
    event.add("sequence", item.sequence)
    prefix = "Cancelled: " if item.cancelled else ""
    event.add("summary", prefix + _clean(item.summary))
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    if item.description:
        event.add("description", _clean(item.description))
    if item.location:
        event.add("location", _clean(item.location))
    if item.url:
        event.add("url", item.url)


@lru_cache(maxsize=50_000)
def event_bytes(item: TimedEvent | AllDayEvent) -> bytes:
    """One serialised VEVENT; cached by content, so unchanged events cost nothing."""
    event = Event()
    _common(event, item)
    if isinstance(item, AllDayEvent):
        event.add("dtstart", item.first_day)
        event.add("dtend", item.last_day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        zone = ZoneInfo(item.timezone)
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", item.ends_at.astimezone(zone))
        if item.conference_url:
            event.add(
                "conference",
                item.conference_url,
                parameters={"VALUE": "URI", "FEATURE": "VIDEO"},
            )
        if item.organizer:
            event.add("organizer", item.organizer)
    return event.to_ical()


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
