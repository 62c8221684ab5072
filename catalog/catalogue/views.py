"""Public catalogue pages: search with facets, a course, an offering."""

from datetime import UTC, datetime

from flask import abort, current_app, render_template, request
from flask_babel import get_timezone
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.catalogue import bp
from catalog.catalogue.search import (
    MAX_PAGE,
    CatalogueFilters,
    FilterError,
    country_seats_left,
    offering_is_listed,
    search_offerings,
    seats_left,
    shared_facet_counts,
    whole_number,
)
from catalog.extensions import db
from catalog.i18n import course_text
from catalog.markdown import render_markdown
from catalog.models import Course, CourseStatus, Offering, OfferingPartner, OfferingStatus
from catalog.security.policy import is_staff


def now() -> datetime:
    return datetime.now(UTC)


@bp.route("/catalogue")
def index():
    try:
        filters = CatalogueFilters.from_args(request.args, current_app.config["LANGUAGES"])
        page = whole_number(request.args, "page", 1, MAX_PAGE)
    except FilterError as error:
        abort(400, f"{error.parameter}: {error.message}")
    moment = now()
    facets = shared_facet_counts(filters, moment)
    results = search_offerings(
        filters,
        moment,
        page=page,
        per_page=current_app.config["CATALOGUE_PAGE_SIZE"],
        total=facets.total,
    )
    return render_template(
        "catalogue/index.html",
        filters=filters,
        results=results,
        facets=facets,
    )


@bp.route("/courses/<code>")
def course(code: str):
    course = db.session.scalar(
        select(Course)
        .where(Course.code == code)
        .options(selectinload(Course.prerequisites), selectinload(Course.offerings))
    )
    staff = is_staff(current_user)
    if course is None or (course.status == CourseStatus.DRAFT and not staff):
        abort(404)
    offerings = [o for o in course.offerings if staff or o.status != OfferingStatus.DRAFT]
    return render_template(
        "catalogue/course.html",
        course=course,
        description=render_markdown(course_text(course).description),
        offerings=offerings,
        seats=seats_left(offerings),
        today=now().date(),
    )


@bp.route("/offerings/<int(max=2147483647):offering_id>")
def offering(offering_id: int):
    offering = db.session.scalar(
        select(Offering)
        .where(Offering.id == offering_id)
        .options(
            selectinload(Offering.partners).joinedload(OfferingPartner.organisation),
            selectinload(Offering.quotas),
            selectinload(Offering.sessions),
            selectinload(Offering.instructors),
        )
    )
    if offering is None or (not offering_is_listed(offering) and not is_staff(current_user)):
        abort(404)
    viewer_country = current_user.country_code if current_user.is_authenticated else None
    moment = now()
    return render_template(
        "catalogue/offering.html",
        offering=offering,
        seats_left=seats_left([offering])[offering.id],
        country_seats_left=country_seats_left(offering, viewer_country),
        viewer_country=viewer_country,
        viewer_zone=str(get_timezone()),
        enrolment_open=offering.enrolment_open_at(moment),
        enrolment_upcoming=moment < offering.enrolment_opens_at,
        now=moment,
    )
