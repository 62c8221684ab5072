"""Reading a feed the way other people's software reads it.

Each reader turns the bytes of a feed into the same plain records, so a test can
hold what every parser understood against the database. The readers are written
by others than the project: ``icalendar`` (the library the feeds are built with,
for reference), ``ical`` and ``vobject`` from PyPI, and Mozilla's ``ical.js`` (the
parser inside Thunderbird) run with node.

Times are converted to UTC by each parser from the feed's own VTIMEZONE
components wherever the parser allows it, because a wrong VTIMEZONE is exactly
the defect that puts sessions an hour off in real clients:

- ``vobject`` always uses the VTIMEZONE in the file (its process-wide zone
  registry is emptied before each read, so one feed's zones never answer for
  another's);
- ``ical`` resolves IANA TZIDs with the system's zone database and reads a
  VTIMEZONE only for names it does not know, so it checks the wall-clock times and
  TZIDs, not the VTIMEZONE blocks (it would misread ours anyway: it takes an
  observance without RRULE or RDATE to have no onset at all, against RFC 5545
  3.6.5, and gives such a zone an offset of zero);
- ``ical.js`` has no zone database: each VTIMEZONE is registered with
  ``ICAL.TimezoneService`` before any time is read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

JS_DIR = Path(__file__).parent / "js"
JS_SCRIPT = JS_DIR / "read_feed.mjs"


@dataclass(frozen=True)
class ParsedEvent:
    """One VEVENT as a parser understood it; times are aware UTC datetimes."""

    uid: str
    summary: str
    description: str
    location: str
    url: str
    status: str
    sequence: int
    start: datetime | date
    end: datetime | date
    conference: str = ""


@dataclass
class ParsedFeed:
    parser: str
    events: list[ParsedEvent]
    # X-WR-CALNAME, the name calendar apps show (NAME is unknown to most readers).
    calendar_name: str = ""
    method: str = ""
    # Zones the parser resolved from the feed's VTIMEZONE components.
    timezones: list[str] = field(default_factory=list)

    def by_uid(self) -> dict[str, ParsedEvent]:
        return {event.uid: event for event in self.events}


class ParserUnavailable(RuntimeError):
    """The parser cannot run here (node or its packages missing)."""


def _text(value) -> str:
    return "" if value is None else str(value)


def _utc(value: datetime | date) -> datetime | date:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise AssertionError(f"floating time {value!r}: no zone was applied")
        return value.astimezone(UTC)
    return value


# --- icalendar (the producer's own library, for reference) -----------------------------


def read_icalendar(body: bytes) -> ParsedFeed:
    import icalendar

    calendar = icalendar.Calendar.from_ical(body)
    events = []
    for event in calendar.walk("VEVENT"):
        conference = event.get("CONFERENCE")
        events.append(
            ParsedEvent(
                uid=str(event["UID"]),
                summary=_text(event.get("SUMMARY")),
                description=_text(event.get("DESCRIPTION")),
                location=_text(event.get("LOCATION")),
                url=_text(event.get("URL")),
                status=_text(event.get("STATUS")),
                sequence=int(event.get("SEQUENCE", 0)),
                start=_utc(event.decoded("DTSTART")),
                end=_utc(event.decoded("DTEND")),
                conference=_text(conference),
            )
        )
    return ParsedFeed(
        "icalendar",
        events,
        calendar_name=_text(calendar.get("X-WR-CALNAME")),
        method=_text(calendar.get("METHOD")),
        timezones=[str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")],
    )


# --- ical (PyPI) ---------------------------------------------------------------------------


def read_ical(body: bytes) -> ParsedFeed:
    from ical.calendar_stream import IcsCalendarStream

    calendar = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    events = []
    for event in calendar.events:
        conference = event.conference[0].uri if event.conference else ""
        events.append(
            ParsedEvent(
                uid=event.uid,
                summary=_text(event.summary),
                description=_text(event.description),
                location=_text(event.location),
                url=_text(event.url),
                status=event.status.value if event.status else "",
                sequence=event.sequence or 0,
                start=_utc(event.dtstart),
                end=_utc(event.dtend),
                conference=_text(conference),
            )
        )
    names = [p.value for p in calendar.extras if p.name.lower() == "x-wr-calname"]
    return ParsedFeed(
        "ical",
        events,
        calendar_name=names[0] if names else "",
        method=_text(calendar.method),
        timezones=[tz.tz_id for tz in calendar.timezones],
    )


# --- vobject ---------------------------------------------------------------------------------


def _reset_vobject_zones() -> None:
    """vobject keeps every TZID it has read in a module-wide map and keeps the first
    definition it saw; empty it so this feed's own VTIMEZONE is the one used."""
    from vobject import icalendar as vobject_icalendar

    registry = vars(vobject_icalendar)["__tzidMap"]
    registry.clear()
    vobject_icalendar.registerTzid("UTC", vobject_icalendar.utc)


def read_vobject(body: bytes) -> ParsedFeed:
    import vobject
    from vobject import icalendar as vobject_icalendar

    text = body.decode("utf-8")
    # A first reading collects the feed's zones; they are then registered under their
    # TZIDs before the reading that counts (vobject would otherwise fall back on pytz
    # for a zone whose definition it judges equal to UTC in the year 2000).
    _reset_vobject_zones()
    zones = [
        (zone.tzid.value, zone.tzinfo)
        for zone in getattr(vobject.readOne(text), "vtimezone_list", [])
    ]
    _reset_vobject_zones()
    for tzid, tzinfo in zones:
        vobject_icalendar.registerTzid(tzid, tzinfo)
    calendar = vobject.readOne(text, validate=True)
    events = []
    for event in getattr(calendar, "vevent_list", []):
        start = event.dtstart.value
        if isinstance(start, datetime) and type(start.tzinfo).__module__.startswith("pytz"):
            raise AssertionError("vobject took the zone from pytz, not from the feed")

        def value(name: str, event=event) -> str:
            line = event.contents.get(name)
            return _text(line[0].value) if line else ""

        events.append(
            ParsedEvent(
                uid=value("uid"),
                summary=value("summary"),
                description=value("description"),
                location=value("location"),
                url=value("url"),
                status=value("status"),
                sequence=int(value("sequence") or 0),
                start=_utc(start),
                end=_utc(event.dtend.value),
                conference=value("conference"),
            )
        )
    calendar_lines = calendar.contents
    return ParsedFeed(
        "vobject",
        events,
        calendar_name=_text(calendar_lines["x-wr-calname"][0].value)
        if "x-wr-calname" in calendar_lines
        else "",
        method=_text(calendar_lines["method"][0].value) if "method" in calendar_lines else "",
        timezones=[tz.tzid.value for tz in getattr(calendar, "vtimezone_list", [])],
    )


# --- ical.js (npm, run with node) ---------------------------------------------------------


def node_unavailable_reason() -> str | None:
    """Why ical.js cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed: ical.js (Mozilla's parser) cannot run"
    if not (JS_DIR / "node_modules" / "ical.js").is_dir():
        return "ical.js is not installed: run `npm ci --prefix tests/feeds/js` (make install)"
    return None


def _js_time(value: str | None) -> datetime | date:
    if value is None:
        raise AssertionError("ical.js read a floating time: the zone was not resolved")
    if value.endswith("Z"):
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    return date.fromisoformat(value)


def read_icaljs_raw(body: bytes) -> dict:
    reason = node_unavailable_reason()
    if reason:
        raise ParserUnavailable(reason)
    result = subprocess.run(
        ["node", str(JS_SCRIPT)],
        input=body,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"ical.js failed: {result.stderr.decode(errors='replace')}")
    return json.loads(result.stdout)


def read_icaljs(body: bytes) -> ParsedFeed:
    data = read_icaljs_raw(body)
    events = []
    for event in data["events"]:
        for side in ("start_zone", "end_zone"):
            zone = event[side]
            if zone is not None and zone != "UTC" and zone not in data["timezones"]:
                raise AssertionError(f"ical.js resolved {event['uid']} to zone {zone!r}")
        events.append(
            ParsedEvent(
                uid=event["uid"],
                summary=_text(event["summary"]),
                description=_text(event["description"]),
                location=_text(event["location"]),
                url=_text(event["url"]),
                status=_text(event["status"]),
                sequence=event["sequence"] or 0,
                start=_js_time(event["start_utc"]),
                end=_js_time(event["end_utc"]),
                conference=_text(event["conference"]),
            )
        )
    calendar = data["calendar"]
    return ParsedFeed(
        "ical.js",
        events,
        calendar_name=_text(calendar["x_wr_calname"]),
        method=_text(calendar["method"]),
        timezones=data["timezones"],
    )


# The independent readers every feed is checked with (icalendar is only a reference).
INDEPENDENT = {
    "ical": read_ical,
    "vobject": read_vobject,
    "ical.js": read_icaljs,
}
ALL = {"icalendar": read_icalendar, **INDEPENDENT}
