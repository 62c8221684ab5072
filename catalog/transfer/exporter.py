"""Exporting the catalogue as a training plan CSV that the importer reads back unchanged."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from catalog.catalogue.rules import format_quotas
from catalog.extensions import db
from catalog.models import Course, Offering
from catalog.transfer.plan import COLUMNS, protect_cell


def plan_rows() -> Iterator[dict[str, str]]:
    """Every offering, whatever its status, by start date then course code (two queries)."""
    offerings = db.session.scalars(
        select(Offering)
        .join(Offering.course)
        .options(contains_eager(Offering.course), selectinload(Offering.quotas))
        .order_by(Offering.starts_on, Course.code, Offering.id)
    )
    for offering in offerings:
        course = offering.course
        yield {
            "course_code": course.code,
            "course_title": course.title,
            "discipline": course.discipline.value,
            "level": course.level.value,
            "programme": course.programme.value,
            "summary": course.summary,
            "delivery_mode": offering.delivery_mode.value,
            "venue": offering.venue,
            "country": offering.country_code or "",
            "timezone": offering.timezone,
            "language": offering.language,
            "starts_on": offering.starts_on.isoformat(),
            "ends_on": offering.ends_on.isoformat(),
            "enrolment_opens": offering.enrolment_opens_on.isoformat(),
            "enrolment_closes": offering.enrolment_closes_on.isoformat(),
            "capacity": str(offering.capacity),
            "quotas": format_quotas({q.country_code: q.seats for q in offering.quotas}),
            "status": offering.status.value,
        }


def export_plan(out: TextIO) -> int:
    """Write the catalogue to ``out`` (opened with ``newline=""``); returns the row count.

    Cells a spreadsheet would run as formulas are written as text (see protect_cell).
    """
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in plan_rows():
        writer.writerow([protect_cell(row[column]) for column in COLUMNS])
        count += 1
    return count
