"""Administrators' pages: the audit log, and a person's roles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalog.auth.services import AccountError, set_roles
from catalog.extensions import db
from catalog.models import Role, User
from catalog.security.audit import KIND_LABELS, events_query
from catalog.security.forms import AuditFilterForm, RolesForm
from catalog.security.sessions import renew_login

# Who may use these pages is in catalog.security.policy (administrators only).
bp = Blueprint("admin", __name__, url_prefix="/admin")

EVENTS_PER_PAGE = 50


@bp.get("/audit")
def audit_log():
    """Security events, newest first, filtered by kind and account."""
    form = AuditFilterForm(request.args)
    form.fill_choices()
    valid = form.validate()
    kind = form.kind.data if valid else ""
    email = (form.email.data or "") if valid else ""
    events = db.paginate(
        events_query(kind, email), per_page=EVENTS_PER_PAGE, max_per_page=EVENTS_PER_PAGE
    )
    status = 200 if valid else 422
    return render_template(
        "admin/audit.html",
        form=form,
        events=events,
        kind=kind,
        email=email,
        kind_labels={kind.value: label for kind, label in KIND_LABELS.items()},
    ), status


@bp.route("/users/<int(max=2147483647):user_id>/roles", methods=["GET", "POST"])
def user_roles(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RolesForm()
    form.fill_choices()
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        actor = current_user._get_current_object()
        try:
            changed = set_roles(actor, user, [Role(role) for role in form.roles.data or []])
        except AccountError as error:
            db.session.rollback()
            form.roles.errors = [*form.roles.errors, error.message]
        else:
            db.session.commit()
            if user.id == actor.id and changed:
                renew_login(user)  # the change ended this session too
            if changed:
                flash(_("The roles of %(email)s are saved.", email=user.email), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("admin.user_roles", user_id=user.id))
    status = 422 if form.errors else 200
    return render_template("admin/user_roles.html", form=form, user=user), status
