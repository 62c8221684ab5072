"""Finding published offerings: filters from the URL, results, facet counts, seats.

The catalogue page and the JSON API share every function here, so they always
agree. Each function issues a fixed number of queries, whatever the number of
offerings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, literal_column, select
from sqlalchemy.orm import contains_eager

from catalog.extensions import db
from catalog.geo.services import country_name, name_sort_key
from catalog.models import (
    SEAT_HOLDING,
    Country,
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Enrolment,
    Level,
    Offering,
    OfferingQuota,
    OfferingStatus,
    Programme,
    Region,
)
from catalog.pagecache import remembered
from catalog.text import search_terms

MAX_PER_PAGE = 100
# Far beyond any real catalogue, and keeps the OFFSET within a 64-bit integer.
MAX_PAGE = 1_000_000
MAX_QUERY_LENGTH = 200


class FilterError(ValueError):
    """A query parameter that cannot be used; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def whole_number(args: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    """A positive whole number parameter (``page``, ``per_page``); raises FilterError."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    # isascii: int() would also take "1_0" and other scripts' digits. The length
    # first: int() refuses more than 4,300 digits with a ValueError (a 500).
    if (
        not (raw.isascii() and raw.isdigit())
        or len(raw) > len(str(maximum))
        or not 1 <= int(raw) <= maximum
    ):
        raise FilterError(name, _("must be a whole number between 1 and %(max)d", max=maximum))
    return int(raw)


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor asked for; every field is optional and they combine with AND."""

    discipline: Discipline | None = None
    level: Level | None = None
    programme: Programme | None = None
    mode: DeliveryMode | None = None
    country: str | None = None
    region: Region | None = None
    language: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    open_now: bool = False
    q: str = ""

    # URL parameter name -> field name, in the order facets are shown.
    PARAMETERS = {
        "discipline": "discipline",
        "level": "level",
        "programme": "programme",
        "mode": "mode",
        "country": "country",
        "region": "region",
        "language": "language",
        "from": "date_from",
        "to": "date_to",
        "open": "open_now",
        "q": "q",
    }

    @classmethod
    def from_args(cls, args: Mapping[str, str], languages: tuple[str, ...]) -> CatalogueFilters:
        """Parse URL parameters; empty ones are ignored, bad ones raise FilterError."""

        def value(name: str) -> str:
            return (args.get(name) or "").strip()

        def choice(name: str, enum_class):
            raw = value(name)
            if not raw:
                return None
            try:
                return enum_class(raw)
            except ValueError:
                allowed = ", ".join(member.value for member in enum_class)
                raise FilterError(name, _("must be one of %(values)s", values=allowed)) from None

        def day(name: str) -> date | None:
            raw = value(name)
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise FilterError(name, _("must be a date written YYYY-MM-DD")) from None

        country = value("country").upper() or None
        if country and (len(country) != 2 or not country.isalpha()):
            raise FilterError("country", _("must be a two-letter ISO 3166 country code"))
        language = value("language").lower() or None
        if language and language not in languages:
            raise FilterError(
                "language", _("must be one of %(values)s", values=", ".join(languages))
            )
        open_raw = value("open").lower()
        if open_raw not in {"", "0", "1", "true", "false", "yes", "no", "on", "off"}:
            raise FilterError("open", _("must be true or false"))
        q = value("q")
        if len(q) > MAX_QUERY_LENGTH:
            raise FilterError("q", _("must be at most %(max)d characters", max=MAX_QUERY_LENGTH))
        filters = cls(
            discipline=choice("discipline", Discipline),
            level=choice("level", Level),
            programme=choice("programme", Programme),
            mode=choice("mode", DeliveryMode),
            country=country,
            region=choice("region", Region),
            language=language,
            date_from=day("from"),
            date_to=day("to"),
            open_now=open_raw in {"1", "true", "yes", "on"},
            q=q,
        )
        if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
            raise FilterError("to", _("must not be before from"))
        return filters

    def to_args(self, **changes) -> dict[str, str]:
        """URL parameters for these filters with ``changes`` applied (None removes one)."""
        current = replace(self, **changes) if changes else self
        args = {}
        for parameter, name in self.PARAMETERS.items():
            raw = getattr(current, name)
            if raw in (None, "", False):
                continue
            args[parameter] = "1" if raw is True else str(raw)
        return args

    @property
    def active(self) -> dict[str, str]:
        return self.to_args()


def _text_condition(terms: list[str], dialect: str):
    if dialect == "postgresql":
        # Prefix matching on every word, backed by the GIN index on the folded text.
        query = " & ".join(f"{term}:*" for term in terms)
        return func.to_tsvector(literal_column("'simple'"), Course.search_text).op("@@")(
            func.to_tsquery(literal_column("'simple'"), query)
        )
    return and_(*(Course.search_text.contains(term, autoescape=True) for term in terms))


def _conditions(
    filters: CatalogueFilters,
    now: datetime,
    skip: frozenset[str] = frozenset(),
    with_cancelled: bool = False,
) -> list:
    """SQL conditions for ``filters``, leaving out the facets named in ``skip``.

    ``with_cancelled`` keeps cancelled offerings (and those of cancelled courses),
    which calendar feeds must go on showing as cancelled.
    """
    today = now.date()
    if with_cancelled:
        conditions = [
            Offering.status != OfferingStatus.DRAFT,
            Course.status != CourseStatus.DRAFT,
        ]
    else:
        conditions = [
            Offering.status == OfferingStatus.PUBLISHED,
            Course.status == CourseStatus.PUBLISHED,
        ]
    conditions.append(Offering.ends_on >= (filters.date_from or today))
    simple = {
        "discipline": (Course.discipline, filters.discipline),
        "level": (Course.level, filters.level),
        "programme": (Course.programme, filters.programme),
        "mode": (Offering.delivery_mode, filters.mode),
        "country": (Offering.country_code, filters.country),
        "region": (Country.region, filters.region),
        "language": (Offering.language, filters.language),
    }
    for name, (column, wanted) in simple.items():
        if wanted is not None and name not in skip:
            conditions.append(column == wanted)
    if filters.date_to:
        conditions.append(Offering.starts_on <= filters.date_to)
    if filters.open_now and "open" not in skip:
        conditions.append(Offering.enrolment_opens_at <= now)
        conditions.append(Offering.enrolment_closes_at > now)
    terms = search_terms(filters.q)
    if terms:
        conditions.append(_text_condition(terms, db.engine.dialect.name))
    return conditions


def _base(statement: Select) -> Select:
    return statement.select_from(Offering).join(Offering.course).outerjoin(Offering.country)


def offerings_query(filters: CatalogueFilters, now: datetime) -> Select:
    """Matching offerings, soonest first, with course and country in the same query."""
    return (
        _base(select(Offering))
        .where(*_conditions(filters, now))
        .options(contains_eager(Offering.course), contains_eager(Offering.country))
        .order_by(Offering.starts_on, Offering.id)
    )


def listed_offering_ids(filters: CatalogueFilters, now: datetime) -> Select:
    """Ids of offerings matching ``filters``, cancelled ones included (for feeds)."""
    return _base(select(Offering.id)).where(*_conditions(filters, now, with_cancelled=True))


@dataclass
class ResultPage:
    items: list[Offering]
    total: int
    page: int
    per_page: int
    seats_left: dict[int, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_offerings(
    filters: CatalogueFilters,
    now: datetime,
    page: int = 1,
    per_page: int = 20,
    total: int | None = None,
) -> ResultPage:
    """One page of results with the seats left of each: three queries, or two when
    the caller already knows the total (from ``facet_counts``)."""
    statement = offerings_query(filters, now)
    if total is None:
        total = db.session.scalar(
            _base(select(func.count(Offering.id))).where(*_conditions(filters, now))
        )
    items = list(
        db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).unique()
    )
    return ResultPage(items, total or 0, page, per_page, seats_left(items))


def seats_left(offerings: list[Offering]) -> dict[int, int]:
    """Offering id -> seats not yet held by a confirmed trainee (never below zero)."""
    if not offerings:
        return {}
    taken = dict(
        db.session.execute(
            select(Enrolment.offering_id, func.count())
            .where(
                Enrolment.offering_id.in_([o.id for o in offerings]),
                Enrolment.status.in_(SEAT_HOLDING),
            )
            .group_by(Enrolment.offering_id)
        ).all()
    )
    return {o.id: max(0, o.capacity - taken.get(o.id, 0)) for o in offerings}


def country_seats_left(offering: Offering, country_code: str | None) -> int | None:
    """Seats left in the quota of ``country_code``, or None when it has no quota."""
    if not country_code:
        return None
    quota = db.session.get(OfferingQuota, (offering.id, country_code))
    if quota is None:
        return None
    taken = db.session.scalar(
        select(func.count()).where(
            Enrolment.offering_id == offering.id,
            Enrolment.country_code == country_code,
            Enrolment.status.in_(SEAT_HOLDING),
        )
    )
    return max(0, quota.seats - (taken or 0))


FACETS = ("discipline", "level", "programme", "mode", "region", "country", "language", "open")


def _facet_columns(now: datetime) -> dict:
    is_open = and_(Offering.enrolment_opens_at <= now, Offering.enrolment_closes_at > now)
    return {
        "discipline": Course.discipline,
        "level": Course.level,
        "programme": Course.programme,
        "mode": Offering.delivery_mode,
        "region": Country.region,
        "country": Offering.country_code,
        "language": Offering.language,
        "open": case((is_open, True), else_=False),
    }


class FacetCounts(dict):
    """Facet name -> [(value, count)], plus ``total``: the offerings matching every filter."""

    total: int = 0


def facet_counts(filters: CatalogueFilters, now: datetime) -> FacetCounts:
    """For each facet, how many offerings each of its values would give with every
    other filter applied.

    One query counts the offerings passing the non-facet filters (dates, text) per
    combination of facet values; the tally happens here. A combination counts
    towards a facet's values when it fails no active filter but possibly that
    facet's own.
    """
    columns = _facet_columns(now)
    wanted = {
        "discipline": filters.discipline,
        "level": filters.level,
        "programme": filters.programme,
        "mode": filters.mode,
        "region": filters.region,
        "country": filters.country,
        "language": filters.language,
        "open": True if filters.open_now else None,
    }
    active = [
        (index, name, wanted[name]) for index, name in enumerate(FACETS) if wanted[name] is not None
    ]
    tallies: dict[str, Counter] = {name: Counter() for name in FACETS}
    # Grouping by every facet at once returns one row per combination of values
    # (a few hundred at most), however many offerings there are.
    selected = [columns[name] for name in FACETS]
    rows = db.session.execute(
        _base(select(*selected, func.count(Offering.id)))
        .where(*_conditions(filters, now, skip=frozenset(FACETS)))
        .group_by(*selected)
    )
    total = 0
    for *values, number in rows:
        failed = [name for index, name, value in active if values[index] != value]
        if len(failed) > 1:
            continue
        if not failed:
            total += number
        for index, name in enumerate(FACETS):
            if (not failed or failed[0] == name) and values[index] is not None:
                tallies[name][values[index]] += number
    counts = FacetCounts(
        (name, sorted((str(getattr(v, "value", v)), n) for v, n in tallies[name].items()))
        for name in FACETS
        if name != "open"
    )
    # Countries are listed by name in the reader's language, as people look for them.
    counts["country"].sort(key=lambda item: name_sort_key(country_name(item[0])))
    counts.total = total
    counts["open"] = [("1", tallies["open"][True])]
    return counts


def shared_facet_counts(filters: CatalogueFilters, now: datetime) -> FacetCounts:
    """``facet_counts``, shared by everyone who asks for these filters in this language
    (the home page and the catalogue alike): counted once per data change, not for
    every request. Callers must not change what it returns."""
    return remembered(
        ("catalogue-facets", filters, str(get_locale())), lambda: facet_counts(filters, now)
    )


def offering_is_listed(offering: Offering) -> bool:
    """Published offerings of published courses are public."""
    return offering.status != OfferingStatus.DRAFT and offering.course.status != CourseStatus.DRAFT
