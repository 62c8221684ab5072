"""VTIMEZONE components written the way calendar clients read them.

icalendar's own ``add_missing_timezones()`` writes each zone's history as
comma-separated RDATE lists, which Thunderbird's ical.js and vobject misread by
an hour in zones with daylight saving. Here each zone gets one STANDARD or
DAYLIGHT observance per transition inside the feed's years, and no RDATE at
all: every client tried reads that form the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset()


def transitions(zone_name: str, first_year: int, last_year: int) -> list[datetime]:
    """UTC instants at which the zone's offset (or daylight flag) changes."""
    zone = ZoneInfo(zone_name)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)

    def state(moment: datetime):
        local = moment.astimezone(zone)
        return local.utcoffset(), local.dst(), local.tzname()

    found = []
    day = start
    current = state(day)
    while day < end:
        following = day + _DAY
        if state(following) != current:
            # Narrow the change down to the minute inside this day.
            low, high = day, following
            while high - low > _MINUTE:
                middle = low + (high - low) / 2
                middle = middle.replace(second=0, microsecond=0)
                if middle <= low:
                    middle = low + _MINUTE
                if state(middle) == current:
                    low = middle
                else:
                    high = middle
            found.append(high)
            current = state(following)
        day = following
    return found


def _observance(zone: ZoneInfo, at: datetime, before: timedelta):
    local = at.astimezone(zone)
    kind = TimezoneDaylight if local.dst() else TimezoneStandard
    observance = kind()
    # DTSTART is the wall-clock time of the change, read in the offset it replaces.
    observance.add("dtstart", (at + before).replace(tzinfo=None))
    observance.add("tzoffsetfrom", before)
    observance.add("tzoffsetto", local.utcoffset())
    if local.tzname():
        observance.add("tzname", local.tzname())
    return observance


@lru_cache(maxsize=512)
def vtimezone(zone_name: str, first_year: int, last_year: int) -> bytes:
    """The serialised VTIMEZONE for ``zone_name`` covering the given years."""
    zone = ZoneInfo(zone_name)
    component = Timezone()
    component.add("tzid", zone_name)
    window_start = datetime(first_year, 1, 1, tzinfo=UTC)
    initial = _offset(zone, window_start)
    # The offset in force when the window opens, so every time in it is covered.
    component.add_component(_observance(zone, window_start, initial))
    previous = initial
    for moment in transitions(zone_name, first_year, last_year):
        component.add_component(_observance(zone, moment, previous))
        previous = _offset(zone, moment)
    return component.to_ical()
