"""Scheduling pages for an offering's instructors and the coordinators.

Each view checks access (the role by its rule in ``catalog.security.policy``,
then that the person may schedule this offering), validates its form, calls the
services, and commits once; on any refusal it rolls back, so a request is one
transaction and a refused form writes nothing. A session's status changes only
through the cancel and restore buttons; its revision only through the services.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from catalog.catalogue.rules import Problem
from catalog.extensions import db
from catalog.manage.forms import ActionForm
from catalog.manage.services import InvalidValues, StatusError
from catalog.models import Offering, TrainingSession
from catalog.security.policy import manages_offering
from catalog.sessions import bp, services
from catalog.sessions.forms import SeriesForm, SessionForm
from catalog.sessions.services import NeedsConfirmation
from catalog.urls import safe_next

SESSION_ID = "<int(max=2147483647):session_id>"


def _offering_or_404(offering_id: int) -> Offering:
    """The offering, when the person may schedule it: 404 for an unknown id, 403 for
    an instructor who does not teach it."""
    offering = db.get_or_404(
        Offering,
        offering_id,
        options=[
            joinedload(Offering.course),
            selectinload(Offering.instructors),
            selectinload(Offering.sessions).joinedload(TrainingSession.instructor),
        ],
    )
    if not manages_offering(current_user, offering):
        abort(403)
    return offering


def _session_or_404(offering: Offering, session_id: int) -> TrainingSession:
    """One of ``offering``'s sessions; a session of another offering is not found here."""
    session = db.session.get(TrainingSession, session_id)
    if session is None or session.offering_id != offering.id:
        abort(404)
    return session


def _show_at_fields(form, problems: list[Problem]) -> None:
    """Each problem at the field it names; problems without a field become a flash."""
    for problem in problems:
        field = form._fields.get(problem.field)
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            flash(problem.message, "error")


def _save(form, save, problems_of) -> tuple[object | None, list]:
    """Validate ``form`` and run ``save(override)`` as the request's one transaction.

    Returns (what ``save`` returned, []) on success; (None, warnings) when the values
    need confirming; (None, []) with the problems at their fields otherwise. When the
    form fails its own checks, the business rules run as well if the values they need
    were read, so every problem shows at once.
    """
    if not form.validate_on_submit():
        if request.method == "POST" and form.values_complete():
            fresh = [
                problem
                for problem in problems_of(form.values())
                if problem.field in form._fields and not form[problem.field].errors
            ]
            _show_at_fields(form, fresh)
        return None, []
    try:
        result = save(form.override())
        db.session.commit()
    except InvalidValues as error:
        db.session.rollback()
        _show_at_fields(form, error.problems)
    except NeedsConfirmation as error:
        db.session.rollback()
        form.ask_to_confirm(error.kinds)
        return None, error.warnings
    except StatusError as error:
        db.session.rollback()
        abort(409, error.message)
    else:
        return result, []
    return None, []


def _form_page(template: str, form, warnings: list, **context):
    """A form page; 422 when it came back with problems or warnings: nothing was saved."""
    status = 422 if form.errors or warnings else 200
    return render_template(template, form=form, warnings=warnings, **context), status


def _timetable(offering: Offering):
    return redirect(url_for("sessions.index", offering_id=offering.id))


@bp.route("")
def index(offering_id: int):
    offering = _offering_or_404(offering_id)
    return render_template("sessions/index.html", offering=offering)


@bp.route("/new", methods=["GET", "POST"])
def new(offering_id: int):
    offering = _offering_or_404(offering_id)
    form = SessionForm(data={"timezone": offering.timezone} if request.method == "GET" else None)
    form.fill_choices(offering)
    session, warnings = _save(
        form,
        lambda override: services.create_session(offering, form.values(), override=override),
        lambda values: services.session_problems(offering, values),
    )
    if session is not None:
        flash(_("The session “%(title)s” is scheduled.", title=session.title), "success")
        return _timetable(offering)
    return _form_page("sessions/session_form.html", form, warnings, offering=offering, session=None)


@bp.route(f"/{SESSION_ID}/edit", methods=["GET", "POST"])
def edit(offering_id: int, session_id: int):
    offering = _offering_or_404(offering_id)
    session = _session_or_404(offering, session_id)
    form = SessionForm(data=SessionForm.initial(session) if request.method == "GET" else None)
    form.fill_choices(offering, keep_id=session.instructor_id)
    changed, warnings = _save(
        form,
        lambda override: services.update_session(session, form.values(), override=override),
        lambda values: services.session_problems(offering, values, session),
    )
    if changed is not None:
        if changed:
            flash(_("The session “%(title)s” is saved.", title=session.title), "success")
        else:
            flash(_("Nothing changed."), "success")
        return _timetable(offering)
    return _form_page(
        "sessions/session_form.html", form, warnings, offering=offering, session=session
    )


@bp.route("/series", methods=["GET", "POST"])
def new_series(offering_id: int):
    offering = _offering_or_404(offering_id)
    initial = None
    if request.method == "GET":
        initial = {
            "timezone": offering.timezone,
            "first_date": offering.starts_on,
            "until": offering.ends_on,
        }
    form = SeriesForm(data=initial)
    form.fill_choices(offering)
    sessions, warnings = _save(
        form,
        lambda override: services.create_series(offering, form.values(), override=override),
        lambda values: services.series_problems(offering, values),
    )
    if sessions is not None:
        flash(
            ngettext(
                "%(num)d session is scheduled.", "%(num)d sessions are scheduled.", len(sessions)
            ),
            "success",
        )
        return _timetable(offering)
    return _form_page(
        "sessions/series_form.html",
        form,
        warnings,
        offering=offering,
        max_occurrences=services.MAX_OCCURRENCES,
    )


def _change_status(offering_id: int, session_id: int, change, success: str):
    """Run ``change(session)`` as one transaction and go back where the button was."""
    offering = _offering_or_404(offering_id)
    session = _session_or_404(offering, session_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        warnings = change(session) or []
        db.session.commit()
    except StatusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(success % {"title": session.title}, "success")
        for warning in warnings:
            flash(warning.message, "error")
    return redirect(safe_next(form.next.data, url_for("sessions.index", offering_id=offering.id)))


@bp.route(f"/{SESSION_ID}/cancel", methods=["POST"])
def cancel(offering_id: int, session_id: int):
    return _change_status(
        offering_id,
        session_id,
        services.cancel_session,
        _("The session “%(title)s” is cancelled; it stays on the timetable as cancelled."),
    )


@bp.route(f"/{SESSION_ID}/restore", methods=["POST"])
def restore(offering_id: int, session_id: int):
    return _change_status(
        offering_id,
        session_id,
        services.restore_session,
        _("The session “%(title)s” is scheduled again."),
    )
