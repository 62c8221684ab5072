"""Rules an offering must satisfy, shared by the forms, the CSV import and the API.

Each check returns problems as (field, message) pairs instead of raising, so a
form can show all of them at once and an import can list them per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from catalog.extensions import db
from catalog.models import Country, DeliveryMode
from catalog.timeutil import is_valid_timezone

# Far above any real class, far below the database's integer limit.
MAX_CAPACITY = 100_000
# Every date of an offering lies between these: far wider than any training plan,
# and narrow enough that turning a day into an instant in any time zone stays inside
# the calendar (year 1 in Nairobi is the year 0 in UTC: an OverflowError).
EARLIEST_DAY = date(1990, 1, 1)
LATEST_DAY = date(2100, 12, 31)


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def known_country_codes() -> set[str]:
    return set(db.session.scalars(select(Country.code)))


def parse_quotas(text: str) -> dict[str, int]:
    """``"KE:4;UG:4;RW:2"`` -> ``{"KE": 4, "UG": 4, "RW": 2}``; raises ValueError."""
    quotas: dict[str, int] = {}
    for part in (text or "").replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        code, sep, seats = part.partition(":")
        code = code.strip().upper()
        if not sep or len(code) != 2 or not code.isalpha():
            raise ValueError(_("write quotas as country code and seats, e.g. KE:4;UG:4"))
        try:
            number = int(seats.strip())
        except ValueError:
            raise ValueError(
                _("%(code)s: the number of seats is not a whole number", code=code)
            ) from None
        if number < 1:
            raise ValueError(_("%(code)s: a quota needs at least one seat", code=code))
        if code in quotas:
            raise ValueError(_("%(code)s appears twice", code=code))
        quotas[code] = number
    return quotas


def format_quotas(quotas: dict[str, int]) -> str:
    return ";".join(f"{code}:{seats}" for code, seats in sorted(quotas.items()))


def offering_problems(
    *,
    delivery_mode: DeliveryMode,
    country_code: str | None,
    timezone: str,
    starts_on: date,
    ends_on: date,
    enrolment_opens_on: date,
    enrolment_closes_on: date,
    capacity: int,
    quotas: dict[str, int],
    countries: set[str] | None = None,
) -> list[Problem]:
    """Everything wrong with an offering's values (empty when it can be saved)."""
    countries = known_country_codes() if countries is None else countries
    problems = []
    dates = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "enrolment_opens_on": enrolment_opens_on,
        "enrolment_closes_on": enrolment_closes_on,
    }
    for name, day in dates.items():
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            problems.append(
                Problem(
                    name,
                    _(
                        "Choose a date between %(first)s and %(last)s.",
                        first=EARLIEST_DAY.isoformat(),
                        last=LATEST_DAY.isoformat(),
                    ),
                )
            )
    if ends_on < starts_on:
        problems.append(Problem("ends_on", _("The end date must not be before the start date.")))
    if enrolment_closes_on >= starts_on:
        problems.append(
            Problem(
                "enrolment_closes_on",
                _("Enrolment must close before the offering starts."),
            )
        )
    if enrolment_opens_on > enrolment_closes_on:
        problems.append(Problem("enrolment_opens_on", _("Enrolment must open before it closes.")))
    if capacity < 1:
        problems.append(Problem("capacity", _("The capacity must be at least 1.")))
    elif capacity > MAX_CAPACITY:
        problems.append(
            Problem("capacity", _("At most %(limit)d seats are possible.", limit=MAX_CAPACITY))
        )
    if not is_valid_timezone(timezone):
        problems.append(
            Problem(
                "timezone",
                _("%(zone)s is not an IANA time zone such as Africa/Nairobi.", zone=timezone),
            )
        )
    if country_code and country_code not in countries:
        problems.append(
            Problem("country", _("%(code)s is not a known country code.", code=country_code))
        )
    if not country_code and delivery_mode != DeliveryMode.REMOTE:
        problems.append(
            Problem("country", _("An in-person or blended offering needs a host country."))
        )
    unknown = sorted(code for code in quotas if code not in countries)
    if unknown:
        problems.append(
            Problem("quotas", _("Unknown country codes: %(codes)s.", codes=", ".join(unknown)))
        )
    if sum(quotas.values()) > capacity:
        problems.append(
            Problem(
                "quotas",
                _(
                    "Country quotas add up to %(total)d seats, more than the capacity of "
                    "%(capacity)d.",
                    total=sum(quotas.values()),
                    capacity=capacity,
                ),
            )
        )
    return problems
