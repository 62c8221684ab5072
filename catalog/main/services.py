"""Queries behind the public pages."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalog.models import Course, Offering, OfferingStatus


def upcoming_offerings_query(today: date):
    """Published offerings that have not ended, soonest first, with their course and
    host country loaded in the same query."""
    return (
        select(Offering)
        .join(Offering.course)
        .where(Offering.status == OfferingStatus.PUBLISHED, Offering.ends_on >= today)
        .options(joinedload(Offering.course), joinedload(Offering.country))
        .order_by(Offering.starts_on, Course.code, Offering.id)
    )
