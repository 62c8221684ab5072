"""Enrolment pages.

Each view checks who is asking (the role by its rule in ``catalog.security.policy``,
the enrolment with that module's helpers), calls one service from ``services`` and
commits; when the rules refuse, it rolls back and answers with the reason and the
status that fits (403, 409, 422, 503), so nothing half-done is ever written. Who may
act for which country is decided by the services as well; the views narrow what
each person is shown. An enrolment's existence is private: to anyone who may not
see it, its pages and actions answer 404.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime

from flask import Response, abort, current_app, flash, make_response, redirect, request, url_for
from flask import render_template as render
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from catalog.auth.services import find_user_by_email
from catalog.catalogue.search import MAX_PAGE, offering_is_listed, whole_number
from catalog.database import utcnow
from catalog.enrolment import bp, services
from catalog.enrolment.forms import (
    ALLOCATION_LABELS,
    ActionForm,
    AllocationForm,
    InviteForm,
    NominatePersonForm,
    OptionalReasonForm,
    OverrideForm,
    ReasonForm,
)
from catalog.enrolment.locking import SeatLockTimeout
from catalog.enrolment.roster import roster_filename, to_csv
from catalog.enrolment.services import EnrolmentError, MissingPrerequisites
from catalog.extensions import db
from catalog.geo.services import country_names
from catalog.labels import label
from catalog.models import (
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    EnrolmentWatch,
    Invitation,
    Offering,
    OfferingStatus,
    Role,
    SeatAllocation,
    User,
    UserRole,
)
from catalog.security.policy import (
    acts_for_every_country,
    can_see_enrolment,
    holds,
    is_staff,
)
from catalog.timeutil import in_zone
from catalog.urls import safe_next

# What each recorded action means, for the history page.
ACTION_LABELS = {
    "applied": _l("Applied"),
    "nominated": _l("Nominated by the national focal point"),
    "declined": _l("Declined"),
    "selected": _l("Selected by the coordinator"),
    "promoted": _l("Moved from the waiting list to a seat"),
    "withdrew": _l("Withdrew"),
    "removed": _l("Removed by the coordinator"),
    "prerequisite_override": _l("Admitted without the prerequisite courses"),
    "accepted": _l("Accepted the place offered from the waiting list"),
    "offer_expired": _l("The place offered was not accepted in time"),
    "result_passed": _l("Result: passed"),
    "result_distinction": _l("Result: passed with distinction"),
    "result_failed": _l("Result: not passed"),
    "result_no_show": _l("Result: did not attend"),
}

FINISHED = (EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED, EnrolmentStatus.NO_SHOW)
PENDING = (EnrolmentStatus.APPLIED, EnrolmentStatus.NOMINATED, EnrolmentStatus.WAITLISTED)
# The order the coordinator's page lists people in.
STATUS_ORDER = {status: index for index, status in enumerate(EnrolmentStatus)}
OFFERINGS_PER_PAGE = 25


# --- One request, one decision -----------------------------------------------------------


def _me() -> User:
    return current_user._get_current_object()


def _refuse(message: str, status: int, back: str, courses: list[Course] | None = None):
    """Stop the request with a page that says why, in the status that fits."""
    db.session.rollback()
    page = render(
        "enrolment/refused.html", message=message, courses=courses or [], back=back, status=status
    )
    abort(make_response(page, status))


def _decide(back: str, service: Callable, *args, **kwargs):
    """Call one service as this request's transaction: commit what it did, or roll
    it all back and answer with the reason."""
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
        abort(503, _("Many people are deciding seats of this offering right now. Try again."))
    except MissingPrerequisites as error:
        _refuse(error.message, error.status, back, error.courses)
    except EnrolmentError as error:
        _refuse(error.message, error.status, back)
    return result


def _action_form() -> ActionForm:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def _back(default: str) -> str:
    return safe_next(request.form.get("next") or request.args.get("next"), default)


# --- Who sees what -------------------------------------------------------------------


def _is_coordinator(user) -> bool:
    return is_staff(user)


def _focal_scope() -> str | None:
    """The country the focal point acts for; None for an administrator, who may act
    for every country."""
    user = _me()
    if acts_for_every_country(user):
        return None
    if not user.country_code:
        abort(403, _("Your profile has no country, so there is no country to nominate for."))
    return user.country_code


def _visible_enrolment_or_404(enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(
        Enrolment,
        enrolment_id,
        options=[joinedload(Enrolment.user), joinedload(Enrolment.offering)],
    )
    if enrolment is None or not can_see_enrolment(current_user, enrolment):
        abort(404)
    return enrolment


def _listed_offering_or_404(offering_id: int) -> Offering:
    offering = db.get_or_404(
        Offering,
        offering_id,
        options=[joinedload(Offering.course), selectinload(Offering.quotas)],
    )
    if not offering_is_listed(offering) and not _is_coordinator(current_user):
        abort(404)
    return offering


def _position(enrolment: Enrolment) -> int | None:
    if enrolment.status != EnrolmentStatus.WAITLISTED:
        return None
    return services.waiting_positions([enrolment.offering_id]).get(enrolment.id)


def _can_withdraw(enrolment: Enrolment, now: datetime) -> bool:
    return (
        enrolment.is_live
        and enrolment.status not in FINISHED
        and not enrolment.offering.has_started(now)
    )


def _gender_context(offering: Offering, country: str | None, everyone: bool) -> dict:
    """Shares of women among seat holders, against the target. Coordinators see
    every country; a focal point sees the whole offering and their own country."""
    balance = services.gender_balance(offering.id)
    if everyone:
        codes = sorted(balance.by_country, key=lambda code: code or "")
    else:
        codes = [country] if country else []
    names = country_names(codes)
    rows = [
        (names.get(code, code or _("No country")), balance.by_country.get(code))
        for code in codes
        if code in balance.by_country or not everyone
    ]
    return {
        "overall": balance.overall,
        "rows": rows,
        "target": current_app.config["GENDER_TARGET"],
        "all_men": bool(country) and services.nominees_all_men(offering.id, country),
        "country_name": names.get(country, country) if country else None,
    }


@bp.app_context_processor
def offering_panel():
    """``enrolment_panel(offering)`` for the public offering page: the viewer's own
    enrolment and what they may do, with the aggregates staff and focal points see."""
    return {"enrolment_panel": _enrolment_panel}


def _enrolment_panel(offering: Offering) -> dict:
    user = current_user
    if not user.is_authenticated:
        return {"logged_in": False}
    now = utcnow()
    mine = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.offering_id == offering.id)
        .order_by(Enrolment.id.desc())
        .limit(1)
    )
    live = mine is not None and mine.is_live
    can_enrol = offering.enrolment_open_at(now) and not live
    coordinator = is_staff(user)
    focal_point = user.has_role(Role.FOCAL_POINT) and bool(
        user.country_code or acts_for_every_country(user)
    )
    watching = db.session.get(EnrolmentWatch, (user.id, offering.id)) is not None
    panel = {
        "logged_in": True,
        "can_watch": offering.status == OfferingStatus.PUBLISHED
        and now < offering.enrolment_opens_at
        and not live,
        "watching": watching,
        "enrolment": mine,
        "position": _position(mine) if live else None,
        "can_enrol": can_enrol,
        "can_withdraw": live and _can_withdraw(mine, now),
        "missing": services.missing_prerequisites(user, offering.course) if can_enrol else [],
        "first_come": offering.seat_allocation == SeatAllocation.FIRST_COME,
        "coordinator": coordinator,
        "focal_point": focal_point,
        "gender": None,
    }
    if coordinator or focal_point:
        # The all-men warning is for the focal point of the viewer's own country.
        acting_for = user.country_code if focal_point and not acts_for_every_country(user) else None
        panel["gender"] = _gender_context(offering, acting_for, everyone=coordinator)
    return panel


# --- Trainees ------------------------------------------------------------------------


@bp.route("/offerings/<int(max=2147483647):offering_id>/enrol", methods=["POST"])
def apply(offering_id: int):
    """The "Enrol" button. Whatever else the form carries (a status, a country, a
    user id) is ignored: the person is the one logged in."""
    back = url_for("catalogue.offering", offering_id=offering_id)
    _action_form()
    if db.session.get(Offering, offering_id) is None:
        abort(404)
    enrolment = _decide(back, services.apply, _me(), offering_id)
    if enrolment.status == EnrolmentStatus.CONFIRMED:
        flash(_("You are enrolled: your place is confirmed."), "success")
    elif enrolment.status == EnrolmentStatus.WAITLISTED:
        flash(
            _(
                "The offering is full for now. You are number %(position)d on the waiting list.",
                position=_position(enrolment) or 0,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Your application is sent. Your national focal point decides whether to "
                "nominate you; the course director then selects from the nominations."
            ),
            "success",
        )
    return redirect(back)


@bp.route("/offerings/<int(max=2147483647):offering_id>/watch", methods=["POST"])
def watch(offering_id: int):
    """ "Tell me when enrolment opens", and its undo."""
    back = url_for("catalogue.offering", offering_id=offering_id)
    _action_form()
    if request.form.get("stop"):
        _decide(back, services.unwatch, _me(), offering_id)
        flash(_("You will not be told when enrolment opens."), "success")
    else:
        _decide(back, services.watch, _me(), offering_id)
        flash(_("We will e-mail you when enrolment opens."), "success")
    return redirect(back)


@bp.route("/enrolments/<int(max=2147483647):enrolment_id>/accept", methods=["POST"])
def accept(enrolment_id: int):
    """Take a place given from the waiting list before its deadline."""
    back = url_for("enrolment.my_training")
    _action_form()
    _decide(back, services.accept_offer, _me(), enrolment_id)
    flash(_("Your place is confirmed. See you there."), "success")
    return redirect(back)


@bp.route("/my/training")
def my_training():
    now = utcnow()
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .join(Offering, Offering.id == Enrolment.offering_id)
            .where(Enrolment.user_id == current_user.id)
            .options(joinedload(Enrolment.offering).joinedload(Offering.course))
            .order_by(Offering.starts_on.desc(), Enrolment.id.desc())
        )
    )
    waiting = sorted({e.offering_id for e in enrolments if e.status == EnrolmentStatus.WAITLISTED})
    return render(
        "enrolment/my_training.html",
        enrolments=enrolments,
        positions=services.waiting_positions(waiting),
        withdrawable={e.id for e in enrolments if _can_withdraw(e, now)},
    )


@bp.route("/enrolments/<int(max=2147483647):enrolment_id>/withdraw", methods=["GET", "POST"])
def withdraw(enrolment_id: int):
    """GET asks "are you sure?" (no script needed); POST withdraws."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or not holds(current_user, enrolment):
        abort(404)
    back = url_for("enrolment.my_training")
    if request.method == "POST":
        _action_form()
        enrolment = _decide(back, services.withdraw, _me(), enrolment_id)
        flash(
            _("You have withdrawn from %(code)s.", code=enrolment.offering.course.code),
            "success",
        )
        return redirect(back)
    return render(
        "enrolment/withdraw.html",
        enrolment=enrolment,
        position=_position(enrolment),
        can_withdraw=_can_withdraw(enrolment, utcnow()),
        form=ActionForm(),
    )


@bp.route("/enrolments/<int(max=2147483647):enrolment_id>")
def history(enrolment_id: int):
    enrolment = _visible_enrolment_or_404(enrolment_id)
    events = list(
        db.session.scalars(
            select(EnrolmentEvent)
            .where(EnrolmentEvent.enrolment_id == enrolment.id)
            .options(joinedload(EnrolmentEvent.actor))
            .order_by(EnrolmentEvent.created_at, EnrolmentEvent.id)
        )
    )
    return render(
        "enrolment/history.html",
        enrolment=enrolment,
        events=events,
        position=_position(enrolment),
        action_labels=ACTION_LABELS,
        country_name=country_names([enrolment.country_code]).get(enrolment.country_code),
        is_owner=enrolment.user_id == current_user.id,
    )


# --- Focal points --------------------------------------------------------------------


def _for_country(statement, country: str | None):
    return statement if country is None else statement.where(Enrolment.country_code == country)


@bp.route("/nominations")
def nominations():
    """Applications from the focal point's country that wait for a decision, and
    the offerings they can nominate people for."""
    country = _focal_scope()
    now = utcnow()
    waiting = list(
        db.session.scalars(
            _for_country(
                select(Enrolment)
                .join(Offering, Offering.id == Enrolment.offering_id)
                .where(
                    Enrolment.status == EnrolmentStatus.APPLIED,
                    Offering.status == OfferingStatus.PUBLISHED,
                )
                .options(
                    joinedload(Enrolment.user),
                    joinedload(Enrolment.offering).joinedload(Offering.course),
                )
                .order_by(Offering.starts_on, Enrolment.created_at, Enrolment.id),
                country,
            )
        )
    )
    waiting = [e for e in waiting if not e.offering.has_started(now)]

    with_people = _for_country(
        select(Enrolment.offering_id).where(Enrolment.status.not_in(services.CLOSED_STATUSES)),
        country,
    )
    offerings = [
        offering
        for offering in db.session.scalars(
            select(Offering)
            .join(Course, Course.id == Offering.course_id)
            .where(
                Offering.status == OfferingStatus.PUBLISHED,
                Course.status == CourseStatus.PUBLISHED,
                or_(
                    (Offering.enrolment_opens_at <= now) & (Offering.enrolment_closes_at > now),
                    Offering.id.in_(with_people),
                ),
            )
            .options(joinedload(Offering.course), selectinload(Offering.quotas))
            .order_by(Offering.starts_on, Offering.id)
        )
        if not offering.has_started(now)
    ]
    tallies: dict[int, Counter] = defaultdict(Counter)
    if offerings:
        rows = db.session.execute(
            _for_country(
                select(Enrolment.offering_id, Enrolment.status, func.count())
                .where(Enrolment.offering_id.in_([o.id for o in offerings]))
                .group_by(Enrolment.offering_id, Enrolment.status),
                country,
            )
        )
        for offering_id, status, count in rows:
            tallies[offering_id][status] += count
    return render(
        "enrolment/nominations.html",
        country=country,
        country_name=country_names([country]).get(country) if country else None,
        waiting=waiting,
        offerings=offerings,
        tallies=tallies,
        seat_holding=services.SEAT_HOLDING,
        quotas={o.id: {q.country_code: q.seats for q in o.quotas} for o in offerings},
    )


def _nomination_candidates(offering: Offering, country: str | None) -> list[User]:
    """Active trainees of the country without a live enrolment in the offering."""
    taken = select(Enrolment.user_id).where(
        Enrolment.offering_id == offering.id, Enrolment.status.not_in(services.CLOSED_STATUSES)
    )
    trainees = select(UserRole.user_id).where(UserRole.role == Role.TRAINEE)
    statement = (
        select(User)
        .where(
            User.active.is_(True),
            User.id.in_(trainees),
            User.id.not_in(taken),
            User.country_code.is_not(None),
        )
        .order_by(User.name, User.email)
    )
    if country is not None:
        statement = statement.where(User.country_code == country)
    return list(db.session.scalars(statement))


def _country_offering_page(
    offering: Offering,
    country: str | None,
    nominate_form: NominatePersonForm | None = None,
    invite_form: InviteForm | None = None,
):
    now = utcnow()
    enrolments = list(
        db.session.scalars(
            _for_country(
                select(Enrolment)
                .where(Enrolment.offering_id == offering.id)
                .options(joinedload(Enrolment.user))
                .order_by(Enrolment.created_at, Enrolment.id),
                country,
            )
        )
    )
    enrolments.sort(key=lambda e: STATUS_ORDER[e.status])
    if nominate_form is None:
        nominate_form = NominatePersonForm()
    nominate_form.fill_choices(_nomination_candidates(offering, country))
    open_invitations = (
        select(Invitation)
        .where(Invitation.offering_id == offering.id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at)
    )
    if country is not None:
        open_invitations = open_invitations.where(Invitation.country_code == country)
    invitations = list(db.session.scalars(open_invitations))
    counts = services.seat_counts(offering, now)
    forms = nominate_form, invite_form
    status = 422 if any(form is not None and form.errors for form in forms) else 200
    page = render(
        "enrolment/country_offering.html",
        offering=offering,
        country=country,
        country_name=country_names([country]).get(country) if country else None,
        enrolments=enrolments,
        positions=services.waiting_positions([offering.id]),
        counts=counts,
        gender=_gender_context(offering, country, everyone=False),
        invitations=invitations,
        open_for_nominations=offering.enrolment_open_at(now),
        can_invite=bool(current_user.country_code),
        nominate_form=nominate_form,
        invite_form=invite_form or InviteForm(),
        allocation_label=ALLOCATION_LABELS[offering.seat_allocation],
    )
    return page, status


@bp.route("/nominations/<int(max=2147483647):offering_id>")
def country_offering(offering_id: int):
    country = _focal_scope()
    return _country_offering_page(_listed_offering_or_404(offering_id), country)


@bp.route("/nominations/<int(max=2147483647):offering_id>/nominate", methods=["POST"])
def nominate_person(offering_id: int):
    """Nominate someone of the focal point's country who did not apply. The list
    holds only that country's people: another id fails the form."""
    country = _focal_scope()
    offering = _listed_offering_or_404(offering_id)
    form = NominatePersonForm()
    form.fill_choices(_nomination_candidates(offering, country))
    if not form.validate_on_submit():
        return _country_offering_page(offering, country, nominate_form=form)
    back = url_for("enrolment.country_offering", offering_id=offering_id)
    enrolment = _decide(
        back,
        services.nominate_directly,
        _me(),
        offering_id,
        form.person.data,
        (form.note.data or "").strip(),
    )
    flash(_("%(name)s is nominated.", name=enrolment.user.name), "success")
    return redirect(back)


@bp.route("/nominations/<int(max=2147483647):offering_id>/invite", methods=["POST"])
def invite(offering_id: int):
    country = _focal_scope()
    offering = _listed_offering_or_404(offering_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _country_offering_page(offering, country, invite_form=form)
    if not current_user.country_code:
        abort(403, _("Your profile has no country, so there is no country to nominate for."))
    back = url_for("enrolment.country_offering", offering_id=offering_id)
    invitation = _decide(back, services.invite, _me(), offering_id, form.email.data)
    flash(
        _(
            "%(email)s is invited. Ask them to register with this address: they are then "
            "nominated for this offering.",
            email=invitation.email,
        ),
        "success",
    )
    return redirect(back)


@bp.route("/enrolments/<int(max=2147483647):enrolment_id>/nominate", methods=["POST"])
def nominate(enrolment_id: int):
    form = _action_form()
    _visible_enrolment_or_404(enrolment_id)
    back = safe_next(form.next.data, url_for("enrolment.nominations"))
    enrolment = _decide(back, services.nominate, _me(), enrolment_id)
    flash(_("%(name)s is nominated.", name=enrolment.user.name), "success")
    return redirect(back)


@bp.route("/enrolments/<int(max=2147483647):enrolment_id>/decline", methods=["GET", "POST"])
def decline(enrolment_id: int):
    """GET asks for an optional reason; POST declines. Focal points decline for
    their own country only: another country's application is 404 to them."""
    form = OptionalReasonForm()
    found = _visible_enrolment_or_404(enrolment_id)
    if _is_coordinator(current_user):
        default = url_for("enrolment.offering", offering_id=found.offering_id)
    else:
        default = url_for("enrolment.country_offering", offering_id=found.offering_id)
    if request.method == "POST" and form.validate_on_submit():
        back = safe_next(form.next.data, default)
        enrolment = _decide(
            back, services.decline, _me(), enrolment_id, (form.note.data or "").strip()
        )
        flash(_("The application of %(name)s is declined.", name=enrolment.user.name), "success")
        return redirect(back)
    if request.method == "GET":
        form.next.data = _back(default)
    return _confirm_page(
        found,
        form,
        title=_("Decline this application?"),
        button=_("Decline"),
        possible=found.status in PENDING,
    )


def _confirm_page(enrolment: Enrolment, form, *, title: str, button: str, possible: bool):
    form.submit.label.text = button
    back = url_for("enrolment.history", enrolment_id=enrolment.id)
    page = render(
        "enrolment/confirm.html",
        enrolment=enrolment,
        form=form,
        back=safe_next(form.next.data, back),
        title=title,
        possible=possible,
        position=_position(enrolment),
    )
    return page, 422 if form.errors else 200


# --- Coordinators --------------------------------------------------------------------


@bp.route("/enrolments")
def offerings():
    """Offerings that have not ended, with how many people are at each step."""
    today = utcnow().date()
    page = db.paginate(
        select(Offering)
        .where(Offering.ends_on >= today, Offering.status != OfferingStatus.CANCELLED)
        .options(joinedload(Offering.course))
        .order_by(Offering.starts_on, Offering.id),
        page=whole_number(request.args, "page", 1, MAX_PAGE),  # a 400 past any table
        per_page=OFFERINGS_PER_PAGE,
        max_per_page=OFFERINGS_PER_PAGE,
    )
    tallies: dict[int, Counter] = defaultdict(Counter)
    ids = [o.id for o in page.items]
    if ids:
        for offering_id, status, count in db.session.execute(
            select(Enrolment.offering_id, Enrolment.status, func.count())
            .where(Enrolment.offering_id.in_(ids))
            .group_by(Enrolment.offering_id, Enrolment.status)
        ):
            tallies[offering_id][status] += count
    return render(
        "enrolment/offerings.html",
        offerings=page,
        tallies=tallies,
        seat_holding=services.SEAT_HOLDING,
        allocation_labels=ALLOCATION_LABELS,
    )


def _offering_page(
    offering: Offering,
    allocation_form: AllocationForm | None = None,
    override_form: OverrideForm | None = None,
):
    now = utcnow()
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.offering_id == offering.id)
            .options(joinedload(Enrolment.user))
            .order_by(Enrolment.created_at, Enrolment.id)
        )
    )
    positions = services.waiting_positions([offering.id])
    groups: dict[EnrolmentStatus, list[Enrolment]] = defaultdict(list)
    for enrolment in enrolments:
        groups[enrolment.status].append(enrolment)
    groups[EnrolmentStatus.WAITLISTED].sort(key=lambda e: positions.get(e.id, 0))
    counts = services.seat_counts(offering, now)
    per_country: dict[str | None, Counter] = defaultdict(Counter)
    for enrolment in enrolments:
        per_country[enrolment.country_code][enrolment.status] += 1
    codes = sorted(set(per_country) | set(counts.quotas), key=lambda code: code or "")
    if allocation_form is None:
        allocation_form = AllocationForm(allocation=offering.seat_allocation.value)
    forms = allocation_form, override_form
    status = 422 if any(form is not None and form.errors for form in forms) else 200
    page = render(
        "enrolment/offering.html",
        offering=offering,
        groups=groups,
        positions=positions,
        counts=counts,
        per_country=per_country,
        codes=codes,
        country_names=country_names(codes),
        seat_holding=services.SEAT_HOLDING,
        gender=_gender_context(offering, None, everyone=True),
        allocation_label=ALLOCATION_LABELS[offering.seat_allocation],
        allocation_form=allocation_form,
        override_form=override_form or OverrideForm(),
        release_due=bool(offering.quotas)
        and offering.quotas_released_at is None
        and now >= offering.quota_release_at,
    )
    return page, status


@bp.route("/offerings/<int(max=2147483647):offering_id>/enrolments")
def offering(offering_id: int):
    return _offering_page(_listed_offering_or_404(offering_id))


@bp.route("/enrolments/<int(max=2147483647):enrolment_id>/select", methods=["POST"])
def select_candidate(enrolment_id: int):
    form = _action_form()
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        abort(404)
    back = safe_next(
        form.next.data, url_for("enrolment.offering", offering_id=enrolment.offering_id)
    )
    enrolment = _decide(back, services.select_candidate, _me(), enrolment_id)
    if enrolment.status == EnrolmentStatus.CONFIRMED:
        name = enrolment.user.name
        flash(_("%(name)s is selected: the place is confirmed.", name=name), "success")
    else:
        flash(
            _(
                "%(name)s is selected but there is no seat for them now (the offering or "
                "their country's quota is full): they are number %(position)d on the "
                "waiting list.",
                name=enrolment.user.name,
                position=_position(enrolment) or 0,
            ),
            "success",
        )
    return redirect(back)


@bp.route("/enrolments/<int(max=2147483647):enrolment_id>/remove", methods=["GET", "POST"])
def remove(enrolment_id: int):
    """GET asks for the reason; POST removes, and the seat goes to the waiting list."""
    enrolment = _visible_enrolment_or_404(enrolment_id)
    default = url_for("enrolment.offering", offering_id=enrolment.offering_id)
    form = ReasonForm()
    if request.method == "POST" and form.validate_on_submit():
        back = safe_next(form.next.data, default)
        enrolment = _decide(back, services.remove, _me(), enrolment_id, form.note.data.strip())
        flash(_("%(name)s is removed from the offering.", name=enrolment.user.name), "success")
        return redirect(back)
    if request.method == "GET":
        form.next.data = _back(default)
    return _confirm_page(
        enrolment,
        form,
        title=_("Remove this person from the offering?"),
        button=_("Remove"),
        possible=enrolment.status in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED),
    )


@bp.route("/offerings/<int(max=2147483647):offering_id>/allocation", methods=["POST"])
def allocation(offering_id: int):
    offering = _listed_offering_or_404(offering_id)
    form = AllocationForm()
    if not form.validate_on_submit():
        return _offering_page(offering, allocation_form=form)
    back = url_for("enrolment.offering", offering_id=offering_id)
    choice = SeatAllocation(form.allocation.data)
    _decide(back, services.set_seat_allocation, _me(), offering_id, choice)
    flash(_("Seats are now given by: %(how)s.", how=ALLOCATION_LABELS[choice]), "success")
    return redirect(back)


@bp.route("/offerings/<int(max=2147483647):offering_id>/prerequisite-override", methods=["POST"])
def override(offering_id: int):
    offering = _listed_offering_or_404(offering_id)
    form = OverrideForm()
    person = find_user_by_email(form.email.data) if form.validate_on_submit() else None
    if form.email.data and not form.errors and person is None:
        form.email.errors = [_("There is no account with this e-mail address.")]
    if person is None:
        return _offering_page(offering, override_form=form)
    back = url_for("enrolment.offering", offering_id=offering_id)
    enrolment = _decide(
        back,
        services.override_prerequisites,
        _me(),
        person.id,
        offering_id,
        form.reason.data,
    )
    flash(
        _(
            "%(name)s is admitted without the prerequisites (%(status)s).",
            name=person.name,
            status=label(enrolment.status),
        ),
        "success",
    )
    return redirect(back)


@bp.route("/offerings/<int(max=2147483647):offering_id>/release-quotas", methods=["POST"])
def release_quotas(offering_id: int):
    """Open unused country seats to everyone once the release date has passed (the
    scheduler does the same; this is for when a coordinator will not wait)."""
    _action_form()
    offering = _listed_offering_or_404(offering_id)
    back = url_for("enrolment.offering", offering_id=offering_id)
    if offering.quotas_released_at is not None:
        _refuse(_("The country quotas of this offering are already released."), 409, back)
    if utcnow() < offering.quota_release_at:
        _refuse(_("Country quotas bind until their release date."), 422, back)
    promoted = _decide(back, services.release_quotas, offering_id)
    flash(
        ngettext(
            "Unused country seats are open to everyone; %(num)d person moved from the "
            "waiting list to a seat.",
            "Unused country seats are open to everyone; %(num)d people moved from the "
            "waiting list to a seat.",
            len(promoted),
        ),
        "success",
    )
    return redirect(back)


# --- Rosters -------------------------------------------------------------------------


@bp.route("/offerings/<int(max=2147483647):offering_id>/roster.csv")
def roster(offering_id: int):
    """The whole roster for coordinators; a focal point gets their country's part."""
    offering = _listed_offering_or_404(offering_id)
    country = None if _is_coordinator(current_user) else _focal_scope()
    enrolments = list(
        db.session.scalars(
            _for_country(
                select(Enrolment)
                .where(Enrolment.offering_id == offering.id)
                .options(joinedload(Enrolment.user))
                .order_by(Enrolment.created_at, Enrolment.id),
                country,
            )
        )
    )
    enrolments.sort(key=lambda e: STATUS_ORDER[e.status])
    positions = services.waiting_positions([offering.id])
    names = country_names({e.country_code for e in enrolments})
    zone = offering.timezone

    def day(moment: datetime | None) -> str:
        return in_zone(moment, zone).date().isoformat() if moment else ""

    header = [
        _("Name"),
        _("Country"),
        _("Status"),
        _("Waiting list position"),
        _("Applied on"),
        _("Decided on"),
    ]
    rows = [
        [
            e.user.name,
            names.get(e.country_code, e.country_code or ""),
            label(e.status),
            positions.get(e.id, ""),
            day(e.created_at),
            day(e.decided_at),
        ]
        for e in enrolments
    ]
    filename = roster_filename(offering.course.code, offering.starts_on, country)
    return Response(
        to_csv(header, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
