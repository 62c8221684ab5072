"""Time zone helpers: validation, conversion and the list offered in forms."""

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@cache
def timezone_names() -> tuple[str, ...]:
    """Canonical-looking IANA names (Area/City plus UTC), sorted, for select lists."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    names.add("UTC")
    return tuple(sorted(names))


def is_valid_timezone(name: str | None) -> bool:
    """True for a real IANA zone name such as ``Africa/Nairobi``."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def in_zone(moment: datetime, zone: str) -> datetime:
    """An aware datetime expressed in ``zone``."""
    return moment.astimezone(ZoneInfo(zone))
