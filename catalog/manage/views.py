"""Authoring views for coordinators.

Coordinators only (the rules are in ``catalog.security.policy``). Each view
validates its form, calls the services, and then commits once; on any refusal it
rolls back, so a request is one transaction. Statuses change only through the
small action forms (publish, unpublish, cancel, reinstate), never through the edit
forms.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from catalog.catalogue.rules import Problem
from catalog.catalogue.search import MAX_PAGE, whole_number
from catalog.extensions import db
from catalog.manage import bp, services
from catalog.manage.forms import (
    PARTNER_ROLES,
    ActionForm,
    CourseForm,
    OfferingForm,
    OrganisationForm,
    PeopleForm,
)
from catalog.manage.services import InvalidValues, StatusError
from catalog.models import (
    Course,
    CourseStatus,
    Offering,
    OfferingPartner,
    OfferingStatus,
    SessionStatus,
)
from catalog.urls import safe_next

OFFERINGS_PER_PAGE = 25
STATUSES = tuple(CourseStatus)  # offerings have the same three


def _show_problems(form, problems: list[Problem]) -> None:
    """Put each problem at the field it names; problems without a field become a flash."""
    for problem in problems:
        field = form._fields.get(problem.field)
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            flash(problem.message, "error")


def _check_as_well(form, problems_of) -> None:
    """After a form fails its own checks, apply the business rules as well when the
    values they need were read, so every problem shows at once. A field that already
    shows an error keeps just that one."""
    if request.method != "POST" or not form.errors or not form.values_complete():
        return
    fresh = [
        problem
        for problem in problems_of(form.values())
        if problem.field in form._fields and not form[problem.field].errors
    ]
    _show_problems(form, fresh)


def _form_page(template: str, form, **context):
    """A form page: 422 when the form has errors, so nothing looks like a success."""
    return render_template(template, form=form, **context), 422 if form.errors else 200


def _course_or_404(course_id: int) -> Course:
    return db.get_or_404(Course, course_id)


def _offering_or_404(offering_id: int) -> Offering:
    return db.get_or_404(
        Offering,
        offering_id,
        options=[joinedload(Offering.course), selectinload(Offering.sessions)],
    )


# --- The list -------------------------------------------------------------------------


@bp.route("")
def index():
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    courses = select(Course).order_by(Course.code)
    offerings = (
        select(Offering)
        .options(joinedload(Offering.course), joinedload(Offering.country))
        # Newest first: the offerings being planned come before the finished ones.
        .order_by(Offering.starts_on.desc(), Offering.id.desc())
    )
    if status:
        courses = courses.where(Course.status == CourseStatus(status))
        offerings = offerings.where(Offering.status == OfferingStatus(status))
    page = db.paginate(
        offerings,
        # Read as the catalogue reads it: a number past any table is a 400, not an
        # OFFSET beyond 64 bits (a 500).
        page=whole_number(request.args, "page", 1, MAX_PAGE),
        per_page=OFFERINGS_PER_PAGE,
        max_per_page=OFFERINGS_PER_PAGE,
    )
    return render_template(
        "manage/index.html",
        courses=list(db.session.scalars(courses)),
        offerings=page,
        status=status,
        statuses=STATUSES,
    )


# --- Courses --------------------------------------------------------------------------


def _save_course(form: CourseForm, course: Course | None):
    """Create or update from a valid form; returns the course, or None after a refusal."""
    try:
        if course is None:
            course = services.create_course(form.values())
        else:
            services.update_course(course, form.values())
        db.session.commit()
    except InvalidValues as error:
        db.session.rollback()
        _show_problems(form, error.problems)
        return None
    except IntegrityError:
        # Another coordinator took the code between the check and the commit.
        db.session.rollback()
        if not services.course_code_taken(form.code.data, except_id=course.id if course else None):
            raise
        _show_problems(form, [Problem("code", _("Another course already has this code."))])
        return None
    return course


@bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    form = CourseForm()
    form.fill_choices()
    if form.validate_on_submit():
        course = _save_course(form, None)
        if course is not None:
            flash(
                _(
                    "Course %(code)s is saved as a draft. Publish it when it is ready.",
                    code=course.code,
                ),
                "success",
            )
            return redirect(url_for("manage.edit_course", course_id=course.id))
    else:
        _check_as_well(form, services.course_problems)
    return _form_page("manage/course_form.html", form, course=None)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
def edit_course(course_id: int):
    course = _course_or_404(course_id)
    form = CourseForm(data=CourseForm.initial(course) if request.method == "GET" else None)
    form.fill_choices(course)
    if form.validate_on_submit():
        if _save_course(form, course) is not None:
            flash(_("Course %(code)s is saved.", code=course.code), "success")
            return redirect(url_for("manage.edit_course", course_id=course.id))
    else:
        _check_as_well(form, lambda values: services.course_problems(values, course))
    return _form_page("manage/course_form.html", form, course=course)


def _action_form() -> ActionForm:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def _back(form: ActionForm, default: str):
    return redirect(safe_next(form.next.data, default))


def _change_course_status(course_id: int, change, success: str):
    """Run ``change(course)`` (which returns the offerings it cancelled, if any) as
    one transaction and go back where the button was."""
    course = _course_or_404(course_id)
    form = _action_form()
    try:
        cancelled = change(course) or []
        db.session.commit()
    except StatusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(success % {"code": course.code}, "success")
        if cancelled:
            flash(
                ngettext(
                    "%(num)d offering that had not started is cancelled with it.",
                    "%(num)d offerings that had not started are cancelled with it.",
                    len(cancelled),
                ),
                "success",
            )
    return _back(form, url_for("manage.edit_course", course_id=course.id))


@bp.route("/courses/<int:course_id>/publish", methods=["POST"])
def publish_course(course_id: int):
    return _change_course_status(
        course_id,
        lambda course: services.set_course_status(course, CourseStatus.PUBLISHED),
        _("Course %(code)s is published."),
    )


@bp.route("/courses/<int:course_id>/unpublish", methods=["POST"])
def unpublish_course(course_id: int):
    return _change_course_status(
        course_id, services.unpublish_course, _("Course %(code)s is back in draft.")
    )


@bp.route("/courses/<int:course_id>/reinstate", methods=["POST"])
def reinstate_course(course_id: int):
    return _change_course_status(
        course_id, services.reinstate_course, _("Course %(code)s is reinstated as a draft.")
    )


@bp.route("/courses/<int:course_id>/cancel", methods=["GET", "POST"])
def cancel_course(course_id: int):
    """GET asks for confirmation (no script needed); POST cancels."""
    if request.method == "POST":
        return _change_course_status(
            course_id,
            lambda course: services.set_course_status(course, CourseStatus.CANCELLED),
            _("Course %(code)s is cancelled."),
        )
    course = _course_or_404(course_id)
    to_cancel = [
        offering
        for offering in course.offerings
        if offering.status != OfferingStatus.CANCELLED and not services.has_started(offering)
    ]
    return render_template(
        "manage/confirm_cancel.html",
        course=course,
        offering=None,
        to_cancel=to_cancel,
    )


# --- Offerings ------------------------------------------------------------------------


def _warn_about_sessions(offering: Offering) -> None:
    outside = services.sessions_outside_dates(offering)
    if outside:
        flash(
            ngettext(
                "%(num)d scheduled session falls outside the new dates; reschedule it.",
                "%(num)d scheduled sessions fall outside the new dates; reschedule them.",
                len(outside),
            ),
            "error",
        )


@bp.route("/offerings/new", methods=["GET", "POST"])
def new_offering():
    initial = (
        {"course_id": request.args.get("course_id", type=int)} if request.method == "GET" else None
    )
    form = OfferingForm(data=initial)
    form.fill_choices()
    if form.validate_on_submit():
        try:
            offering = services.create_offering(form.values())
            db.session.commit()
        except InvalidValues as error:
            db.session.rollback()
            _show_problems(form, error.problems)
        else:
            flash(
                _(
                    "The offering is saved as a draft. Add its instructors and partners, "
                    "then publish it."
                ),
                "success",
            )
            return redirect(url_for("manage.edit_offering", offering_id=offering.id))
    else:
        _check_as_well(form, services.offering_values_problems)
    return _form_page("manage/offering_form.html", form, offering=None)


@bp.route("/offerings/<int:offering_id>/edit", methods=["GET", "POST"])
def edit_offering(offering_id: int):
    offering = _offering_or_404(offering_id)
    form = OfferingForm(data=OfferingForm.initial(offering) if request.method == "GET" else None)
    form.fill_choices(offering)
    if form.validate_on_submit():
        try:
            services.update_offering(offering, form.values())
            db.session.commit()
        except InvalidValues as error:
            db.session.rollback()
            _show_problems(form, error.problems)
        else:
            flash(_("The offering is saved."), "success")
            _warn_about_sessions(offering)
            return redirect(url_for("manage.edit_offering", offering_id=offering.id))
    else:
        _check_as_well(form, lambda values: services.offering_values_problems(values, offering))
    return _form_page("manage/offering_form.html", form, offering=offering)


def _change_offering_status(offering_id: int, change, success: str):
    offering = _offering_or_404(offering_id)
    form = _action_form()
    try:
        change(offering)
        db.session.commit()
    except StatusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(success, "success")
        if (
            offering.status == OfferingStatus.PUBLISHED
            and offering.course.status != CourseStatus.PUBLISHED
        ):
            flash(
                _(
                    "Its course %(code)s is not published yet: the offering appears in the "
                    "catalogue once the course is published.",
                    code=offering.course.code,
                ),
                "error",
            )
    return _back(form, url_for("manage.edit_offering", offering_id=offering.id))


@bp.route("/offerings/<int:offering_id>/publish", methods=["POST"])
def publish_offering(offering_id: int):
    return _change_offering_status(
        offering_id, services.publish_offering, _("The offering is published.")
    )


@bp.route("/offerings/<int:offering_id>/unpublish", methods=["POST"])
def unpublish_offering(offering_id: int):
    return _change_offering_status(
        offering_id, services.unpublish_offering, _("The offering is back in draft.")
    )


@bp.route("/offerings/<int:offering_id>/reinstate", methods=["POST"])
def reinstate_offering(offering_id: int):
    return _change_offering_status(
        offering_id,
        services.reinstate_offering,
        _("The offering is reinstated as a draft. Its sessions stay cancelled."),
    )


@bp.route("/offerings/<int:offering_id>/cancel", methods=["GET", "POST"])
def cancel_offering(offering_id: int):
    """GET asks for confirmation (no script needed); POST cancels."""
    if request.method == "POST":
        return _change_offering_status(
            offering_id, services.cancel_offering, _("The offering is cancelled; its data is kept.")
        )
    offering = _offering_or_404(offering_id)
    scheduled = [s for s in offering.sessions if s.status == SessionStatus.SCHEDULED]
    return render_template(
        "manage/confirm_cancel.html",
        course=offering.course,
        offering=offering,
        scheduled=scheduled,
    )


@bp.route("/offerings/<int:offering_id>/people", methods=["GET", "POST"])
def offering_people(offering_id: int):
    offering = db.get_or_404(
        Offering,
        offering_id,
        options=[
            joinedload(Offering.course),
            selectinload(Offering.instructors),
            selectinload(Offering.partners).joinedload(OfferingPartner.organisation),
        ],
    )
    form = PeopleForm(data=PeopleForm.initial(offering) if request.method == "GET" else None)
    organisations = form.fill_choices()
    if form.validate_on_submit():
        try:
            services.set_instructors(offering, form.instructors.data or [])
            services.set_partners(offering, form.partner_assignments())
            db.session.commit()
        except InvalidValues as error:
            db.session.rollback()
            _show_problems(form, error.problems)
        else:
            flash(_("Instructors and partners are saved."), "success")
            return redirect(url_for("manage.offering_people", offering_id=offering.id))
    return _form_page(
        "manage/offering_people.html",
        form,
        offering=offering,
        organisations=organisations,
        roles=PARTNER_ROLES,
    )


# --- Organisations --------------------------------------------------------------------


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation():
    form = OrganisationForm()
    form.fill_choices()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(
                name=form.name.data,
                kind=form.kind.data,
                country_code=form.country.data or None,
                short_name=form.short_name.data,
            )
            db.session.commit()
        except InvalidValues as error:
            db.session.rollback()
            _show_problems(form, error.problems)
        except IntegrityError:
            # Added by someone else between the check and the commit.
            db.session.rollback()
            if not services.organisation_name_taken(form.name.data):
                raise
            _show_problems(
                form, [Problem("name", _("An organisation with this name already exists."))]
            )
        else:
            flash(_("%(name)s is added.", name=organisation.name), "success")
            return redirect(safe_next(form.next.data, url_for("manage.index")))
    return _form_page("manage/organisation_form.html", form)
