"""The training plan CSV format, shared by the importer, the exporter and the import page.

One row per offering; the course columns repeat on every row of the same course.
"""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l

COLUMNS = (
    "course_code",
    "course_title",
    "discipline",
    "level",
    "programme",
    "summary",
    "delivery_mode",
    "venue",
    "country",
    "timezone",
    "language",
    "starts_on",
    "ends_on",
    "enrolment_opens",
    "enrolment_closes",
    "capacity",
    "quotas",
    "status",
)

# What to write in each column, for the import page.
COLUMN_HELP = {
    "course_code": _l("The course's code, e.g. TPP-ENG-HEE-B. An existing course is reused."),
    "course_title": _l("Title of a new course (an existing course keeps its own)."),
    "discipline": _l("engineering, medical, c4isr or other."),
    "level": _l("basic, intermediate, advanced or tot (training of trainers)."),
    "programme": _l("tpp or other; empty means tpp."),
    "summary": _l("One or two sentences for a new course; may be empty."),
    "delivery_mode": _l("in_person, remote or blended."),
    "venue": _l("Where the training takes place; may be empty."),
    "country": _l("Host country as a two-letter ISO code, e.g. KE; empty only for remote."),
    "timezone": _l("The offering's IANA time zone, e.g. Africa/Nairobi."),
    "language": _l("en or fr."),
    "starts_on": _l("First day, written YYYY-MM-DD."),
    "ends_on": _l("Last day, written YYYY-MM-DD."),
    "enrolment_opens": _l("First day of enrolment, YYYY-MM-DD."),
    "enrolment_closes": _l("Last day of enrolment, YYYY-MM-DD, before the start."),
    "capacity": _l("Number of seats, at least 1."),
    "quotas": _l("Seats reserved per country, e.g. KE:4;UG:4;RW:2; may be empty."),
    "status": _l("draft, published or cancelled; empty means draft."),
}

EXAMPLE_ROW = {
    "course_code": "TPP-ENG-HEE-B",
    "course_title": "Heavy Engineering Equipment Basic",
    "discipline": "engineering",
    "level": "basic",
    "programme": "tpp",
    "summary": "Operating heavy engineering equipment to UN standards.",
    "delivery_mode": "in_person",
    "venue": "International Peace Support Training Centre, Nairobi",
    "country": "KE",
    "timezone": "Africa/Nairobi",
    "language": "en",
    "starts_on": "2027-03-01",
    "ends_on": "2027-04-09",
    "enrolment_opens": "2027-01-04",
    "enrolment_closes": "2027-02-12",
    "capacity": "20",
    "quotas": "KE:4;UG:4;RW:2",
    "status": "published",
}

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def protect_cell(value: str) -> str:
    """``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``: shown as text, never run."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def unprotect_cell(value: str) -> str:
    """Undo ``protect_cell``, so an exported plan imports with the same values."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def example_csv() -> str:
    """The header row and the example row, as they look in the file."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow([EXAMPLE_ROW[column] for column in COLUMNS])
    return out.getvalue()
