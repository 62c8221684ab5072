"""The figures behind the reports, counted from the records.

Each report is one function that sends a fixed number of grouped queries however
many offerings and people there are: the database counts, and this module only
adds up totals, works out percentages and decides which groups are too small to
show.

Who is looking matters. A national focal point's ``Scope`` limits every query to
their own country, so even totals are computed over that country alone; and only
administrators see small groups of seat holders exactly. Gender leaves this
module only as counts, and never for a group smaller than ``SMALL_GROUP``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Integer, case, cast, distinct, func, select

from catalog.catalogue.search import FilterError
from catalog.enrolment.services import PUT_FORWARD, SEAT_HOLDING
from catalog.extensions import db
from catalog.geo.services import country_name, name_sort_key, sorted_by_name
from catalog.models import (
    Country,
    Course,
    Discipline,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Level,
    Offering,
    OfferingQuota,
    OfferingStatus,
    TrainerAssignment,
    TrainerRole,
    User,
)

# Groups of seat holders smaller than this are shown as "fewer than 5" to everyone
# but administrators: among so few people a share of women points at persons.
SMALL_GROUP = 5
FIRST_YEAR, LAST_YEAR = 1990, 2100


# --- Filters and who is looking -------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """What the reader asked for; every field is optional and they combine with AND.

    ``year`` is the year an offering ends in (a course that runs from December into
    January counts for January's year), ``discipline`` the course's, and ``country``
    the country a person represented when they enrolled.
    """

    year: int | None = None
    discipline: Discipline | None = None
    country: str | None = None

    PARAMETERS = ("year", "discipline", "country")

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ReportFilters:
        """Parse URL parameters; empty ones are ignored, bad ones raise FilterError."""

        def value(name: str) -> str:
            return (args.get(name) or "").strip()

        year = None
        raw = value("year")
        if raw:
            # isascii: int() would also take "2_025" and other scripts' digits.
            # Four digits before int(), which refuses more than 4,300 (a 500).
            if not (
                raw.isascii()
                and raw.isdigit()
                and len(raw) == 4
                and FIRST_YEAR <= int(raw) <= LAST_YEAR
            ):
                raise FilterError(
                    "year",
                    _(
                        "must be a year between %(first)d and %(last)d",
                        first=FIRST_YEAR,
                        last=LAST_YEAR,
                    ),
                )
            year = int(raw)
        discipline = None
        raw = value("discipline")
        if raw:
            try:
                discipline = Discipline(raw)
            except ValueError:
                allowed = ", ".join(member.value for member in Discipline)
                raise FilterError(
                    "discipline", _("must be one of %(allowed)s", allowed=allowed)
                ) from None
        country = value("country").upper() or None
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise FilterError("country", _("must be a two-letter ISO 3166 country code"))
        return cls(year=year, discipline=discipline, country=country)

    def to_args(self) -> dict[str, str]:
        """The URL parameters that give these filters back."""
        args = {}
        for name in self.PARAMETERS:
            raw = getattr(self, name)
            if raw is not None:
                args[name] = str(getattr(raw, "value", raw))
        return args


class OutOfScope(Exception):
    """The reader asked for a country they may not see."""


@dataclass(frozen=True)
class Scope:
    """Who is looking: ``country`` is a focal point's own country (None: every
    country); ``exact`` lets administrators see small groups as they are."""

    country: str | None = None
    exact: bool = False

    def narrow(self, filters: ReportFilters) -> ReportFilters:
        """``filters`` limited to what this reader may see; raises OutOfScope when
        they ask for another country."""
        if self.country is None:
            return filters
        if filters.country not in (None, self.country):
            raise OutOfScope(filters.country)
        return replace(filters, country=self.country)


def _offering_conditions(filters: ReportFilters, offering=Offering, course=Course) -> list:
    """Published offerings (drafts and cancelled runs never happened) of the year
    and discipline asked for."""
    conditions = [offering.status == OfferingStatus.PUBLISHED]
    if filters.year is not None:
        conditions.append(
            offering.ends_on.between(date(filters.year, 1, 1), date(filters.year, 12, 31))
        )
    if filters.discipline is not None:
        conditions.append(course.discipline == filters.discipline)
    return conditions


def _country_conditions(column, filters: ReportFilters) -> list:
    return [column == filters.country] if filters.country else []


def _year_of(column):
    # EXTRACT works on SQLite (as strftime) and PostgreSQL alike; PostgreSQL's is
    # numeric, hence the cast.
    return cast(func.extract("year", column), Integer)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent to one decimal, halves rounded up; None for
    nothing out of nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _by_name(code: str | None, name: str | None) -> tuple:
    """Countries by name in the reader's language, with enrolments that recorded no
    country last."""
    return (code is None, name_sort_key(country_name(code, default=name) or ""), code or "")


@dataclass(frozen=True)
class OfferingInfo:
    """What a report shows of an offering."""

    id: int
    course_code: str
    course_title: str
    starts_on: date
    ends_on: date
    capacity: int
    timezone: str

    @property
    def sort_key(self) -> tuple:
        return (self.starts_on, self.course_code, self.id)

    def has_ended(self, now: datetime) -> bool:
        """Whether the last day has passed where the offering runs."""
        return now.astimezone(ZoneInfo(self.timezone)).date() > self.ends_on


_OFFERING_COLUMNS = (
    Offering.id,
    Course.code,
    Course.title,
    Offering.starts_on,
    Offering.ends_on,
    Offering.capacity,
    Offering.timezone,
)


def _offerings(ids: set[int]) -> dict[int, OfferingInfo]:
    """One query for the offerings ``ids``, run even when there are none so every
    report sends the same number of queries."""
    rows = db.session.execute(
        select(*_OFFERING_COLUMNS)
        .join(Course, Course.id == Offering.course_id)
        .where(Offering.id.in_(sorted(ids)))
    )
    return {row[0]: OfferingInfo(*row) for row in rows}


# --- 1. Trainees trained --------------------------------------------------------------


@dataclass(frozen=True)
class TrainedRow:
    country_code: str | None
    country_name: str | None
    discipline: Discipline
    year: int
    trained: int
    distinction: int


@dataclass(frozen=True)
class TrainedReport:
    """Completed enrolments per country (represented), discipline and year the
    offering ended."""

    rows: list[TrainedRow]

    @property
    def total(self) -> int:
        return sum(row.trained for row in self.rows)

    @property
    def distinction_total(self) -> int:
        return sum(row.distinction for row in self.rows)


def trained(filters: ReportFilters) -> TrainedReport:
    """One grouped query."""
    year = _year_of(Offering.ends_on).label("year")
    rows = db.session.execute(
        select(
            Enrolment.country_code,
            Country.name,
            Course.discipline,
            year,
            func.count(Enrolment.id),
            func.sum(case((Enrolment.distinction.is_(True), 1), else_=0)),
        )
        .select_from(Enrolment)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .outerjoin(Country, Country.code == Enrolment.country_code)
        .where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            *_offering_conditions(filters),
            *_country_conditions(Enrolment.country_code, filters),
        )
        .group_by(Enrolment.country_code, Country.name, Course.discipline, year)
    )
    order = list(Discipline)
    result = [
        TrainedRow(code, name, Discipline(discipline), int(year), count, int(distinctions))
        for code, name, discipline, year, count, distinctions in rows
    ]
    result.sort(
        key=lambda r: (
            *_by_name(r.country_code, r.country_name),
            order.index(r.discipline),
            r.year,
        )
    )
    return TrainedReport(result)


# --- 2. Share of women ----------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """Women among a group's seat holders; unknown gender counts in the whole.

    A suppressed share carries no numbers at all, so nothing downstream can let
    them slip out.
    """

    seat_holders: int | None
    women: int | None
    not_stated: int | None
    suppressed: bool = False

    @property
    def percent(self) -> Decimal | None:
        if self.suppressed:
            return None
        return percent(self.women, self.seat_holders)

    def meets(self, target: float) -> bool | None:
        """Whether the share reaches ``target`` (exactly: 3 of 20 meets 15%)."""
        if self.suppressed or not self.seat_holders:
            return None
        return Fraction(self.women, self.seat_holders) >= Fraction(str(target))


SUPPRESSED = Share(None, None, None, suppressed=True)


@dataclass
class _Tally:
    seat_holders: int = 0
    women: int = 0
    not_stated: int = 0

    def add(self, gender: Gender | None, count: int) -> None:
        self.seat_holders += count
        if gender == Gender.FEMALE:
            self.women += count
        elif gender is None:
            self.not_stated += count

    def share(self, scope: Scope) -> Share:
        if not scope.exact and self.seat_holders < SMALL_GROUP:
            return SUPPRESSED
        return Share(self.seat_holders, self.women, self.not_stated)


@dataclass(frozen=True)
class CountryShare:
    country_code: str | None
    country_name: str | None
    share: Share


@dataclass(frozen=True)
class WomenReport:
    """Share of women among seat holders, per offering and per country, with the
    whole selection as ``total``."""

    by_offering: list[tuple[OfferingInfo, Share]]
    by_country: list[CountryShare]
    total: Share | None  # None when nobody holds a seat


def women(filters: ReportFilters, scope: Scope) -> WomenReport:
    """Two queries: seat holders grouped by offering, country and gender, then the
    offerings' names."""
    rows = db.session.execute(
        select(
            Enrolment.offering_id, Enrolment.country_code, Country.name, User.gender, func.count()
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .outerjoin(Country, Country.code == Enrolment.country_code)
        .where(
            Enrolment.status.in_(SEAT_HOLDING),
            *_offering_conditions(filters),
            *_country_conditions(Enrolment.country_code, filters),
        )
        .group_by(Enrolment.offering_id, Enrolment.country_code, Country.name, User.gender)
    ).all()
    per_offering: dict[int, _Tally] = defaultdict(_Tally)
    per_country: dict[str | None, _Tally] = defaultdict(_Tally)
    names: dict[str | None, str | None] = {}
    total = _Tally()
    for offering_id, code, name, gender, count in rows:
        gender = Gender(gender) if gender else None
        per_offering[offering_id].add(gender, count)
        per_country[code].add(gender, count)
        names[code] = name
        total.add(gender, count)
    offerings = _offerings(set(per_offering))
    by_offering = sorted(
        ((offerings[i], tally.share(scope)) for i, tally in per_offering.items()),
        key=lambda pair: pair[0].sort_key,
    )
    by_country = sorted(
        (
            CountryShare(code, names[code], tally.share(scope))
            for code, tally in per_country.items()
        ),
        key=lambda row: _by_name(row.country_code, row.country_name),
    )
    return WomenReport(by_offering, by_country, total.share(scope) if rows else None)


# --- 3. Fill rate and no-shows --------------------------------------------------------


@dataclass(frozen=True)
class SeatRow:
    offering: OfferingInfo
    seat_holders: int
    no_shows: int
    ended: bool

    @property
    def fill_percent(self) -> Decimal | None:
        return percent(self.seat_holders, self.offering.capacity)

    @property
    def no_show_percent(self) -> Decimal | None:
        """Only once the offering has ended: before, nobody can have missed it."""
        return percent(self.no_shows, self.seat_holders) if self.ended else None


@dataclass(frozen=True)
class SeatReport:
    rows: list[SeatRow]

    @property
    def capacity(self) -> int:
        return sum(row.offering.capacity for row in self.rows)

    @property
    def seat_holders(self) -> int:
        return sum(row.seat_holders for row in self.rows)

    @property
    def fill_percent(self) -> Decimal | None:
        return percent(self.seat_holders, self.capacity)

    @property
    def ended_seat_holders(self) -> int:
        return sum(row.seat_holders for row in self.rows if row.ended)

    @property
    def no_shows(self) -> int:
        return sum(row.no_shows for row in self.rows if row.ended)

    @property
    def no_show_percent(self) -> Decimal | None:
        return percent(self.no_shows, self.ended_seat_holders)


def seats(filters: ReportFilters, now: datetime) -> SeatReport:
    """Two queries: the offerings, then their seat holders and no-shows grouped by
    offering. With a country, only that country's seat holders count, and only
    offerings where it holds seats are listed."""
    offerings = [
        OfferingInfo(*row)
        for row in db.session.execute(
            select(*_OFFERING_COLUMNS)
            .join(Course, Course.id == Offering.course_id)
            .where(*_offering_conditions(filters))
        )
    ]
    counts = {
        offering_id: (held, int(no_shows))
        for offering_id, held, no_shows in db.session.execute(
            select(
                Enrolment.offering_id,
                func.count(Enrolment.id),
                func.sum(case((Enrolment.status == EnrolmentStatus.NO_SHOW, 1), else_=0)),
            )
            .join(Offering, Offering.id == Enrolment.offering_id)
            .join(Course, Course.id == Offering.course_id)
            .where(
                Enrolment.status.in_(SEAT_HOLDING),
                *_offering_conditions(filters),
                *_country_conditions(Enrolment.country_code, filters),
            )
            .group_by(Enrolment.offering_id)
        )
    }
    rows = [
        SeatRow(info, *counts.get(info.id, (0, 0)), ended=info.has_ended(now))
        for info in offerings
        if not filters.country or info.id in counts
    ]
    rows.sort(key=lambda row: row.offering.sort_key)
    return SeatReport(rows)


# --- 4. Nominations against quotas ----------------------------------------------------


@dataclass(frozen=True)
class NominationRow:
    offering: OfferingInfo
    country_code: str | None
    country_name: str | None
    put_forward: int
    quota: int | None  # None: the country has no reserved seats in this offering


@dataclass(frozen=True)
class NominationReport:
    rows: list[NominationRow]

    @property
    def put_forward(self) -> int:
        return sum(row.put_forward for row in self.rows)

    @property
    def quota(self) -> int:
        return sum(row.quota or 0 for row in self.rows)


def nominations(filters: ReportFilters) -> NominationReport:
    """Three queries: people put forward grouped by offering and country, the
    quotas, and the offerings' names."""
    put_forward = db.session.execute(
        select(Enrolment.offering_id, Enrolment.country_code, Country.name, func.count())
        .select_from(Enrolment)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .outerjoin(Country, Country.code == Enrolment.country_code)
        .where(
            Enrolment.status.in_(PUT_FORWARD),
            *_offering_conditions(filters),
            *_country_conditions(Enrolment.country_code, filters),
        )
        .group_by(Enrolment.offering_id, Enrolment.country_code, Country.name)
    ).all()
    quotas = db.session.execute(
        select(
            OfferingQuota.offering_id, OfferingQuota.country_code, Country.name, OfferingQuota.seats
        )
        .join(Offering, Offering.id == OfferingQuota.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .join(Country, Country.code == OfferingQuota.country_code)
        .where(
            *_offering_conditions(filters),
            *_country_conditions(OfferingQuota.country_code, filters),
        )
    ).all()
    cells: dict[tuple[int, str | None], list] = {}
    for offering_id, code, name, count in put_forward:
        cells[(offering_id, code)] = [name, count, None]
    for offering_id, code, name, seats_reserved in quotas:
        cells.setdefault((offering_id, code), [name, 0, None])[2] = seats_reserved
    offerings = _offerings({offering_id for offering_id, _code in cells})
    rows = [
        NominationRow(offerings[offering_id], code, name, count, quota)
        for (offering_id, code), (name, count, quota) in cells.items()
    ]
    rows.sort(key=lambda r: (r.offering.sort_key, _by_name(r.country_code, r.country_name)))
    return NominationReport(rows)


# --- 5. National trainers -------------------------------------------------------------


@dataclass(frozen=True)
class TrainerRow:
    """People per country: who completed a training of trainers, and who has been
    recorded teaching a later offering (a person counts once per column)."""

    country_code: str | None
    country_name: str | None
    tot_graduates: int = 0
    trainers: int = 0
    assistant_trainers: int = 0
    co_trainers: int = 0


@dataclass(frozen=True)
class TrainerReport:
    rows: list[TrainerRow]
    total: TrainerRow  # distinct people over every country, not a sum of the rows


def trainers(filters: ReportFilters) -> TrainerReport:
    """Four queries: ToT graduates per country and overall, trainers per country and
    overall.

    A graduate counts by the country they represented in the ToT, in the year and
    discipline of the ToT; a trainer by the country of the ToT completion that
    qualifies them, in the year and discipline of the offering they taught.
    """
    tot = (
        select(func.count(distinct(Enrolment.user_id)))
        .select_from(Enrolment)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Course.level == Level.TOT,
            *_offering_conditions(filters),
            *_country_conditions(Enrolment.country_code, filters),
        )
    )
    tot_rows = db.session.execute(
        tot.add_columns(Enrolment.country_code, Country.name)
        .outerjoin(Country, Country.code == Enrolment.country_code)
        .group_by(Enrolment.country_code, Country.name)
    ).all()
    tot_total = db.session.scalar(tot)

    def people(role: TrainerRole | None = None):
        user = TrainerAssignment.user_id
        if role is not None:
            user = case((TrainerAssignment.role == role, TrainerAssignment.user_id))
        return func.count(distinct(user))

    taught = (
        select(people(), people(TrainerRole.ASSISTANT_TRAINER), people(TrainerRole.CO_TRAINER))
        .select_from(TrainerAssignment)
        .join(Enrolment, Enrolment.id == TrainerAssignment.qualifying_enrolment_id)
        .join(Offering, Offering.id == TrainerAssignment.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .where(
            *_offering_conditions(filters),
            *_country_conditions(Enrolment.country_code, filters),
        )
    )
    taught_rows = db.session.execute(
        taught.add_columns(Enrolment.country_code, Country.name)
        .outerjoin(Country, Country.code == Enrolment.country_code)
        .group_by(Enrolment.country_code, Country.name)
    ).all()
    taught_total = db.session.execute(taught).one()

    found: dict[str | None, dict] = {}
    for count, code, name in tot_rows:
        found.setdefault(code, {"country_name": name})["tot_graduates"] = count
    for all_roles, assistants, co_trainers, code, name in taught_rows:
        found.setdefault(code, {"country_name": name}).update(
            trainers=all_roles, assistant_trainers=assistants, co_trainers=co_trainers
        )
    rows = sorted(
        (TrainerRow(code, **fields) for code, fields in found.items()),
        key=lambda row: _by_name(row.country_code, row.country_name),
    )
    total = TrainerRow(None, None, tot_total or 0, *taught_total)
    return TrainerReport(rows, total)


# --- The dashboard --------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    trained: TrainedReport
    women: WomenReport
    seats: SeatReport
    nominations: NominationReport
    trainers: TrainerReport


def dashboard(filters: ReportFilters, scope: Scope, now: datetime) -> Dashboard:
    """Every report for ``filters`` as ``scope`` may see them (already narrowed)."""
    return Dashboard(
        trained=trained(filters),
        women=women(filters, scope),
        seats=seats(filters, now),
        nominations=nominations(filters),
        trainers=trainers(filters),
    )


@dataclass(frozen=True)
class FilterChoices:
    years: list[int]
    countries: list[tuple[str, str]]


def filter_choices(scope: Scope) -> FilterChoices:
    """Two queries: the years offerings end in, and the countries to choose from
    (those people enrolled for; a focal point's own)."""
    years = db.session.scalars(
        select(_year_of(Offering.ends_on))
        .where(Offering.status == OfferingStatus.PUBLISHED)
        .distinct()
    )
    if scope.country:
        condition = Country.code == scope.country
    else:
        condition = select(Enrolment.id).where(Enrolment.country_code == Country.code).exists()
    countries = db.session.execute(select(Country.code, Country.name).where(condition))
    return FilterChoices(
        years=sorted((int(year) for year in years), reverse=True),
        # Named and ordered in the reader's language.
        countries=sorted_by_name(
            (code, country_name(code, default=name)) for code, name in countries
        ),
    )
