"""Records pages: attendance and results for a whole class, trainers from the
training of trainers, feedback, certificates and their public verification.

Each view checks who is asking (the role by its rule in ``catalog.security.policy``,
then the object with its helpers), validates its form, calls one service and commits;
when the rules refuse, it rolls back and answers with the reason (403, 409, 422, 503),
or puts the problems at their fields (422), so a request is one transaction and a
refused form writes nothing. A certificate is private to its holder (and the
coordinators): to anyone else its page answers 404, like an unknown one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from flask import abort, flash, make_response, redirect, request, url_for
from flask import render_template as render
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from catalog.catalogue.search import offering_is_listed
from catalog.database import utcnow
from catalog.enrolment.locking import SeatLockTimeout
from catalog.extensions import db
from catalog.feeds.services import absolute
from catalog.geo.services import sorted_by_name
from catalog.manage.forms import ActionForm
from catalog.manage.services import InvalidValues
from catalog.models import (
    Certificate,
    Enrolment,
    Offering,
    OfferingStatus,
    SessionStatus,
    TrainingSession,
    User,
)
from catalog.records import bp, services
from catalog.records.forms import (
    ATTENDANCE_LABELS,
    RESULT_LABELS,
    ROLE_LABELS,
    AttendanceForm,
    FeedbackForm,
    ResultsForm,
    TrainerForm,
)
from catalog.records.services import CertificateState, RecordsError
from catalog.security.policy import (
    can_see_certificate,
    is_staff,
    manages_offering,
    sees_every_country,
)
from catalog.urls import safe_next

OFFERING = "<int(max=2147483647):offering_id>"
SESSION = "<int(max=2147483647):session_id>"
ID = "<int(max=2147483647):{}>"
# Longer than any code written with separators; anything longer is not looked up.
CODE_MAX_INPUT = 64
TYPED_CODE = re.compile(r"[A-Za-z0-9-]{1,32}")


# --- One request, one decision -------------------------------------------------------------


def _me() -> User:
    return current_user._get_current_object()


def _refuse(message: str, status: int, back: str):
    """Stop the request with a page that says why, in the status that fits."""
    db.session.rollback()
    page = render("enrolment/refused.html", message=message, courses=[], back=back, status=status)
    abort(make_response(page, status))


def _show_at_fields(form, problems) -> None:
    for problem in problems:
        field = form._fields.get(problem.field)
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            flash(problem.message, "error")


def _decide(back: str, service: Callable, *args, form=None, **kwargs):
    """Call one service as this request's transaction: commit what it did, or roll it
    all back and answer with the reason. Problems with values go to ``form``'s fields
    and the result is then None."""
    try:
        result = service(*args, **kwargs)
        db.session.commit()
    except LookupError as error:
        db.session.rollback()
        if type(error) is not LookupError:
            raise  # a KeyError or IndexError is a bug, not an unknown id
        abort(404)
    except SeatLockTimeout:
        db.session.rollback()
        abort(503, _("Many people are changing this offering right now. Try again."))
    except InvalidValues as error:
        db.session.rollback()
        if form is None:
            raise
        _show_at_fields(form, error.problems)
        return None
    except RecordsError as error:
        _refuse(error.message, error.status, back)
    return result


def _form_page(template: str, form, **context):
    """A form page; 422 when it came back with problems: nothing was saved."""
    return render(template, form=form, **context), 422 if form.errors else 200


def _offering(offering_id: int) -> Offering:
    return db.get_or_404(
        Offering,
        offering_id,
        options=[joinedload(Offering.course), selectinload(Offering.instructors)],
    )


def _taught_offering_or_404(offering_id: int) -> Offering:
    """The offering, when the person teaches it or coordinates: 404 for an unknown id,
    403 for an instructor of other offerings."""
    offering = _offering(offering_id)
    if not manages_offering(current_user, offering):
        abort(403)
    return offering


@bp.app_context_processor
def record_helpers():
    """``feedback_is_open(enrolment)`` for the trainee's pages."""
    return {"feedback_is_open": _feedback_is_open}


def _feedback_is_open(enrolment: Enrolment) -> bool:
    return enrolment.status in services.FEEDBACK_STATUSES and services.feedback_open(
        enrolment.offering
    )


# --- Attendance ------------------------------------------------------------------------------


@bp.route(f"/manage/offerings/{OFFERING}/sessions/{SESSION}/attendance", methods=["GET", "POST"])
def attendance(offering_id: int, session_id: int):
    """The register of one session: the whole class on one page, one Save."""
    offering = _taught_offering_or_404(offering_id)
    session = db.session.get(TrainingSession, session_id)
    if session is None or session.offering_id != offering.id:
        abort(404)
    here = url_for("records.attendance", offering_id=offering.id, session_id=session.id)
    enrolments = services.class_list(offering.id)
    form = AttendanceForm.for_class(enrolments, services.attendance_marks(session.id))
    if form.validate_on_submit():
        changed = _decide(here, services.record_attendance, _me(), session.id, form.chosen())
        flash(
            ngettext(
                "Attendance is saved: %(num)d mark changed.",
                "Attendance is saved: %(num)d marks changed.",
                changed,
            ),
            "success",
        )
        return redirect(here)
    return _form_page(
        "records/attendance.html",
        form,
        offering=offering,
        session=session,
        enrolments=enrolments,
        countries=services.country_names(e.country_code for e in enrolments),
        cancelled=session.status == SessionStatus.CANCELLED,
        started=utcnow() >= session.starts_at,
        labels=ATTENDANCE_LABELS,
    )


# --- Results ---------------------------------------------------------------------------------


@bp.route(f"/manage/offerings/{OFFERING}/results", methods=["GET", "POST"])
def results(offering_id: int):
    """Results of the whole class; corrections are new events on the same page."""
    offering = _offering(offering_id)
    here = url_for("records.results", offering_id=offering.id)
    enrolments = services.class_list(offering.id)
    current = {enrolment.id: services.result_of(enrolment) for enrolment in enrolments}
    form = ResultsForm.for_class(enrolments, current)
    if form.validate_on_submit():
        chosen = {key: services.Result(value) for key, value in form.chosen().items()}
        changed = _decide(here, services.record_results, _me(), offering.id, chosen)
        flash(
            ngettext(
                "Results are saved: %(num)d result changed.",
                "Results are saved: %(num)d results changed.",
                len(changed),
            ),
            "success",
        )
        return redirect(here)
    certificates = {
        certificate.enrolment_id: certificate
        for certificate in db.session.scalars(
            select(Certificate).where(
                Certificate.enrolment_id.in_([enrolment.id for enrolment in enrolments])
            )
        )
    }
    return _form_page(
        "records/results.html",
        form,
        offering=offering,
        enrolments=enrolments,
        current=current,
        countries=services.country_names(e.country_code for e in enrolments),
        tally=services.attendance_tally(offering.id),
        certificates=certificates,
        is_open=services.results_open(offering),
        expiry=services.certificate_expiry(offering),
        labels=RESULT_LABELS,
        attendance_labels=ATTENDANCE_LABELS,
        format_code=services.format_code,
    )


# --- Certificates ----------------------------------------------------------------------------


@bp.route("/my/certificates")
def my_certificates():
    rows = services.completions(current_user.id)
    return render(
        "records/my_certificates.html",
        rows=rows,
        states={
            certificate.id: services.certificate_state(certificate)
            for _enrolment, certificate in rows
            if certificate is not None
        },
        labels=RESULT_LABELS,
        result_of=services.result_of,
    )


@bp.route(f"/certificates/{ID.format('certificate_id')}")
def certificate(certificate_id: int):
    """The printable certificate (the browser's Print makes paper or a PDF of it)."""
    certificate = db.session.get(
        Certificate,
        certificate_id,
        options=[
            joinedload(Certificate.enrolment).joinedload(Enrolment.user),
            joinedload(Certificate.enrolment)
            .joinedload(Enrolment.offering)
            .joinedload(Offering.course),
        ],
    )
    if certificate is None or not can_see_certificate(current_user, certificate):
        abort(404)
    enrolment = certificate.enrolment
    code = services.format_code(certificate.code)
    response = make_response(
        render(
            "records/certificate.html",
            certificate=certificate,
            enrolment=enrolment,
            offering=enrolment.offering,
            state=services.certificate_state(certificate),
            issued_on=services.local_date(enrolment.offering, certificate.issued_at),
            result=services.result_of(enrolment),
            labels=RESULT_LABELS,
            code=code,
            verify_url=absolute("records.verify", code=code),
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/verify/<code>")
def verify(code: str):
    """Public: whether a certificate is genuine and holds today; no personal data but
    the holder's name."""
    verification = services.verify(code) if len(code) <= CODE_MAX_INPUT else None
    page = render(
        "records/verify.html",
        verification=verification,
        # Echo back only what looks like a code: the page must not repeat any text
        # someone puts into a link.
        typed=code if TYPED_CODE.fullmatch(code) else "",
        labels=RESULT_LABELS,
        states=CertificateState,
        format_code=services.format_code,
    )
    response = make_response(page, 200 if verification else 404)
    # The page is about one person: keep it out of search engines and shared caches.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Trainers from the training of trainers -------------------------------------------------


def _trainers_page(offering: Offering, form: TrainerForm, graduates, names):
    assignments = services.trainer_assignments(offering.id)
    codes = [a.qualifying_enrolment.country_code or a.user.country_code for a in assignments]
    names = {**names, **services.country_names(codes)}
    return _form_page(
        "records/trainers.html",
        form,
        offering=offering,
        assignments=assignments,
        countries=names,
        role_labels=ROLE_LABELS,
        cancelled=offering.status == OfferingStatus.CANCELLED,
    )


@bp.route(f"/manage/offerings/{OFFERING}/trainers", methods=["GET", "POST"])
def trainers(offering_id: int):
    """Graduates of a training of trainers who help teach this offering."""
    offering = _offering(offering_id)
    here = url_for("records.trainers", offering_id=offering.id)
    graduates = services.eligible_trainers(offering)
    names = services.country_names(g.country_code or u.country_code for u, g in graduates)
    form = TrainerForm()
    form.fill_choices(graduates, names)
    if form.validate_on_submit():
        assignment = _decide(
            here,
            services.assign_trainer,
            _me(),
            offering.id,
            form.person.data,
            form.role.data,
            form=form,
        )
        if assignment is not None:
            flash(
                _(
                    "%(name)s is recorded as %(role)s.",
                    name=assignment.user.name,
                    role=ROLE_LABELS[assignment.role],
                ),
                "success",
            )
            return redirect(here)
    return _trainers_page(offering, form, graduates, names)


@bp.route(f"/manage/offerings/{OFFERING}/trainers/{ID.format('user_id')}/remove", methods=["POST"])
def remove_trainer(offering_id: int, user_id: int):
    offering = _offering(offering_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    here = url_for("records.trainers", offering_id=offering.id)
    trainer = _decide(here, services.remove_trainer, _me(), offering.id, user_id)
    flash(
        _("%(name)s is no longer recorded as a trainer here.", name=trainer.name),
        "success",
    )
    return redirect(safe_next(form.next.data, here))


@bp.route("/training-capacity")
def trained_by():
    """Who each country's trainers trained. Coordinators choose the country; a focal
    point sees their own, and names of trainees from their own country only."""
    user = _me()
    requested = (request.args.get("country") or "").strip().upper()
    coordinator = sees_every_country(user)
    if coordinator:
        country = requested or None
    else:
        if not user.country_code:
            abort(403, _("Your profile has no country, so there is no country to show."))
        if requested and requested != user.country_code:
            abort(403)
        country = user.country_code
    choices = services.trainer_countries() if coordinator else []
    names = services.country_names([*choices, country])
    if country and country not in names:
        abort(404)
    entries = services.trained_by(country) if country else []
    rows = []
    for entry in entries:
        shown = [e for e in entry.trainees if coordinator or e.country_code == country]
        rows.append((entry, shown, len(entry.trainees) - len(shown)))
    return render(
        "records/trained_by.html",
        country=country,
        country_name=names.get(country, ""),
        choices=sorted_by_name((code, names.get(code, code)) for code in choices),
        coordinator=coordinator,
        rows=rows,
        trainer_count=len({entry.trainer.id for entry in entries}),
        offering_count=len({entry.offering.id for entry in entries}),
        trainee_count=len({e.user_id for entry in entries for e in entry.trainees}),
        role_labels=ROLE_LABELS,
        result_of=services.result_of,
        result_labels=RESULT_LABELS,
        countries=services.country_names(
            e.country_code for entry in entries for e in entry.trainees
        ),
    )


# --- Feedback --------------------------------------------------------------------------------


@bp.route(f"/offerings/{OFFERING}/feedback", methods=["GET", "POST"])
def feedback(offering_id: int):
    """End-of-course feedback, open to the offering's trainees for 14 days after it ends."""
    offering = _offering(offering_id)
    if not offering_is_listed(offering) and not is_staff(current_user):
        abort(404)
    enrolment = services.feedback_enrolment(current_user.id, offering.id)
    if enrolment is None:
        abort(403, _("Only the offering's trainees can give feedback on it."))
    here = url_for("records.feedback", offering_id=offering.id)
    existing = services.feedback_of(enrolment.id)
    form = FeedbackForm(obj=existing if request.method == "GET" else None)
    if form.validate_on_submit():
        saved = _decide(
            here,
            services.submit_feedback,
            _me(),
            offering.id,
            form.rating.data,
            form.comments.data or "",
            form=form,
        )
        if saved is not None:
            flash(_("Thank you: your feedback is saved."), "success")
            return redirect(here)
    opens_at, _closes_at = services.feedback_window(offering)
    return _form_page(
        "records/feedback.html",
        form,
        offering=offering,
        existing=existing,
        is_open=services.feedback_open(offering),
        not_yet=utcnow() < opens_at,
        last_day=offering.ends_on + timedelta(days=services.FEEDBACK_DAYS),
    )


@bp.route(f"/manage/offerings/{OFFERING}/feedback")
def feedback_summary(offering_id: int):
    """Feedback in aggregate for the offering's instructors and the coordinators."""
    offering = _taught_offering_or_404(offering_id)
    return render(
        "records/feedback_summary.html",
        offering=offering,
        summary=services.feedback_summary(offering.id),
        is_open=services.feedback_open(offering),
        last_day=offering.ends_on + timedelta(days=services.FEEDBACK_DAYS),
    )
