"""Reports: every figure checked against a data set worked out by hand, on the page,
in the charts and in the CSV; who sees what; filters; query counts."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import delete

from catalog.extensions import db
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
    Region,
    Role,
    TrainerAssignment,
    TrainerRole,
    User,
)
from catalog.reports import services
from catalog.reports.services import ReportFilters, Scope
from catalog.reports.svg import BAR_LEFT, BAR_SPACE, LABEL_CHARACTERS, Bar, bar_chart
from tests.factories import PASSWORD, make_course, make_offering, make_user
from tests.html import assert_accessible_layout
from tests.querycount import count_queries

TODAY = date.today()
F, M, X = Gender.FEMALE, Gender.MALE, None  # X: did not state a gender
S = EnrolmentStatus
SVG = "{http://www.w3.org/2000/svg}"
ALL_COUNTRIES = ("Kenya", "Uganda", "Ghana", "Indonesia")


# --- The known data set ---------------------------------------------------------------
#
# O1 ENG-B  engineering basic  2024-08-05..09-13  capacity 10  quotas KE 4, UG 4
#    KE: completed k1 F (distinction), k2 F, k3 M, k4 M, k5 -, no-show k6 M, withdrawn k7 F
#    UG: completed u1 F, u2 M, failed u3 M, waitlisted u4 F, declined u5 M
# O2 MED-F  medical basic      2025-03-03..03-09  capacity 8   quotas GH 2, UG 2
#    GH: completed g1 F (distinction), g2 F, g3 F, nominated g4 M
#    KE: completed m1 M, m2 F, applied m3 F;   no country: completed n1 M
# O3 ENG-T  engineering ToT    2025-05-05..07-31  capacity 6
#    KE: completed k1, k3, k4;   UG: completed u2, failed u1
# O5 ENG-M  engineering maint. 2025-10-06..11-14  capacity 10
#    ID: completed i1 M, i2 M, i3 M, i4 -, no-show i5 M
#    trainers: k1 assistant, k3 co-trainer, u2 assistant (all qualified by O3)
# O4 C4-S   c4isr basic        upcoming           capacity 12  quotas ID 2, KE 3
#    ID: confirmed j1 F, j2 M, waitlisted j3 M;   KE: nominated k8 F
#    trainers: k1 co-trainer
# O6 ENG-B cancelled 2025, O7 MED-F draft 2025: each with completions that never count.


@dataclass
class Data:
    offerings: dict[str, Offering] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)
    enrolments: dict[tuple[str, str], Enrolment] = field(default_factory=dict)


def _person(data: Data, key: str, gender, country: str | None) -> User:
    if key not in data.people:
        data.people[key] = make_user(
            f"{key}@example.org", country=country, gender=gender, name=f"Person {key}"
        )
    return data.people[key]


def _enrol(data, offering, key, gender, country, status, distinction=False) -> Enrolment:
    user = _person(data, key, gender, country)
    enrolment = Enrolment(
        user=user,
        offering=data.offerings[offering],
        country_code=country,
        status=status,
        distinction=distinction,
    )
    db.session.add(enrolment)
    data.enrolments[(offering, key)] = enrolment
    return enrolment


def _offering(course: Course, start: date, end: date, capacity: int, **fields) -> Offering:
    return make_offering(
        course,
        starts_on=start,
        ends_on=end,
        enrolment_opens_on=start - timedelta(days=60),
        enrolment_closes_on=start - timedelta(days=14),
        capacity=capacity,
        **fields,
    )


def build_known_data() -> Data:
    data = Data()
    eng_b = make_course("ENG-B", title="Heavy Engineering Equipment Basic")
    med = make_course("MED-F", title="Field Medical Assistants", discipline=Discipline.MEDICAL)
    tot = make_course("ENG-T", title="HEE Training of Trainers", level=Level.TOT)
    maint = make_course("ENG-M", title="HEE Maintenance", level=Level.INTERMEDIATE)
    c4 = make_course("C4-S", title="Camp Security Technology", discipline=Discipline.C4ISR)
    o = data.offerings
    o["O1"] = _offering(eng_b, date(2024, 8, 5), date(2024, 9, 13), 10)
    o["O2"] = _offering(med, date(2025, 3, 3), date(2025, 3, 9), 8)
    o["O3"] = _offering(tot, date(2025, 5, 5), date(2025, 7, 31), 6)
    o["O5"] = _offering(maint, date(2025, 10, 6), date(2025, 11, 14), 10)
    upcoming = TODAY + timedelta(days=60)
    o["O4"] = _offering(c4, upcoming, upcoming + timedelta(days=13), 12)
    o["O6"] = _offering(
        eng_b, date(2025, 6, 2), date(2025, 7, 11), 10, status=OfferingStatus.CANCELLED
    )
    o["O7"] = _offering(med, date(2025, 4, 7), date(2025, 4, 13), 8, status=OfferingStatus.DRAFT)
    for offering, code, seats in [
        ("O1", "KE", 4),
        ("O1", "UG", 4),
        ("O2", "GH", 2),
        ("O2", "UG", 2),
        ("O4", "ID", 2),
        ("O4", "KE", 3),
    ]:
        o[offering].quotas.append(OfferingQuota(country_code=code, seats=seats))

    _enrol(data, "O1", "k1", F, "KE", S.COMPLETED, distinction=True)
    _enrol(data, "O1", "k2", F, "KE", S.COMPLETED)
    _enrol(data, "O1", "k3", M, "KE", S.COMPLETED)
    _enrol(data, "O1", "k4", M, "KE", S.COMPLETED)
    _enrol(data, "O1", "k5", X, "KE", S.COMPLETED)
    _enrol(data, "O1", "k6", M, "KE", S.NO_SHOW)
    _enrol(data, "O1", "k7", F, "KE", S.WITHDRAWN)
    _enrol(data, "O1", "u1", F, "UG", S.COMPLETED)
    _enrol(data, "O1", "u2", M, "UG", S.COMPLETED)
    _enrol(data, "O1", "u3", M, "UG", S.FAILED)
    _enrol(data, "O1", "u4", F, "UG", S.WAITLISTED)
    _enrol(data, "O1", "u5", M, "UG", S.DECLINED)

    _enrol(data, "O2", "g1", F, "GH", S.COMPLETED, distinction=True)
    _enrol(data, "O2", "g2", F, "GH", S.COMPLETED)
    _enrol(data, "O2", "g3", F, "GH", S.COMPLETED)
    _enrol(data, "O2", "g4", M, "GH", S.NOMINATED)
    _enrol(data, "O2", "m1", M, "KE", S.COMPLETED)
    _enrol(data, "O2", "m2", F, "KE", S.COMPLETED)
    _enrol(data, "O2", "m3", F, "KE", S.APPLIED)
    _enrol(data, "O2", "n1", M, None, S.COMPLETED)

    _enrol(data, "O3", "k1", F, "KE", S.COMPLETED)
    _enrol(data, "O3", "k3", M, "KE", S.COMPLETED)
    _enrol(data, "O3", "k4", M, "KE", S.COMPLETED)
    _enrol(data, "O3", "u2", M, "UG", S.COMPLETED)
    _enrol(data, "O3", "u1", F, "UG", S.FAILED)

    _enrol(data, "O5", "i1", M, "ID", S.COMPLETED)
    _enrol(data, "O5", "i2", M, "ID", S.COMPLETED)
    _enrol(data, "O5", "i3", M, "ID", S.COMPLETED)
    _enrol(data, "O5", "i4", X, "ID", S.COMPLETED)
    _enrol(data, "O5", "i5", M, "ID", S.NO_SHOW)

    _enrol(data, "O4", "j1", F, "ID", S.CONFIRMED)
    _enrol(data, "O4", "j2", M, "ID", S.CONFIRMED)
    _enrol(data, "O4", "j3", M, "ID", S.WAITLISTED)
    _enrol(data, "O4", "k8", F, "KE", S.NOMINATED)

    _enrol(data, "O6", "k2", F, "KE", S.COMPLETED)
    _enrol(data, "O6", "k5", X, "KE", S.COMPLETED)
    _enrol(data, "O7", "g2", F, "GH", S.COMPLETED)
    db.session.flush()

    def teaches(offering: str, key: str, role: TrainerRole) -> None:
        db.session.add(
            TrainerAssignment(
                offering=o[offering],
                user=data.people[key],
                role=role,
                qualifying_enrolment=data.enrolments[("O3", key)],
            )
        )

    teaches("O5", "k1", TrainerRole.ASSISTANT_TRAINER)
    teaches("O5", "k3", TrainerRole.CO_TRAINER)
    teaches("O5", "u2", TrainerRole.ASSISTANT_TRAINER)
    teaches("O4", "k1", TrainerRole.CO_TRAINER)
    db.session.commit()
    return data


@pytest.fixture
def known():
    return build_known_data()


# --- What the hand count says ---------------------------------------------------------

TRAINED = [
    # country, discipline, year, trained, of whom with distinction
    ("Ghana", "Medical", "2025", "3", "1"),
    ("Indonesia", "Engineering", "2025", "4", "0"),
    ("Kenya", "Engineering", "2024", "5", "1"),
    ("Kenya", "Engineering", "2025", "3", "0"),
    ("Kenya", "Medical", "2025", "2", "0"),
    ("Uganda", "Engineering", "2024", "2", "0"),
    ("Uganda", "Engineering", "2025", "1", "0"),
    ("No country recorded", "Medical", "2025", "1", "0"),
]
TRAINED_TOTAL = ("All countries", "", "", "21", "2")
FEWER = "fewer than 5"
FEWER_ROW = (FEWER,) * 5
# seat holders, women, share, gender not stated, against the target (as the page says it)
WOMEN_BY_OFFERING = {
    "ENG-B": ("9", "3", "33.3%", "1", "target met"),
    "MED-F": ("6", "4", "66.7%", "0", "target met"),
    "ENG-T": ("5", "2", "40.0%", "0", "target met"),
    "ENG-M": ("5", "0", "0.0%", "1", "below the target"),
    "C4-S": FEWER_ROW,
}
WOMEN_BY_OFFERING_ADMIN = {**WOMEN_BY_OFFERING, "C4-S": ("2", "1", "50.0%", "0", "target met")}
WOMEN_BY_COUNTRY = {
    "Ghana": FEWER_ROW,
    "Indonesia": ("7", "1", "14.3%", "1", "below the target"),
    "Kenya": ("11", "4", "36.4%", "1", "target met"),
    "Uganda": ("5", "2", "40.0%", "0", "target met"),
    "No country recorded": FEWER_ROW,
}
WOMEN_BY_COUNTRY_ADMIN = {
    **WOMEN_BY_COUNTRY,
    "Ghana": ("3", "3", "100.0%", "0", "target met"),
    "No country recorded": ("1", "0", "0.0%", "0", "below the target"),
}
WOMEN_TOTAL = ("27", "10", "37.0%", "2", "target met")
# capacity, seat holders, fill rate, did not attend, no-show rate
SEATS = {
    "ENG-B": ("10", "9", "90.0%", "1", "11.1%"),
    "MED-F": ("8", "6", "75.0%", "0", "0.0%"),
    "ENG-T": ("6", "5", "83.3%", "0", "0.0%"),
    "ENG-M": ("10", "5", "50.0%", "1", "20.0%"),
    "C4-S": ("12", "2", "16.7%", "not ended yet", "not ended yet"),
}
SEATS_TOTAL = ("All offerings", "46", "27", "58.7%", "2", "8.0%")
# offering, country, put forward, quota, against the quota
NOMINATIONS = [
    ("ENG-B", "Kenya", "6", "4", "more than the quota"),
    ("ENG-B", "Uganda", "4", "4", "quota reached"),
    ("MED-F", "Ghana", "4", "2", "more than the quota"),
    ("MED-F", "Kenya", "2", "no quota", "no quota"),
    ("MED-F", "Uganda", "0", "2", "below the quota"),
    ("MED-F", "No country recorded", "1", "no quota", "no quota"),
    ("ENG-T", "Kenya", "3", "no quota", "no quota"),
    ("ENG-T", "Uganda", "2", "no quota", "no quota"),
    ("ENG-M", "Indonesia", "5", "no quota", "no quota"),
    ("C4-S", "Indonesia", "3", "2", "more than the quota"),
    ("C4-S", "Kenya", "1", "3", "below the quota"),
]
NOMINATIONS_TOTAL = ("All offerings", "", "31", "17", "")
# country, ToT graduates, recorded as trainers, assistant trainers, co-trainers
TRAINERS = [("Kenya", "3", "2", "1", "2"), ("Uganda", "1", "1", "1", "0")]
TRAINERS_TOTAL = ("All countries", "4", "3", "2", "2")


# --- Reading pages and files ----------------------------------------------------------


class _Tables(HTMLParser):
    """The cells of every <table> with an id, row by row (header row first)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[tuple[str, ...]]] = {}
        self._rows = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._rows is not None:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._rows.append(tuple(self._row))
            self._row = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> dict[str, list[tuple[str, ...]]]:
    return _Tables(response.get_data(as_text=True)).tables


def body_rows(response, table_id: str) -> list[tuple[str, ...]]:
    """The table's rows without its header row."""
    return tables(response)[table_id][1:]


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "a byte-order mark, so spreadsheets read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def svgs(response) -> list[ET.Element]:
    """Every inline chart, parsed as XML: a malformed or unescaped one fails here."""
    html = response.get_data(as_text=True)
    return [ET.fromstring(match) for match in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def code_of(cell: str) -> str:
    return cell.split()[0]


def by_code(rows) -> dict[str, tuple[str, ...]]:
    return {code_of(row[0]): tuple(row[1:]) for row in rows}


def as_csv(cells) -> tuple[str, ...]:
    """Page cells as the CSV writes them: percentages without the sign."""
    return tuple(cell.removesuffix("%") for cell in cells)


@pytest.fixture
def log_in(app):
    def log_in(user):
        browser = app.test_client()
        response = browser.post("/account/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, "logged in"
        return browser

    return log_in


def staff(role: Role, country: str = "JP") -> User:
    user = make_user(f"{role.value}-{country.lower()}@example.org", role, country=country)
    db.session.commit()
    return user


@pytest.fixture
def coordinator(log_in):
    return log_in(staff(Role.COORDINATOR))


@pytest.fixture
def admin(log_in):
    return log_in(staff(Role.ADMIN))


@pytest.fixture
def kenya_focal_point(log_in):
    return log_in(staff(Role.FOCAL_POINT, "KE"))


# --- The figures, from the services ---------------------------------------------------


def test_services_count_exactly_what_the_records_hold(known):
    everyone = ReportFilters()
    coordinator = Scope()
    trained = services.trained(everyone)
    assert [
        (r.country_code, r.discipline, r.year, r.trained, r.distinction) for r in trained.rows
    ] == [
        ("GH", Discipline.MEDICAL, 2025, 3, 1),
        ("ID", Discipline.ENGINEERING, 2025, 4, 0),
        ("KE", Discipline.ENGINEERING, 2024, 5, 1),
        ("KE", Discipline.ENGINEERING, 2025, 3, 0),
        ("KE", Discipline.MEDICAL, 2025, 2, 0),
        ("UG", Discipline.ENGINEERING, 2024, 2, 0),
        ("UG", Discipline.ENGINEERING, 2025, 1, 0),
        (None, Discipline.MEDICAL, 2025, 1, 0),
    ]
    assert (trained.total, trained.distinction_total) == (21, 2)

    women = services.women(everyone, coordinator)
    shares = {o.course_code: s for o, s in women.by_offering}
    assert shares["ENG-B"] == services.Share(9, 3, 1)
    assert shares["ENG-B"].percent == Decimal("33.3")
    assert shares["ENG-M"].meets(0.15) is False
    assert shares["C4-S"].suppressed and shares["C4-S"].seat_holders is None
    assert women.total == services.Share(27, 10, 2)
    assert women.total.percent == Decimal("37.0")
    countries = {row.country_code: row.share for row in women.by_country}
    assert countries["ID"] == services.Share(7, 1, 1)
    assert countries["ID"].percent == Decimal("14.3")
    assert countries["GH"].suppressed and countries[None].suppressed
    exact = services.women(everyone, Scope(exact=True))
    assert {row.country_code: row.share for row in exact.by_country}["GH"] == services.Share(
        3, 3, 0
    )

    seats = services.seats(everyone, datetime.now(UTC))
    assert [
        (r.offering.course_code, r.seat_holders, r.no_shows, r.fill_percent, r.no_show_percent)
        for r in seats.rows
    ] == [
        ("ENG-B", 9, 1, Decimal("90.0"), Decimal("11.1")),
        ("MED-F", 6, 0, Decimal("75.0"), Decimal("0.0")),
        ("ENG-T", 5, 0, Decimal("83.3"), Decimal("0.0")),
        ("ENG-M", 5, 1, Decimal("50.0"), Decimal("20.0")),
        ("C4-S", 2, 0, Decimal("16.7"), None),
    ]
    assert (seats.capacity, seats.seat_holders, seats.fill_percent) == (46, 27, Decimal("58.7"))
    assert (seats.no_shows, seats.ended_seat_holders, seats.no_show_percent) == (
        2,
        25,
        Decimal("8.0"),
    )

    nominations = services.nominations(everyone)
    assert [
        (r.offering.course_code, r.country_code, r.put_forward, r.quota) for r in nominations.rows
    ] == [
        ("ENG-B", "KE", 6, 4),
        ("ENG-B", "UG", 4, 4),
        ("MED-F", "GH", 4, 2),
        ("MED-F", "KE", 2, None),
        ("MED-F", "UG", 0, 2),
        ("MED-F", None, 1, None),
        ("ENG-T", "KE", 3, None),
        ("ENG-T", "UG", 2, None),
        ("ENG-M", "ID", 5, None),
        ("C4-S", "ID", 3, 2),
        ("C4-S", "KE", 1, 3),
    ]
    assert (nominations.put_forward, nominations.quota) == (31, 17)

    trainers = services.trainers(everyone)
    assert trainers.rows == [
        services.TrainerRow("KE", "Kenya", 3, 2, 1, 2),
        services.TrainerRow("UG", "Uganda", 1, 1, 1, 0),
    ]
    assert trainers.total == services.TrainerRow(None, None, 4, 3, 2, 2)


def test_trainer_totals_count_people_not_rows(known):
    """A person who represented two countries in two ToTs is one graduate overall."""
    later_tot = _offering(
        db.session.get(Offering, known.offerings["O3"].id).course,
        date(2025, 8, 4),
        date(2025, 8, 29),
        6,
    )
    db.session.add(
        Enrolment(
            user=known.people["u2"],
            offering=later_tot,
            country_code="KE",
            status=S.COMPLETED,
        )
    )
    db.session.commit()
    report = services.trainers(ReportFilters())
    assert [(r.country_code, r.tot_graduates) for r in report.rows] == [("KE", 4), ("UG", 1)]
    assert report.total.tot_graduates == 4


# --- The dashboard, as each reader sees it --------------------------------------------


def test_dashboard_shows_every_figure_to_a_coordinator(known, coordinator):
    response = coordinator.get("/reports")
    assert response.status_code == 200
    assert_accessible_layout(response)
    found = tables(response)

    assert found["trained-table"][1:] == [*TRAINED, TRAINED_TOTAL]
    women_offering = found["women-by-offering-table"][1:]
    assert by_code(women_offering[:-1]) == WOMEN_BY_OFFERING
    assert [code_of(row[0]) for row in women_offering[:-1]] == [
        "ENG-B",
        "MED-F",
        "ENG-T",
        "ENG-M",
        "C4-S",
    ]
    assert women_offering[-1] == ("All offerings", *WOMEN_TOTAL)
    women_country = found["women-by-country-table"][1:]
    assert {row[0]: row[1:] for row in women_country[:-1]} == WOMEN_BY_COUNTRY
    assert women_country[-1] == ("All countries", *WOMEN_TOTAL)
    assert by_code(found["seats-table"][1:-1]) == SEATS
    assert found["seats-table"][-1] == SEATS_TOTAL
    nominations = found["nominations-table"][1:]
    assert [(code_of(row[0]), *row[1:]) for row in nominations[:-1]] == NOMINATIONS
    assert nominations[-1] == NOMINATIONS_TOTAL
    assert found["trainers-table"][1:] == [*TRAINERS, TRAINERS_TOTAL]

    html = response.get_data(as_text=True)
    assert "The target is 15% women" in html
    for table_id in found:
        assert f'<table id="{table_id}">' in html


def test_table_headings_name_their_rows_and_columns(known, coordinator):
    html = coordinator.get("/reports").get_data(as_text=True)
    for name in ("trained", "women-by-offering", "women-by-country", "seats", "nominations"):
        table = re.search(rf'<table id="{name}-table">.*?</table>', html, re.S).group(0)
        assert "<caption>" in table
        assert '<th scope="col">' in table and '<th scope="row">' in table
        assert "<th>" not in table, "every header cell says what it heads"
    headings = re.findall(r"<h([1-6])\b", html)
    assert headings[0] == "1" and headings.count("1") == 1
    levels = [int(level) for level in headings]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), "no skipped level"


def test_administrators_see_small_groups_exactly(known, admin):
    response = admin.get("/reports")
    found = tables(response)
    assert by_code(found["women-by-offering-table"][1:-1]) == WOMEN_BY_OFFERING_ADMIN
    assert {row[0]: row[1:] for row in found["women-by-country-table"][1:-1]} == (
        WOMEN_BY_COUNTRY_ADMIN
    )
    assert not any(FEWER in row for rows in found.values() for row in rows)
    csv_text = admin.get("/reports/women-by-country.csv").get_data(as_text=True)
    assert FEWER not in csv_text and "Ghana,3,3,100.0,0,target met" in csv_text


def test_small_groups_are_hidden_from_coordinators_everywhere(known, coordinator):
    response = coordinator.get("/reports")
    html = response.get_data(as_text=True)
    assert "100.0%" not in html, "Ghana's 3 of 3 women never shows"
    women_chart = next(
        svg
        for svg in svgs(response)
        if svg.find(f"{SVG}title").text == "Share of women per country"
    )
    rows = {g.find(f"{SVG}text").text: g for g in women_chart.iter(f"{SVG}g")}
    ghana = rows["Ghana"]
    assert ghana.find(f"{SVG}rect") is None, "no bar for a suppressed group"
    assert [t.text for t in ghana.iter(f"{SVG}text")] == ["Ghana", FEWER]
    assert ghana.find(f"{SVG}title").text == f"Ghana: {FEWER}"

    by_country = csv_rows(coordinator.get("/reports/women-by-country.csv"))
    assert by_country[1:] == [
        ["Ghana", *FEWER_ROW],
        ["Indonesia", "7", "1", "14.3", "1", "below the target"],
        ["Kenya", "11", "4", "36.4", "1", "target met"],
        ["Uganda", "5", "2", "40.0", "0", "target met"],
        ["No country recorded", *FEWER_ROW],
        ["All countries", "27", "10", "37.0", "2", "target met"],
    ]
    by_offering = csv_rows(coordinator.get("/reports/women-by-offering.csv"))
    assert [code_of(row[0]) for row in by_offering[1:]] == [
        "ENG-B",
        "MED-F",
        "ENG-T",
        "ENG-M",
        "C4-S",
        "All",
    ]
    assert by_offering[5][1:] == list(FEWER_ROW)
    admin_view = services.women(ReportFilters(), Scope(exact=True))
    assert not any(share.suppressed for _o, share in admin_view.by_offering)


def test_focal_point_sees_only_their_country(known, kenya_focal_point):
    response = kenya_focal_point.get("/reports")
    assert response.status_code == 200
    assert_accessible_layout(response)
    html = response.get_data(as_text=True)
    for other in ("Uganda", "Ghana", "Indonesia", "No country recorded"):
        assert other not in html
    assert 'name="country"' not in html, "no country to choose"
    found = tables(response)
    assert found["trained-table"][1:] == [
        ("Kenya", "Engineering", "2024", "5", "1"),
        ("Kenya", "Engineering", "2025", "3", "0"),
        ("Kenya", "Medical", "2025", "2", "0"),
        ("All countries", "", "", "10", "1"),
    ]
    assert by_code(found["women-by-offering-table"][1:-1]) == {
        "ENG-B": ("6", "2", "33.3%", "1", "target met"),
        "MED-F": FEWER_ROW,
        "ENG-T": FEWER_ROW,
    }
    assert found["women-by-offering-table"][-1] == (
        "All offerings",
        "11",
        "4",
        "36.4%",
        "1",
        "target met",
    )
    assert found["women-by-country-table"][1:] == [
        ("Kenya", "11", "4", "36.4%", "1", "target met"),
        ("All countries", "11", "4", "36.4%", "1", "target met"),
    ]
    assert by_code(found["seats-table"][1:-1]) == {
        "ENG-B": ("10", "6", "60.0%", "1", "16.7%"),
        "MED-F": ("8", "2", "25.0%", "0", "0.0%"),
        "ENG-T": ("6", "3", "50.0%", "0", "0.0%"),
    }
    assert found["seats-table"][-1] == ("All offerings", "24", "11", "45.8%", "1", "9.1%")
    assert [(code_of(r[0]), *r[1:]) for r in found["nominations-table"][1:]] == [
        ("ENG-B", "Kenya", "6", "4", "more than the quota"),
        ("MED-F", "Kenya", "2", "no quota", "no quota"),
        ("ENG-T", "Kenya", "3", "no quota", "no quota"),
        ("C4-S", "Kenya", "1", "3", "below the quota"),
        ("All", "", "12", "7", ""),
    ]
    assert found["trainers-table"][1:] == [
        ("Kenya", "3", "2", "1", "2"),
        ("All countries", "3", "2", "1", "2"),
    ]


@pytest.mark.parametrize(
    "name", ["trained", "women-by-offering", "women-by-country", "seats", "nominations", "trainers"]
)
def test_focal_point_csv_holds_no_other_country(known, kenya_focal_point, name):
    response = kenya_focal_point.get(f"/reports/{name}.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for other in ("Uganda", "Ghana", "Indonesia", "No country recorded"):
        assert other not in text
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}-ke.csv"'
    other = kenya_focal_point.get(f"/reports/{name}.csv?country=UG")
    assert other.status_code == 403
    assert "Uganda" not in other.get_data(as_text=True)


def test_focal_point_may_name_their_own_country_but_no_other(known, kenya_focal_point):
    assert kenya_focal_point.get("/reports?country=ke").status_code == 200
    response = kenya_focal_point.get("/reports?country=UG")
    assert response.status_code == 403
    assert "own country" in response.get_data(as_text=True)


def test_focal_point_without_a_country_is_refused(log_in):
    user = staff(Role.FOCAL_POINT, "KE")
    browser = log_in(user)
    user.country_code = None
    db.session.commit()
    assert browser.get("/reports").status_code == 403


# --- CSV downloads --------------------------------------------------------------------


def test_every_csv_matches_the_page(known, coordinator):
    found = tables(coordinator.get("/reports"))
    for name in ("trained", "women-by-offering", "women-by-country", "seats", "nominations"):
        response = coordinator.get(f"/reports/{name}.csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.csv"'
        rows = csv_rows(response)
        page_rows = found[f"{name}-table"]
        assert rows[0] == list(page_rows[0]), "the same headers"
        assert len(rows) == len(page_rows)
        for row, page_row in zip(rows[1:], page_rows[1:], strict=True):
            # Offerings carry ISO dates in the CSV; every figure is the page's own.
            assert code_of(row[0]) == code_of(page_row[0])
            assert tuple(row[1:]) == as_csv(page_row[1:])
    trainers = csv_rows(coordinator.get("/reports/trainers.csv"))
    assert trainers == [
        ["Country", "ToT graduates", "Recorded as trainers", "Assistant trainers", "Co-trainers"],
        *[list(row) for row in TRAINERS],
        list(TRAINERS_TOTAL),
    ]
    seats = csv_rows(coordinator.get("/reports/seats.csv"))
    assert seats[1][0] == "ENG-B Heavy Engineering Equipment Basic (2024-08-05 – 2024-09-13)"


def test_csv_takes_the_filters_and_names_the_file_after_them(known, coordinator):
    response = coordinator.get("/reports/trained.csv?year=2025&discipline=engineering&country=ke")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="trained-2025-engineering-ke.csv"'
    )
    assert csv_rows(response)[1:] == [
        ["Kenya", "Engineering", "2025", "3", "0"],
        ["All countries", "", "", "3", "0"],
    ]
    assert coordinator.get("/reports/nothing.csv").status_code == 404


def test_csv_cells_cannot_run_as_formulas(coordinator, formula_country):
    course = make_course("=HYPERLINK", title='=HYPERLINK("http://evil.example")')
    offering = _offering(course, date(2025, 2, 3), date(2025, 2, 7), 10)
    for index in range(5):
        user = make_user(None, country=formula_country.code, gender=F if index else M)
        db.session.add(
            Enrolment(
                user=user,
                offering=offering,
                country_code=formula_country.code,
                status=S.COMPLETED,
            )
        )
    db.session.commit()
    trained = csv_rows(coordinator.get("/reports/trained.csv"))
    assert trained[1][0] == "'" + formula_country.name
    women = csv_rows(coordinator.get("/reports/women-by-offering.csv"))
    assert women[1][0].startswith("'=HYPERLINK ")
    for rows in (trained, women):
        for row in rows:
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


@pytest.fixture
def formula_country():
    """A country whose name a spreadsheet would run, with markup in it too. Countries
    outlive each test, so this one is taken out again afterwards."""
    country = Country(code="XZ", name='=1+2 <b>Tom & "Jerry"</b>', region=Region.AFRICA)
    db.session.add(country)
    db.session.commit()
    yield country
    db.session.rollback()
    db.session.execute(delete(Enrolment).where(Enrolment.country_code == "XZ"))
    db.session.execute(delete(User).where(User.country_code == "XZ"))
    db.session.execute(delete(Country).where(Country.code == "XZ"))
    db.session.commit()


# --- Charts ---------------------------------------------------------------------------


def test_charts_are_accessible_well_formed_svg(known, coordinator, formula_country):
    user = make_user(None, country="XZ", gender=F)
    db.session.add(
        Enrolment(user=user, offering=known.offerings["O2"], country_code="XZ", status=S.COMPLETED)
    )
    db.session.commit()
    response = coordinator.get("/reports")
    charts = svgs(response)
    titles = [chart.find(f"{SVG}title").text for chart in charts]
    assert titles == [
        "Trainees trained per country, discipline and year",
        "Share of women per offering",
        "Share of women per country",
        "Fill rate and no-show rate per offering",
        "Nominations per country against quota",
        "National trainers produced per country",
    ]
    for chart in charts:
        assert chart.get("role") == "img"
        assert chart.get("viewBox", "").startswith("0 0 ")
        assert chart.get("width") == "100%"
        title, desc = chart.find(f"{SVG}title"), chart.find(f"{SVG}desc")
        assert chart.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert desc.text
    trained = charts[0]
    row_titles = [g.find(f"{SVG}title").text for g in trained.iter(f"{SVG}g")]
    assert f"{formula_country.name} · Medical · 2025: 1" in row_titles, "escaped, intact"
    assert "<b>" not in response.get_data(as_text=True).split("<svg", 1)[1].split("</svg>")[0]
    women = charts[1]
    target = [line for line in women.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(target) == 1, "the target is a dashed line"
    assert "Target 15%" in [t.text for t in women.iter(f"{SVG}text")]
    eng_b = next(g for g in women.iter(f"{SVG}g") if g.find(f"{SVG}text").text.startswith("ENG-B"))
    assert [t.text for t in eng_b.iter(f"{SVG}text")][1] == "33.3%, target met"


def test_bar_chart_escapes_and_scales():
    svg = bar_chart(
        chart="demo <1>",
        title='Title & "quotes" <x>',
        description="d < e",
        bars=[
            Bar("<script>alert(1)</script>", 50, "50 & more"),
            Bar("Hidden", None, "fewer than 5"),
            Bar("Full", 100, "100", series=1),
        ],
        maximum=100,
        target=15,
        target_text="Target <15%>",
    )
    root = ET.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == 'Title & "quotes" <x>'
    assert root.get("aria-labelledby") == "chart-demo-1-title chart-demo-1-desc"
    rects = list(root.iter(f"{SVG}rect"))
    assert [float(rect.get("width")) for rect in rects] == [BAR_SPACE / 2, BAR_SPACE]
    assert rects[0].get("fill") != rects[1].get("fill")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in texts and "Target <15%>" in texts
    assert "<script>" not in str(svg)
    long = bar_chart(chart="x", title="t", description="d", bars=[Bar("L" * 80, 1, "1")])
    shortened = "L" * (LABEL_CHARACTERS - 1) + "…"
    assert f">{shortened}<" in str(long), "long labels are shortened"
    assert "L" * 80 in str(long), "the row's title keeps them whole"
    empty = bar_chart(chart="z", title="t", description="d", bars=[Bar("zero", 0, "0")])
    assert ET.fromstring(str(empty)).find(f"{SVG}g/{SVG}rect").get("width") == "0"
    quota = ET.fromstring(
        str(bar_chart(chart="q", title="t", description="d", bars=[Bar("KE", 2, "2", mark=4)]))
    )
    row = quota.find(f"{SVG}g")
    assert float(row.find(f"{SVG}rect").get("width")) == BAR_SPACE / 2, "scaled to the mark"
    assert float(row.find(f"{SVG}line").get("x1")) == BAR_LEFT + BAR_SPACE


# --- Filters --------------------------------------------------------------------------


def test_filters_narrow_every_report(known, coordinator):
    response = coordinator.get("/reports?year=2024")
    found = tables(response)
    assert found["trained-table"][1:] == [
        ("Kenya", "Engineering", "2024", "5", "1"),
        ("Uganda", "Engineering", "2024", "2", "0"),
        ("All countries", "", "", "7", "1"),
    ]
    assert by_code(found["seats-table"][1:-1]) == {"ENG-B": SEATS["ENG-B"]}
    assert 'href="/reports/trained.csv?year=2024"' in response.get_data(as_text=True)
    assert '<option value="2024" selected>' in response.get_data(as_text=True)

    found = tables(coordinator.get("/reports?discipline=medical"))
    assert found["trained-table"][1:] == [
        ("Ghana", "Medical", "2025", "3", "1"),
        ("Kenya", "Medical", "2025", "2", "0"),
        ("No country recorded", "Medical", "2025", "1", "0"),
        ("All countries", "", "", "6", "1"),
    ]
    assert found["women-by-offering-table"][-1] == (
        "All offerings",
        *WOMEN_BY_OFFERING["MED-F"],
    )

    found = tables(coordinator.get("/reports?country=UG"))
    assert found["women-by-country-table"][1:] == [
        ("Uganda", *WOMEN_BY_COUNTRY["Uganda"]),
        ("All countries", *WOMEN_BY_COUNTRY["Uganda"]),
    ]
    assert by_code(found["seats-table"][1:-1]) == {
        "ENG-B": ("10", "3", "30.0%", "0", "0.0%"),
        "ENG-T": ("6", "2", "33.3%", "0", "0.0%"),
    }
    assert [(code_of(r[0]), *r[1:]) for r in found["nominations-table"][1:-1]] == [
        row for row in NOMINATIONS if row[1] == "Uganda"
    ]

    year = 2025
    assert services.trainers(ReportFilters(year=year)).rows == [
        services.TrainerRow("KE", "Kenya", 3, 2, 1, 1),
        services.TrainerRow("UG", "Uganda", 1, 1, 1, 0),
    ]
    assert services.trainers(ReportFilters(discipline=Discipline.C4ISR)).rows == [
        services.TrainerRow("KE", "Kenya", 0, 1, 0, 1),
    ]
    empty = coordinator.get("/reports?year=2003")
    assert empty.status_code == 200
    assert "No completed training matches these filters." in empty.get_data(as_text=True)
    assert svgs(empty) == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("year=twenty", "year"),
        ("year=1850", "year"),
        ("year=%D9%A2%D9%A0%D9%A2%D9%A5", "year"),  # Arabic-Indic digits
        ("discipline=cooking", "discipline"),
        ("country=KEN", "country"),
        ("country=K1", "country"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(coordinator, query, parameter):
    for path in ("/reports", "/reports/trained.csv"):
        response = coordinator.get(f"{path}?{query}")
        assert response.status_code == 400
        assert f"{parameter}: " in response.get_data(as_text=True)


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/reports", "/reports/trained.csv"])
def test_anonymous_readers_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.INSTRUCTOR])
@pytest.mark.parametrize("path", ["/reports", "/reports/women-by-country.csv"])
def test_trainees_and_instructors_may_not_see_reports(log_in, role, path):
    assert log_in(staff(role)).get(path).status_code == 403


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN, Role.FOCAL_POINT])
def test_reports_link_in_the_navigation(log_in, role):
    html = log_in(staff(role)).get("/").get_data(as_text=True)
    assert '<a href="/reports">Reports</a>' in html


def test_no_reports_link_for_trainees(log_in):
    assert 'href="/reports"' not in log_in(staff(Role.TRAINEE)).get("/").get_data(as_text=True)


# --- Speed ----------------------------------------------------------------------------


def add_bulk(offerings: int) -> None:
    """Many more offerings, people, quotas and trainers (rows added directly: fast)."""
    course = make_course("BULK-T", title="Bulk ToT", level=Level.TOT)
    countries = ["KE", "UG", "GH", "ID", "RW", "VN"]
    for number in range(offerings):
        start = date(2024 + number % 2, 1 + number % 12, 1)
        offering = _offering(course, start, start + timedelta(days=10), 12)
        offering.quotas.append(OfferingQuota(country_code=countries[number % 6], seats=2))
        first = None
        for index in range(8):
            user = User(
                email=f"bulk{number}-{index}@example.org",
                name="Bulk",
                password_hash="-",
                country_code=countries[(number + index) % 6],
                gender=[F, M, None][index % 3],
            )
            enrolment = Enrolment(
                user=user,
                offering=offering,
                country_code=user.country_code,
                status=[S.COMPLETED, S.NO_SHOW, S.NOMINATED, S.FAILED][index % 4],
            )
            db.session.add(enrolment)
            first = first or enrolment
        db.session.flush()
        db.session.add(
            TrainerAssignment(
                offering=offering,
                user=first.user,
                role=TrainerRole.CO_TRAINER,
                qualifying_enrolment=first,
            )
        )
    db.session.commit()


REPORT_QUERIES = {"trained": 1, "women": 2, "seats": 2, "nominations": 3, "trainers": 4}


def _service_queries() -> dict[str, int]:
    filters, scope, now = ReportFilters(), Scope(), datetime.now(UTC)
    calls = {
        "trained": lambda: services.trained(filters),
        "women": lambda: services.women(filters, scope),
        "seats": lambda: services.seats(filters, now),
        "nominations": lambda: services.nominations(filters),
        "trainers": lambda: services.trainers(filters),
    }
    counts = {}
    for name, call in calls.items():
        with count_queries() as queries:
            call()
        counts[name] = queries.count
    return counts


def _page_queries(browser, path: str) -> int:
    with count_queries() as queries:
        assert browser.get(path).status_code == 200
    return queries.count


def test_query_counts_do_not_grow_with_the_data(known, coordinator):
    small = _service_queries()
    assert small == REPORT_QUERIES
    page_small = _page_queries(coordinator, "/reports")
    csv_small = _page_queries(coordinator, "/reports/nominations.csv")

    add_bulk(40)
    assert len(services.seats(ReportFilters(), datetime.now(UTC)).rows) == 45
    assert _service_queries() == REPORT_QUERIES
    # Logging in loads the user and roles (2), the filter choices (2), and the reports.
    assert page_small == _page_queries(coordinator, "/reports") == 4 + sum(REPORT_QUERIES.values())
    assert csv_small == _page_queries(coordinator, "/reports/nominations.csv") == 2 + 3
