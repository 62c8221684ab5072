"""Rosters as CSV, built from plain rows (no Flask here).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some
read a leading tab or carriage return the same way) as a formula, so such
cells get a leading apostrophe: a name typed as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text with a byte-order mark, so spreadsheet programs read it as UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def slug(text: str) -> str:
    """Lower-case letters, digits and single dashes: safe in any header or file system."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "offering"


def roster_filename(course_code: str, starts_on: date, country_code: str | None = None) -> str:
    parts = [course_code, starts_on.isoformat(), country_code or "", "roster"]
    return slug(" ".join(part for part in parts if part)) + ".csv"
