"""Importing a training plan: every row is read and checked first, then all of it is
written, or nothing is.

``import_plan`` is what the upload page and ``flask catalogue import`` call. It adds
to ``db.session`` and flushes but never commits: the caller commits on success and
rolls back on ``ImportRejected``, so the request (or command) is one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.catalogue.rules import (
    MAX_CAPACITY,
    known_country_codes,
    offering_problems,
    parse_quotas,
)
from catalog.database import utcnow
from catalog.extensions import db
from catalog.inputs import CONTROL_CHARACTERS
from catalog.manage.services import cancel_offering
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    OfferingQuota,
    OfferingStatus,
    Programme,
)
from catalog.transfer.plan import COLUMNS, unprotect_cell

# Course codes appear in addresses (/courses/<code>), so no spaces or slashes. They
# are kept in capitals and compared without case, as the authoring pages do.
COURSE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DIGITS = re.compile(r"\d+")

# offering_problems() names model fields; the file names some of them differently.
RULE_FIELD_TO_COLUMN = {
    "enrolment_opens_on": "enrolment_opens",
    "enrolment_closes_on": "enrolment_closes",
}
# Course columns that every row of a new course must agree on.
COURSE_COLUMNS = {
    "course_title": "title",
    "discipline": "discipline",
    "level": "level",
    "programme": "programme",
    "summary": "summary",
}


@dataclass(frozen=True)
class ImportProblem:
    """Something wrong with the file; ``row`` counts as a spreadsheet does (header = 1)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is not None and self.column:
            return _(
                "row %(row)d, column %(column)s: %(message)s",
                row=self.row,
                column=self.column,
                message=self.message,
            )
        if self.row is not None:
            return _("row %(row)d: %(message)s", row=self.row, message=self.message)
        return self.message


class ImportRejected(Exception):
    """The file was not imported; ``problems`` says why, every one of them."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problem(s) in the training plan")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    courses_created: int = 0

    def describe(self) -> str:
        return _(
            "Training plan imported. Offerings created: %(created)d, updated: %(updated)d, "
            "unchanged: %(unchanged)d. New courses: %(courses)d.",
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            courses=self.courses_created,
        )


@dataclass
class PlanRow:
    """One row as read from the file; a value is None when it could not be read."""

    row: int
    course_code: str | None = None
    title: str | None = None
    discipline: Discipline | None = None
    level: Level | None = None
    programme: Programme | None = None
    summary: str | None = None
    delivery_mode: DeliveryMode | None = None
    venue: str | None = None
    country_code: str | None = None
    timezone: str | None = None
    language: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    enrolment_opens_on: date | None = None
    enrolment_closes_on: date | None = None
    capacity: int | None = None
    quotas: dict[str, int] = field(default_factory=dict)
    status: OfferingStatus | None = None

    def offering_values(self) -> dict:
        """The offering's attributes as this row sets them."""
        return {
            "status": self.status,
            "delivery_mode": self.delivery_mode,
            "venue": self.venue,
            "country_code": self.country_code,
            "timezone": self.timezone,
            "language": self.language,
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "enrolment_opens_on": self.enrolment_opens_on,
            "enrolment_closes_on": self.enrolment_closes_on,
            "capacity": self.capacity,
        }


def import_plan(source: bytes | str | IO) -> ImportResult:
    """Create and update courses, offerings and quotas from a training plan CSV.

    ``source`` is the file's bytes or text, or a file opened in either mode. Raises
    ImportRejected, having written nothing, when anything in the file is wrong.
    """
    rows, problems = read_plan(source)
    courses, offerings = _load_existing(rows)
    problems += _cross_row_problems(rows, courses, offerings, problems)
    if problems:
        raise ImportRejected(sorted(problems, key=_reading_order))
    return _write(rows, courses, offerings)


def _reading_order(problem: ImportProblem) -> tuple[int, int]:
    column = COLUMNS.index(problem.column) if problem.column in COLUMNS else len(COLUMNS)
    return (problem.row or 0, column)


def read_plan(source: bytes | str | IO) -> tuple[list[PlanRow], list[ImportProblem]]:
    """Every data row, read and checked on its own, with the problems found in them.

    Raises ImportRejected straight away when the file cannot be read as a plan at all
    (not UTF-8, not CSV, empty, wrong header row).
    """
    records = _records(_decode(source))
    if not any(cell.strip() for _number, cells in records for cell in cells):
        raise ImportRejected([ImportProblem(None, None, _("The file is empty."))])
    positions = _read_header(records[0][1])
    problems: list[ImportProblem] = []
    rows = []
    countries = known_country_codes()
    languages = tuple(current_app.config["LANGUAGES"])
    for number, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and the ",,,," rows spreadsheets leave at the end
        while len(cells) > len(positions) and not cells[-1].strip():
            cells = cells[:-1]
        if len(cells) > len(positions):
            problems.append(
                ImportProblem(
                    number,
                    None,
                    _(
                        "This row has %(count)d values but the header row has %(columns)d columns.",
                        count=len(cells),
                        columns=len(positions),
                    ),
                )
            )
            continue
        values = {name: cells[index] if index < len(cells) else "" for name, index in positions}
        reader = _RowReader(number, values, problems)
        rows.append(reader.parse(countries, languages))
    if not rows and not problems:
        raise ImportRejected(
            [ImportProblem(None, None, _("The file has a header row but no offerings."))]
        )
    return rows, problems


def _decode(source: bytes | str | IO) -> str:
    data = source.read() if hasattr(source, "read") else source
    text = data.removeprefix("\ufeff") if isinstance(data, str) else _utf8(data)
    control = CONTROL_CHARACTERS.search(text)
    if control:
        # NUL and the like: PostgreSQL refuses NUL in text, feeds and e-mails any of them.
        line = text.count("\n", 0, control.start()) + 1
        raise ImportRejected(
            [
                ImportProblem(
                    None,
                    None,
                    _(
                        "The file contains invisible control characters (such as NUL), "
                        "the first on line %(line)d. Remove them and try again.",
                        line=line,
                    ),
                )
            ]
        )
    return text


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportRejected(
            [
                ImportProblem(
                    None,
                    None,
                    _(
                        "The file is not UTF-8 text (the first unreadable character is on "
                        "line %(line)d). In your spreadsheet, save it as “CSV UTF-8” and "
                        "try again.",
                        line=line,
                    ),
                )
            ]
        ) from None


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Every record with its spreadsheet row number; a quoted cell may span lines."""
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
    except csv.Error as error:
        raise ImportRejected(
            [
                ImportProblem(
                    len(records) + 1,
                    None,
                    _("This row cannot be read as CSV (%(error)s).", error=str(error)),
                )
            ]
        ) from None
    return records


def _read_header(cells: list[str]) -> list[tuple[str, int]]:
    """(column, position) pairs; raises ImportRejected unless every column is there once."""
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    if len(names) == 1 and ";" in names[0]:
        raise ImportRejected(
            [
                ImportProblem(
                    1,
                    None,
                    _(
                        "The columns are separated by semicolons; a training plan needs "
                        "commas. Save the file as “CSV UTF-8 (comma delimited)”."
                    ),
                )
            ]
        )
    problems = []
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        key = name.lower()
        if not key:
            problems.append(
                ImportProblem(
                    1,
                    None,
                    _("Column %(number)d has no name in the header row.", number=position + 1),
                )
            )
        elif key not in COLUMNS:
            problems.append(ImportProblem(1, name, _("This is not a column of a training plan.")))
        elif key in seen:
            problems.append(ImportProblem(1, name, _("This column appears more than once.")))
        else:
            seen[key] = position
    for column in COLUMNS:
        if column not in seen:
            problems.append(
                ImportProblem(1, column, _("This column is missing from the header row."))
            )
    if problems:
        raise ImportRejected(problems)
    return [(column, seen[column]) for column in COLUMNS]


def _shown(value: str, limit: int = 40) -> str:
    """A cell's value as quoted back in a message, shortened."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


class _RowReader:
    """Reads one row's cells, recording a problem for each value it cannot use."""

    def __init__(self, number: int, values: dict[str, str], problems: list[ImportProblem]):
        self.number = number
        # Cells protected against formula injection on export come back unprotected.
        self.values = {name: unprotect_cell(value.strip()) for name, value in values.items()}
        self.problems = problems

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(ImportProblem(self.number, column, message))

    def text(self, column: str, *, required: bool = False, max_length: int) -> str | None:
        value = self.values[column]
        if required and not value:
            self.problem(column, _("A value is needed here."))
            return None
        if len(value) > max_length:
            self.problem(
                column,
                _(
                    "At most %(limit)d characters are allowed; this has %(length)d.",
                    limit=max_length,
                    length=len(value),
                ),
            )
            return None
        return value

    def choice(self, column: str, enum_class: type[StrEnum], *, default=None):
        value = self.values[column].lower()
        if not value:
            return default
        try:
            return enum_class(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_class)
            self.problem(
                column,
                _(
                    "“%(value)s” is not allowed here; write one of: %(allowed)s.",
                    value=_shown(self.values[column]),
                    allowed=allowed,
                ),
            )
            return None

    def day(self, column: str) -> date | None:
        value = self.values[column]
        if not value:
            self.problem(column, _("A date is needed here, written YYYY-MM-DD."))
            return None
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            self.problem(
                column,
                _(
                    "“%(value)s” is not a date written YYYY-MM-DD, such as 2027-03-01.",
                    value=_shown(value),
                ),
            )
            return None

    def whole_number(self, column: str) -> int | None:
        value = self.values[column]
        if not DIGITS.fullmatch(value):
            self.problem(
                column,
                _(
                    "“%(value)s” is not a whole number of seats, such as 20.",
                    value=_shown(value),
                ),
            )
            return None
        digits = value.lstrip("0") or "0"
        # The length first: int() refuses more than 4,300 digits with a ValueError.
        if len(digits) > len(str(MAX_CAPACITY)) or int(digits) > MAX_CAPACITY:
            self.problem(column, _("At most %(limit)d seats are possible.", limit=MAX_CAPACITY))
            return None
        return int(digits)

    def parse(self, countries: set[str], languages: tuple[str, ...]) -> PlanRow:
        code = self.text("course_code", required=True, max_length=40)
        if code and not COURSE_CODE.fullmatch(code):
            self.problem(
                "course_code",
                _("Use only letters, digits, dots, dashes and underscores, e.g. TPP-ENG-HEE-B."),
            )
            code = None
        row = PlanRow(
            row=self.number,
            course_code=code.upper() if code else None,
            # Course columns are needed only for a new course; that is checked later.
            title=self.text("course_title", max_length=200),
            discipline=self.choice("discipline", Discipline),
            level=self.choice("level", Level),
            programme=self.choice("programme", Programme, default=Programme.TPP),
            summary=self.text("summary", max_length=500),
            delivery_mode=self.choice("delivery_mode", DeliveryMode),
            venue=self.text("venue", max_length=200),
            country_code=self.values["country"].upper() or None,
            timezone=self.text("timezone", required=True, max_length=64),
            starts_on=self.day("starts_on"),
            ends_on=self.day("ends_on"),
            enrolment_opens_on=self.day("enrolment_opens"),
            enrolment_closes_on=self.day("enrolment_closes"),
            capacity=self.whole_number("capacity"),
            status=self.choice("status", OfferingStatus, default=OfferingStatus.DRAFT),
        )
        if row.delivery_mode is None and not self.values["delivery_mode"]:
            self.problem("delivery_mode", _("A value is needed here."))
        language = self.values["language"].lower()
        if language in languages:
            row.language = language
        else:
            self.problem(
                "language",
                _(
                    "“%(value)s” is not a language of the catalogue; write one of: %(allowed)s.",
                    value=_shown(self.values["language"]),
                    allowed=", ".join(languages),
                ),
            )
        try:
            row.quotas = parse_quotas(self.values["quotas"])
        except ValueError as error:
            self.problem("quotas", str(error))
        self._check_rules(row, countries)
        return row

    def _check_rules(self, row: PlanRow, countries: set[str]) -> None:
        """The offering rules every form shares. A value that could not be read is
        already reported; a neutral stand-in keeps it from causing a second report."""
        dates = (row.starts_on, row.ends_on, row.enrolment_opens_on, row.enrolment_closes_on)
        if None in dates:
            opens_on = closes_on = date(2000, 1, 1)
            starts_on = ends_on = date(2000, 1, 2)
        else:
            starts_on, ends_on, opens_on, closes_on = dates
        capacity = row.capacity if row.capacity is not None else max(1, sum(row.quotas.values()))
        for problem in offering_problems(
            delivery_mode=row.delivery_mode or DeliveryMode.REMOTE,
            country_code=row.country_code,
            timezone=row.timezone or "UTC",
            starts_on=starts_on,
            ends_on=ends_on,
            enrolment_opens_on=opens_on,
            enrolment_closes_on=closes_on,
            capacity=capacity,
            quotas=row.quotas,
            countries=countries,
        ):
            self.problem(RULE_FIELD_TO_COLUMN.get(problem.field, problem.field), problem.message)


def _load_existing(
    rows: list[PlanRow],
) -> tuple[dict[str, Course], dict[tuple[str, date], list[Offering]]]:
    """The file's courses that exist, and their offerings on the file's start dates."""
    codes = {row.course_code for row in rows if row.course_code}
    courses = {
        course.code.upper(): course
        for course in db.session.scalars(select(Course).where(func.upper(Course.code).in_(codes)))
    }
    offerings: dict[tuple[str, date], list[Offering]] = defaultdict(list)
    if courses:
        starts = {row.starts_on for row in rows if row.starts_on}
        found = db.session.scalars(
            select(Offering)
            .where(
                Offering.course_id.in_([course.id for course in courses.values()]),
                Offering.starts_on.in_(starts),
            )
            .options(selectinload(Offering.quotas))
            .order_by(Offering.id)
        )
        by_id = {course.id: course for course in courses.values()}
        for offering in found:
            offerings[(by_id[offering.course_id].code.upper(), offering.starts_on)].append(offering)
    return courses, offerings


def _cross_row_problems(
    rows: list[PlanRow],
    courses: dict[str, Course],
    offerings: dict[tuple[str, date], list[Offering]],
    row_problems: list[ImportProblem],
) -> list[ImportProblem]:
    """What no single row shows: repeats, new courses described two ways, ambiguity.

    A cell with a problem of its own (``row_problems``) is not reported again.
    """
    reported = {(problem.row, problem.column) for problem in row_problems}
    problems = []
    first_of_offering: dict[tuple[str, date], int] = {}
    first_of_new_course: dict[str, PlanRow] = {}
    for row in rows:
        if row.course_code is None:
            continue
        key = (row.course_code, row.starts_on)
        if row.starts_on is not None and key in first_of_offering:
            problems.append(
                ImportProblem(
                    row.row,
                    "starts_on",
                    _(
                        "Row %(first)d already has course %(code)s starting on this date; "
                        "an offering may appear only once.",
                        first=first_of_offering[key],
                        code=row.course_code,
                    ),
                )
            )
        else:
            first_of_offering.setdefault(key, row.row)
        if len(offerings.get(key, ())) > 1:
            problems.append(
                ImportProblem(
                    row.row,
                    "starts_on",
                    _(
                        "The catalogue has %(count)d offerings of %(code)s starting on this "
                        "date, so this row cannot say which to update.",
                        count=len(offerings[key]),
                        code=row.course_code,
                    ),
                )
            )
        course = courses.get(row.course_code)
        if course is not None:
            problem = _status_problem(row, course, offerings.get(key))
            if problem:
                problems.append(problem)
            continue  # an existing course keeps its own title and description
        first = first_of_new_course.setdefault(row.course_code, row)
        if first is row:
            for column, attribute in (
                ("course_title", "title"),
                ("discipline", "discipline"),
                ("level", "level"),
            ):
                if not getattr(row, attribute) and (row.row, column) not in reported:
                    problems.append(
                        ImportProblem(
                            row.row,
                            column,
                            _(
                                "Course %(code)s is not in the catalogue yet, so this column "
                                "is needed to create it.",
                                code=row.course_code,
                            ),
                        )
                    )
            continue
        for column, attribute in COURSE_COLUMNS.items():
            mine, theirs = getattr(row, attribute), getattr(first, attribute)
            if mine is not None and theirs is not None and mine != theirs:
                problems.append(
                    ImportProblem(
                        row.row,
                        column,
                        _(
                            "Row %(first)d describes new course %(code)s differently; every "
                            "row of a new course must give the same %(column)s.",
                            first=first.row,
                            code=row.course_code,
                            column=column,
                        ),
                    )
                )
    return problems


def _status_problem(
    row: PlanRow, course: Course, matches: list[Offering] | None
) -> ImportProblem | None:
    """A cancelled course takes no new offerings, and none of its offerings is published
    anew (the authoring pages refuse both until the course is reinstated)."""
    if course.status != CourseStatus.CANCELLED:
        return None
    if not matches:
        return ImportProblem(
            row.row,
            "course_code",
            _(
                "Course %(code)s is cancelled; reinstate it before adding offerings.",
                code=row.course_code,
            ),
        )
    if row.status == OfferingStatus.PUBLISHED and matches[0].status != OfferingStatus.PUBLISHED:
        return ImportProblem(
            row.row,
            "status",
            _(
                "Course %(code)s is cancelled; reinstate it before publishing its offerings.",
                code=row.course_code,
            ),
        )
    return None


def _write(
    rows: list[PlanRow],
    courses: dict[str, Course],
    offerings: dict[tuple[str, date], list[Offering]],
) -> ImportResult:
    created = updated = unchanged = courses_created = 0
    for row in rows:
        course = courses.get(row.course_code)
        if course is None:
            course = Course(
                code=row.course_code,
                title=row.title,
                discipline=row.discipline,
                level=row.level,
                programme=row.programme,
                summary=row.summary,
                status=CourseStatus.PUBLISHED,
            )
            db.session.add(course)
            courses[row.course_code] = course
            courses_created += 1
        matches = offerings.get((row.course_code, row.starts_on))
        if not matches:
            offering = Offering(course=course, **row.offering_values())
            offering.quotas = [
                OfferingQuota(country_code=code, seats=seats) for code, seats in row.quotas.items()
            ]
            db.session.add(offering)
            created += 1
        elif _update(matches[0], row):
            updated += 1
        else:
            unchanged += 1
    db.session.flush()
    return ImportResult(created, updated, unchanged, courses_created)


def _update(offering: Offering, row: PlanRow) -> bool:
    """Give ``offering`` the row's values, touching only what differs (so an unchanged
    offering is not written and keeps its updated_at). True when anything changed."""
    changed = False
    for name, value in row.offering_values().items():
        if getattr(offering, name) == value:
            continue
        if name == "status" and value == OfferingStatus.CANCELLED:
            # Cancelling also cancels the sessions, so calendar feeds carry the news.
            cancel_offering(offering)
        else:
            setattr(offering, name, value)
        changed = True
    current = {quota.country_code: quota.seats for quota in offering.quotas}
    if current != row.quotas:
        for quota in list(offering.quotas):
            if quota.country_code not in row.quotas:
                offering.quotas.remove(quota)
            else:
                quota.seats = row.quotas[quota.country_code]
        for code, seats in row.quotas.items():
            if code not in current:
                offering.quotas.append(OfferingQuota(country_code=code, seats=seats))
        # Quotas live in their own table; the offering still counts as changed.
        offering.updated_at = utcnow()
        changed = True
    return changed
