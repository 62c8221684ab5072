"""Time zone helpers: validation, conversion and the list offered in forms."""

from datetime import datetime
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@cache
def _zone_table() -> tuple[tuple[str, str], ...]:
    """(country code, zone) rows of the IANA ``zone.tab`` shipped with tzdata: the
    canonical zones, without old aliases such as Asia/Calcutta."""
    text = files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        columns = line.split("\t")
        if not line.startswith("#") and len(columns) >= 3:
            rows.append((columns[0], columns[2]))
    return tuple(rows)


@cache
def timezone_names() -> tuple[str, ...]:
    """Canonical IANA zone names plus UTC, sorted, for select lists."""
    return tuple(sorted({zone for _country, zone in _zone_table()} | {"UTC"}))


def host_zone(country_code: str | None) -> str | None:
    """The main zone of a country, e.g. KE -> Africa/Nairobi (None when unknown)."""
    code = (country_code or "").upper()
    return next((zone for country, zone in _zone_table() if country == code), None)


def is_valid_timezone(name: str | None) -> bool:
    """True for a real IANA zone name such as ``Africa/Nairobi``."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a name longer than the file system allows ("File name too long").
        return False
    return True


def in_zone(moment: datetime, zone: str) -> datetime:
    """An aware datetime expressed in ``zone``."""
    return moment.astimezone(ZoneInfo(zone))
