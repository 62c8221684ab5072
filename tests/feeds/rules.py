"""The project's own checks of a feed's bytes against the rules in FEEDS.md.

Parsers are forgiving: most read a bare LF, a 90-octet line or a floating time
without complaint, and each client then does something different with it. These
checks read the raw lines, so they catch what every parser would let through.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_LINE_OCTETS = 75
# RFC 5545 TEXT may not hold control characters other than HTAB.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_UTC_DATETIME = re.compile(r"^\d{8}T\d{6}Z$")
_LOCAL_DATETIME = re.compile(r"^\d{8}T\d{6}$")
_DATE = re.compile(r"^\d{8}$")
EVENT_REQUIRED = (
    "UID",
    "DTSTAMP",
    "SEQUENCE",
    "LAST-MODIFIED",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "DESCRIPTION",
    "URL",
    "STATUS",
)
CALENDAR_REQUIRED = (
    "VERSION",
    "PRODID",
    "UID",
    "NAME",
    "X-WR-CALNAME",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
)
STATUSES = {"TENTATIVE", "CONFIRMED", "CANCELLED"}


@dataclass
class ContentLine:
    name: str
    params: dict[str, str]
    value: str


@dataclass
class Component:
    name: str
    lines: list[ContentLine] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def all(self, name: str) -> list[ContentLine]:
        return [line for line in self.lines if line.name == name]

    def first(self, name: str) -> ContentLine | None:
        found = self.all(name)
        return found[0] if found else None

    def walk(self, name: str) -> list[Component]:
        found = [self] if self.name == name else []
        for child in self.children:
            found += child.walk(name)
        return found


def split_line(line: str) -> ContentLine:
    """``NAME;PARAM=value;P2="quoted:value":VALUE`` into its parts."""
    head, value, in_quotes = [], None, False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            value = line[index + 1 :]
            break
        head.append(char)
    if value is None:
        raise ValueError(f"no ':' in content line {line!r}")
    name, *raw_params = re.split(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', "".join(head))
    params = {}
    for raw in raw_params:
        key, _, param_value = raw.partition("=")
        params[key.upper()] = param_value
    return ContentLine(name.upper(), params, value)


def logical_lines(body: bytes) -> list[str]:
    text = body.decode("utf-8")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def parse(body: bytes) -> Component:
    """The component tree, as written (no unescaping, no type conversion)."""
    stack: list[Component] = []
    root = None
    for raw in logical_lines(body):
        line = split_line(raw)
        if line.name == "BEGIN":
            component = Component(line.value.upper())
            if stack:
                stack[-1].children.append(component)
            else:
                if root is not None:
                    raise ValueError("more than one top-level component")
                root = component
            stack.append(component)
        elif line.name == "END":
            if not stack or stack[-1].name != line.value.upper():
                raise ValueError(f"END:{line.value} does not close the open component")
            stack.pop()
        else:
            if not stack:
                raise ValueError(f"property {line.name} outside any component")
            stack[-1].lines.append(line)
    if stack or root is None:
        raise ValueError("a component was never closed")
    return root


def _octet_problems(body: bytes) -> list[str]:
    problems = []
    if not body.endswith(b"\r\n"):
        problems.append("the feed does not end with CRLF")
    for number, physical in enumerate(body.split(b"\r\n")[:-1], start=1):
        if b"\n" in physical or b"\r" in physical:
            problems.append(f"line {number}: a bare CR or LF")
        if len(physical) > MAX_LINE_OCTETS:
            problems.append(f"line {number}: {len(physical)} octets (fold at {MAX_LINE_OCTETS})")
        try:
            physical.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number}: folded inside a UTF-8 character")
        if _CONTROL.search(physical.decode("utf-8", errors="replace")):
            problems.append(f"line {number}: a control character")
    return problems


def _time_problems(event: Component, uid: str, zones: set[str]) -> list[str]:
    problems = []
    for name in ("DTSTART", "DTEND"):
        line = event.first(name)
        if line is None:
            continue
        if line.params.get("VALUE") == "DATE":
            if not _DATE.match(line.value):
                problems.append(f"{uid}: {name} is not a DATE")
        elif "TZID" in line.params:
            if not _LOCAL_DATETIME.match(line.value):
                problems.append(f"{uid}: {name} with TZID is not a local DATE-TIME")
            if line.params["TZID"] not in zones:
                problems.append(f"{uid}: no VTIMEZONE for TZID {line.params['TZID']}")
        elif not _UTC_DATETIME.match(line.value):
            problems.append(f"{uid}: {name} is a floating time: {line.value}")
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        line = event.first(name)
        if line is not None and not _UTC_DATETIME.match(line.value):
            problems.append(f"{uid}: {name} is not in UTC")
    start, end = event.first("DTSTART"), event.first("DTEND")
    if start and end and start.params.get("VALUE") != end.params.get("VALUE"):
        problems.append(f"{uid}: DTSTART and DTEND are of different types")
    for rule in event.all("RRULE"):
        until = re.search(r"UNTIL=([0-9TZ]+)", rule.value)
        if until and start and "TZID" in start.params and not until[1].endswith("Z"):
            problems.append(f"{uid}: RRULE UNTIL is not in UTC")
    return problems


def _event_problems(event: Component, zones: set[str]) -> list[str]:
    uid_line = event.first("UID")
    uid = uid_line.value if uid_line else "(no UID)"
    problems = [f"{uid}: no {name}" for name in EVENT_REQUIRED if event.first(name) is None]
    problems += [
        f"{uid}: {len(event.all(name))} {name} lines"
        for name in EVENT_REQUIRED
        if len(event.all(name)) > 1
    ]
    status = event.first("STATUS")
    if status and status.value not in STATUSES:
        problems.append(f"{uid}: STATUS:{status.value} is not a VEVENT status")
    sequence = event.first("SEQUENCE")
    if sequence and not sequence.value.isdigit():
        problems.append(f"{uid}: SEQUENCE:{sequence.value} is not a whole number")
    problems += _time_problems(event, uid, zones)
    if event.all("RDATE"):
        problems.append(f"{uid}: RDATE in an event")
    return problems


def _timezone_problems(root: Component) -> tuple[list[str], set[str]]:
    problems = []
    timezones = root.walk("VTIMEZONE")
    names = [zone.first("TZID").value for zone in timezones if zone.first("TZID")]
    problems += [
        f"VTIMEZONE {name} appears {n} times" for name, n in Counter(names).items() if n > 1
    ]
    for zone in timezones:
        observances = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
        if not observances:
            problems.append(f"VTIMEZONE {zone.first('TZID')}: no observance")
        for observance in observances:
            if observance.all("RDATE"):
                problems.append(f"VTIMEZONE {zone.first('TZID').value}: RDATE")
            for name in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"):
                if observance.first(name) is None:
                    problems.append(f"VTIMEZONE {zone.first('TZID').value}: no {name}")
            for rule in observance.all("RRULE"):
                until = re.search(r"UNTIL=([0-9TZ]+)", rule.value)
                if until and not until[1].endswith("Z"):
                    problems.append(f"VTIMEZONE {zone.first('TZID').value}: UNTIL not in UTC")
    return problems, set(names)


def _offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    hours, minutes, seconds = int(digits[0:2]), int(digits[2:4]), int(digits[4:6] or 0)
    return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _offset_problems(root: Component) -> list[str]:
    """Each event time's offset read from the feed's VTIMEZONE, against the zone
    database. Checked for zones written as one observance per change (DTSTART only,
    as the catalogue writes them); zones with RRULE observances are left to the
    parsers."""
    zones = {}
    for zone in root.walk("VTIMEZONE"):
        observances = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
        if any(o.all("RRULE") or o.all("RDATE") for o in observances):
            continue
        onsets = sorted(
            (datetime.strptime(o.first("DTSTART").value, "%Y%m%dT%H%M%S"), o)
            for o in observances
            if o.first("DTSTART") and o.first("TZOFFSETTO")
        )
        zones[zone.first("TZID").value] = onsets
    problems = []
    for event in root.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            line = event.first(name)
            tzid = line.params.get("TZID") if line else None
            if tzid not in zones or not _LOCAL_DATETIME.match(line.value):
                continue
            local = datetime.strptime(line.value, "%Y%m%dT%H%M%S")
            before = [o for onset, o in zones[tzid] if onset <= local]
            if not before:
                problems.append(f"{name} {line.value}: before every observance of {tzid}")
                continue
            written = _offset(before[-1].first("TZOFFSETTO").value)
            try:
                actual = local.replace(tzinfo=ZoneInfo(tzid)).utcoffset()
            except (ZoneInfoNotFoundError, ValueError):
                continue
            if written != actual:
                problems.append(f"{name} {line.value} {tzid}: VTIMEZONE says {written}, {actual}")
    return problems


def feed_problems(body: bytes, *, subscription: bool = True) -> list[str]:
    """Every rule of FEEDS.md this feed breaks; an empty list when it keeps them all."""
    problems = _octet_problems(body)
    try:
        root = parse(body)
    except (ValueError, UnicodeDecodeError) as error:
        return [*problems, f"unreadable: {error}"]
    if root.name != "VCALENDAR":
        problems.append(f"top-level component is {root.name}")
    for name in CALENDAR_REQUIRED:
        if root.first(name) is None:
            problems.append(f"calendar: no {name}")
    for name in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION", "UID"):
        if len(root.all(name)) > 1:
            problems.append(f"calendar: {len(root.all(name))} {name} lines")
    version = root.first("VERSION")
    if version and version.value != "2.0":
        problems.append(f"calendar: VERSION:{version.value}")
    refresh = root.first("REFRESH-INTERVAL")
    if refresh and refresh.params.get("VALUE") != "DURATION":
        problems.append("calendar: REFRESH-INTERVAL without VALUE=DURATION")
    if subscription and root.first("METHOD"):
        problems.append(f"calendar: METHOD:{root.first('METHOD').value} in a subscription feed")
    zone_problems, zones = _timezone_problems(root)
    problems += zone_problems
    events = root.walk("VEVENT")
    for event in events:
        problems += _event_problems(event, zones)
    uids = Counter(
        event.first("UID").value
        for event in events
        if event.first("UID") and not event.first("RECURRENCE-ID")
    )
    problems += [f"UID {uid} is used by {n} events" for uid, n in uids.items() if n > 1]
    used = {
        line.params["TZID"] for event in events for line in event.lines if "TZID" in line.params
    }
    problems += [f"VTIMEZONE {name} is not used" for name in sorted(zones - used)]
    problems += _offset_problems(root)
    return problems
