"""The reports dashboard and its CSV downloads.

Each report becomes a ``Table``: one list of cells that the page, the chart's
numbers and the CSV are all written from, so the three always agree. Cells keep
their type (a count, a percentage, a suppressed figure) until the last moment,
when the page formats them for the reader's language and the CSV writes them
plainly for spreadsheets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from flask import Response, abort, current_app, render_template, request
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from catalog.catalogue.search import FilterError
from catalog.enrolment.roster import slug, to_csv
from catalog.geo.services import country_name
from catalog.labels import label
from catalog.models import Discipline
from catalog.reports import bp, services
from catalog.reports.services import SMALL_GROUP, OfferingInfo, ReportFilters, Scope, Share
from catalog.reports.svg import Bar, bar_chart
from catalog.security.policy import sees_every_country, sees_small_groups
from catalog.templating import date_range, percent


def now() -> datetime:
    return datetime.now(UTC)


# --- Cells ----------------------------------------------------------------------------


class Fewer:
    """A figure withheld because its group is smaller than SMALL_GROUP."""


FEWER = Fewer()


@dataclass(frozen=True)
class Percent:
    value: Decimal


@dataclass(frozen=True)
class OfferingCell:
    offering: OfferingInfo


@dataclass(frozen=True)
class CountryCell:
    """A country: named in the reader's language on the page, by its stored English
    name in the CSV, whose values stay the same whoever downloads it."""

    code: str | None
    name: str | None


def _fewer_text() -> str:
    return _("fewer than %(num)d", num=SMALL_GROUP)


def page_text(cell) -> str:
    """A cell as the page shows it, in the reader's language."""
    if isinstance(cell, Fewer):
        return _fewer_text()
    if isinstance(cell, int):
        return format_decimal(cell)
    if isinstance(cell, Percent):
        # The value is already rounded to one decimal: format it, never round again.
        return percent(cell.value / 100)
    if isinstance(cell, OfferingCell):
        o = cell.offering
        return f"{o.course_code} {o.course_title}, {date_range(o.starts_on, o.ends_on)}"
    if isinstance(cell, CountryCell):
        if not cell.code:
            return _no_country_text()
        return country_name(cell.code, default=cell.name)
    return str(cell)


def csv_text(cell) -> str:
    """A cell as the CSV writes it: plain numbers and ISO dates for spreadsheets."""
    if isinstance(cell, Fewer):
        return _fewer_text()
    if isinstance(cell, Percent):
        return str(cell.value)
    if isinstance(cell, OfferingCell):
        o = cell.offering
        return f"{o.course_code} {o.course_title} ({o.starts_on:%Y-%m-%d} – {o.ends_on:%Y-%m-%d})"
    if isinstance(cell, CountryCell):
        return cell.name or cell.code or _no_country_text()
    return str(cell)


@dataclass
class Table:
    """One report as rows of cells; the first cell of a row is its heading."""

    name: str  # the CSV's name in the URL, /reports/<name>.csv
    title: str
    help: str
    header: list[str]
    rows: list[list]
    total: list | None = None
    empty: str = ""
    bars: list[Bar] = field(default_factory=list)
    chart_options: dict = field(default_factory=dict)
    chart_description: str = ""

    @property
    def page_rows(self) -> list[list[str]]:
        return [[page_text(cell) for cell in row] for row in self.rows]

    @property
    def page_total(self) -> list[str] | None:
        return [page_text(cell) for cell in self.total] if self.total else None

    def csv(self) -> str:
        rows = [*self.rows, *([self.total] if self.total else [])]
        return to_csv(self.header, ([csv_text(cell) for cell in row] for row in rows))

    def svg(self) -> Markup:
        return bar_chart(
            chart=self.name,
            title=self.title,
            description=self.chart_description,
            bars=self.bars,
            **self.chart_options,
        )


def _no_country_text() -> str:
    return _("No country recorded")


def _country(code: str | None, name: str | None) -> CountryCell:
    return CountryCell(code, name)


def _short_offering(o: OfferingInfo) -> str:
    return f"{o.course_code}, {format_date(o.starts_on, 'medium')}"


def _percent_cell(value: Decimal | None, missing: str):
    return missing if value is None else Percent(value)


def _percent_text(value: Decimal | None) -> str:
    return page_text(Percent(value)) if value is not None else ""


# --- 1. Trainees trained --------------------------------------------------------------


def trained_table(report: services.TrainedReport) -> Table:
    rows = [
        [
            _country(row.country_code, row.country_name),
            label(row.discipline),
            str(row.year),
            row.trained,
            row.distinction,
        ]
        for row in report.rows
    ]
    bars = [
        Bar(
            f"{page_text(cells[0])} · {cells[1]} · {cells[2]}",
            row.trained,
            page_text(row.trained),
        )
        for cells, row in zip(rows, report.rows, strict=True)
    ]
    return Table(
        name="trained",
        title=_("Trainees trained per country, discipline and year"),
        help=_(
            "Completed enrolments (passed, with or without distinction), counted by the "
            "country the trainee represented, the course's discipline and the year the "
            "offering ended."
        ),
        header=[
            _("Country"),
            _("Discipline"),
            _("Year"),
            _("Trainees trained"),
            _("Of whom with distinction"),
        ],
        rows=rows,
        total=[_("All countries"), "", "", report.total, report.distinction_total],
        empty=_("No completed training matches these filters."),
        bars=bars,
        chart_description=_(
            "Horizontal bars, one for each row of the table that follows: the number "
            "of trainees trained."
        ),
    )


# --- 2. Share of women ----------------------------------------------------------------


def _share_cells(share: Share, target: float) -> list:
    if share.suppressed:
        return [FEWER] * 5
    meets = share.meets(target)
    return [
        share.seat_holders,
        share.women,
        Percent(share.percent),
        share.not_stated,
        _("target met") if meets else _("below the target"),
    ]


def _share_bar(heading: str, share: Share, target: float) -> Bar:
    if share.suppressed:
        return Bar(heading, None, _fewer_text())
    text = _(
        "%(share)s, %(verdict)s",
        share=page_text(Percent(share.percent)),
        verdict=_("target met") if share.meets(target) else _("below the target"),
    )
    return Bar(heading, float(share.percent), text)


def _share_chart_options(target: float) -> dict:
    return {
        "maximum": 100,
        "target": target * 100,
        "target_text": _("Target %(target)s", target=percent(target, ".#")),
    }


def women_tables(report: services.WomenReport, target: float) -> tuple[Table, Table]:
    target_text = percent(target, ".#")
    header_tail = [
        _("Seat holders"),
        _("Women"),
        _("Share of women (%)"),
        _("Gender not stated"),
        _("Against the target of %(target)s", target=target_text),
    ]
    help_text = _(
        "Seat holders are confirmed trainees and those who completed, did not pass or "
        "did not attend. People who did not state a gender count among the seat holders "
        "but not among the women."
    )
    description = _(
        "Horizontal bars, one for each row of the table that follows: the share of "
        "women among seat holders, from 0 to 100 per cent, with a dashed line at the "
        "target of %(target)s. Groups with fewer than %(num)d seat holders have no bar.",
        target=target_text,
        num=SMALL_GROUP,
    )
    total = report.total
    by_offering = Table(
        name="women-by-offering",
        title=_("Share of women per offering"),
        help=help_text,
        header=[_("Offering"), *header_tail],
        rows=[[OfferingCell(o), *_share_cells(share, target)] for o, share in report.by_offering],
        total=[_("All offerings"), *_share_cells(total, target)] if total else None,
        empty=_("No seat holders match these filters."),
        bars=[_share_bar(_short_offering(o), share, target) for o, share in report.by_offering],
        chart_options=_share_chart_options(target),
        chart_description=description,
    )
    by_country = Table(
        name="women-by-country",
        title=_("Share of women per country"),
        help=help_text,
        header=[_("Country"), *header_tail],
        rows=[
            [_country(row.country_code, row.country_name), *_share_cells(row.share, target)]
            for row in report.by_country
        ],
        total=[_("All countries"), *_share_cells(total, target)] if total else None,
        empty=_("No seat holders match these filters."),
        bars=[
            _share_bar(page_text(_country(row.country_code, row.country_name)), row.share, target)
            for row in report.by_country
        ],
        chart_options=_share_chart_options(target),
        chart_description=description,
    )
    return by_offering, by_country


# --- 3. Fill rate and no-shows --------------------------------------------------------


def seats_table(report: services.SeatReport, country_name: str | None) -> Table:
    not_ended = _("not ended yet")
    rows = [
        [
            OfferingCell(row.offering),
            row.offering.capacity,
            row.seat_holders,
            _percent_cell(row.fill_percent, ""),
            row.no_shows if row.ended else not_ended,
            _percent_cell(row.no_show_percent, _("no seat holders") if row.ended else not_ended),
        ]
        for row in report.rows
    ]
    bars = []
    for row in report.rows:
        name = _short_offering(row.offering)
        bars.append(
            Bar(
                _("%(offering)s: filled", offering=name),
                float(row.fill_percent),
                _("%(share)s of seats held", share=_percent_text(row.fill_percent)),
            )
        )
        if row.no_show_percent is not None:
            no_show = Bar(
                _("%(offering)s: no-shows", offering=name),
                float(row.no_show_percent),
                _("%(share)s did not attend", share=_percent_text(row.no_show_percent)),
                series=1,
            )
        else:
            no_show = Bar(
                _("%(offering)s: no-shows", offering=name),
                None,
                not_ended if not row.ended else _("no seat holders"),
                series=1,
            )
        bars.append(no_show)
    help_text = _(
        "Fill rate: seat holders as a share of the offering's capacity. No-show rate: "
        "seat holders who did not attend, for offerings that have ended."
    )
    if country_name:
        help_text += " " + _(
            "Only seat holders from %(country)s are counted, in offerings where they hold seats.",
            country=country_name,
        )
    return Table(
        name="seats",
        title=_("Fill rate and no-show rate per offering"),
        help=help_text,
        header=[
            _("Offering"),
            _("Capacity"),
            _("Seat holders"),
            _("Fill rate (%)"),
            _("Did not attend"),
            _("No-show rate (%)"),
        ],
        rows=rows,
        total=[
            _("All offerings"),
            report.capacity,
            report.seat_holders,
            _percent_cell(report.fill_percent, ""),
            report.no_shows,
            _percent_cell(report.no_show_percent, ""),
        ],
        empty=_("No offering matches these filters."),
        bars=bars,
        chart_options={"maximum": 100},
        chart_description=_(
            "Horizontal bars, two for each offering in the table that follows: the "
            "fill rate, then the no-show rate, from 0 to 100 per cent."
        ),
    )


# --- 4. Nominations against quotas ----------------------------------------------------


def _against_quota(put_forward: int, quota: int | None) -> str:
    if quota is None:
        return _("no quota")
    if put_forward < quota:
        return _("below the quota")
    if put_forward == quota:
        return _("quota reached")
    return _("more than the quota")


def nominations_table(report: services.NominationReport) -> Table:
    no_quota = _("no quota")
    rows = [
        [
            OfferingCell(row.offering),
            _country(row.country_code, row.country_name),
            row.put_forward,
            no_quota if row.quota is None else row.quota,
            _against_quota(row.put_forward, row.quota),
        ]
        for row in report.rows
    ]
    bars = [
        Bar(
            f"{page_text(_country(row.country_code, row.country_name))} · "
            f"{_short_offering(row.offering)}",
            row.put_forward,
            _("%(num)s put forward, no quota", num=page_text(row.put_forward))
            if row.quota is None
            else _(
                "%(num)s put forward, quota %(quota)s",
                num=page_text(row.put_forward),
                quota=page_text(row.quota),
            ),
            mark=row.quota,
        )
        for row in report.rows
    ]
    return Table(
        name="nominations",
        title=_("Nominations per country against quota"),
        help=_(
            "People each country put forward for each offering (nominated, selected, "
            "waitlisted, or already finished), beside the seats reserved for that country."
        ),
        header=[
            _("Offering"),
            _("Country"),
            _("Put forward"),
            _("Seats reserved (quota)"),
            _("Against the quota"),
        ],
        rows=rows,
        total=[_("All offerings"), "", report.put_forward, report.quota, ""],
        empty=_("No nominations or quotas match these filters."),
        bars=bars,
        chart_description=_(
            "Horizontal bars, one for each row of the table that follows: the number "
            "of people put forward. A short upright line marks the country's quota, "
            "which the text beside each bar also gives."
        ),
    )


# --- 5. National trainers -------------------------------------------------------------


def trainers_table(report: services.TrainerReport) -> Table:
    rows = [
        [
            _country(row.country_code, row.country_name),
            row.tot_graduates,
            row.trainers,
            row.assistant_trainers,
            row.co_trainers,
        ]
        for row in report.rows
    ]
    bars = []
    for cells, row in zip(rows, report.rows, strict=True):
        bars.append(
            Bar(
                _("%(country)s: ToT graduates", country=page_text(cells[0])),
                row.tot_graduates,
                page_text(row.tot_graduates),
            )
        )
        bars.append(
            Bar(
                _("%(country)s: trainers", country=page_text(cells[0])),
                row.trainers,
                page_text(row.trainers),
                series=1,
            )
        )
    total = report.total
    return Table(
        name="trainers",
        title=_("National trainers produced per country"),
        help=_(
            "People who completed a training of trainers (by the country they "
            "represented), and people recorded as assistant trainers or co-trainers on a "
            "later offering (by the country of the training of trainers that qualifies "
            "them). A person counts once in each column."
        ),
        header=[
            _("Country"),
            _("ToT graduates"),
            _("Recorded as trainers"),
            _("Assistant trainers"),
            _("Co-trainers"),
        ],
        rows=rows,
        total=[
            _("All countries"),
            total.tot_graduates,
            total.trainers,
            total.assistant_trainers,
            total.co_trainers,
        ],
        empty=_("No training of trainers graduates or trainers match these filters."),
        bars=bars,
        chart_description=_(
            "Horizontal bars, two for each country in the table that follows: graduates "
            "of a training of trainers, then people recorded as trainers."
        ),
    )


# --- Who is looking, and what they asked for ------------------------------------------


def _scope() -> Scope:
    """Coordinators and administrators see every country, administrators small
    groups too; a focal point sees their own country."""
    if sees_every_country(current_user):
        return Scope(country=None, exact=sees_small_groups(current_user))
    if not current_user.country_code:
        abort(403, _("Your profile has no country, so there are no figures to show you."))
    return Scope(country=current_user.country_code, exact=False)


def _filters(scope: Scope) -> ReportFilters:
    try:
        return scope.narrow(ReportFilters.from_args(request.args))
    except FilterError as error:
        abort(400, f"{error.parameter}: {error.message}")
    except services.OutOfScope:
        abort(403, _("You can see the figures of your own country only."))


def _target() -> float:
    return current_app.config["GENDER_TARGET"]


def _country_name(filters: ReportFilters, choices: services.FilterChoices) -> str | None:
    if not filters.country:
        return None
    return dict(choices.countries).get(filters.country, filters.country)


# The downloads: name -> the table, from one report's figures only.
CSV_TABLES = {
    "trained": lambda f, scope: trained_table(services.trained(f)),
    "women-by-offering": lambda f, scope: women_tables(services.women(f, scope), _target())[0],
    "women-by-country": lambda f, scope: women_tables(services.women(f, scope), _target())[1],
    "seats": lambda f, scope: seats_table(services.seats(f, now()), None),
    "nominations": lambda f, scope: nominations_table(services.nominations(f)),
    "trainers": lambda f, scope: trainers_table(services.trainers(f)),
}


@bp.route("")
def dashboard():
    scope = _scope()
    filters = _filters(scope)
    choices = services.filter_choices(scope)
    figures = services.dashboard(filters, scope, now())
    target = _target()
    women_by_offering, women_by_country = women_tables(figures.women, target)
    return render_template(
        "reports/dashboard.html",
        filters=filters,
        choices=choices,
        scope=scope,
        scope_name=dict(choices.countries).get(scope.country, scope.country),
        disciplines=list(Discipline),
        trained=trained_table(figures.trained),
        women_by_offering=women_by_offering,
        women_by_country=women_by_country,
        seats=seats_table(figures.seats, _country_name(filters, choices)),
        nominations=nominations_table(figures.nominations),
        trainers=trainers_table(figures.trainers),
        target=target,
        small_group=SMALL_GROUP,
        # A focal point's own country is no choice of theirs: nothing to clear.
        clearable=bool(filters.year or filters.discipline or not scope.country and filters.country),
    )


@bp.route("/<name>.csv")
def download(name: str):
    build = CSV_TABLES.get(name)
    if build is None:
        abort(404)
    scope = _scope()
    filters = _filters(scope)
    table = build(filters, scope)
    parts = [name, *filters.to_args().values()]
    filename = slug(" ".join(parts)) + ".csv"
    return Response(
        table.csv(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
