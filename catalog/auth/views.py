"""Account pages."""

import math

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from catalog.auth import bp
from catalog.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from catalog.auth.reset import password_changed_notice, request_reset, valid_token
from catalog.auth.reset import reset_password as reset_with_token
from catalog.auth.services import (
    AccountError,
    authenticate,
    create_user,
    find_user_by_email,
    set_password,
)
from catalog.enrolment.services import accept_invitations
from catalog.extensions import db
from catalog.i18n import browser_timezone
from catalog.models import Gender, Role
from catalog.security.audit import EventKind, record
from catalog.security.sessions import end_all_sessions, renew_login
from catalog.timeutil import timezone_names
from catalog.urls import safe_next


def _attach_error(form, error: AccountError) -> None:
    field = getattr(form, error.field, None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    form.fill_choices()
    if request.method == "GET":
        form.language.data = session.get("language", "en")
        # The zone the browser reported, when the list offers it (browsers may name
        # an old alias such as Asia/Calcutta).
        if browser_timezone() in timezone_names():
            form.timezone.data = browser_timezone()
    if form.validate_on_submit():
        try:
            user = create_user(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                country_code=form.country.data,
                timezone=form.timezone.data,
                language=form.language.data,
                gender=Gender(form.gender.data) if form.gender.data else None,
            )
            db.session.flush()
            # A focal point may have invited this address: those become nominations.
            nominations = accept_invitations(user)
            db.session.commit()
        except AccountError as error:
            db.session.rollback()
            _attach_error(form, error)
        except IntegrityError:
            # Another registration with this address won the race since the check.
            db.session.rollback()
            _attach_error(
                form,
                AccountError("email", _("An account with this e-mail address already exists.")),
            )
        else:
            session.clear()  # a fresh session, as on every login
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            if nominations:
                flash(
                    ngettext(
                        "Your national focal point nominated you for %(num)d offering: "
                        "see My training.",
                        "Your national focal point nominated you for %(num)d offerings: "
                        "see My training.",
                        len(nominations),
                    ),
                    "success",
                )
            return redirect(url_for("main.index"))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            # One message for an unknown address and a wrong password: no enumeration.
            form.password.errors = [_("The e-mail address or password is not right.")]
            # The audit names the account when there is one. Nothing else is written,
            # so the event is committed on its own.
            record(EventKind.LOGIN_FAILED, find_user_by_email(form.email.data))
            db.session.commit()
        else:
            # A fresh session on login, so no fixation: nothing the visitor carried
            # in survives, and the cookie sent back is a new one.
            session.clear()
            login_user(user, remember=form.remember.data)
            record(EventKind.LOGIN, user, actor=user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        # Logging out here logs out everywhere: a session cookie copied from this
        # browser, or left in another, stops working too.
        end_all_sessions(user)
        record(EventKind.LOGOUT, user, actor=user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If an account uses that address, we have sent it a link to choose a new "
                "password. The link works for an hour."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if valid_token(token) is None:
        # Unknown, used or expired: one message, and nothing says which.
        return _reset_page(None, 404)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = reset_with_token(token, form.new_password.data)
        except AccountError as error:
            db.session.rollback()
            form.new_password.errors = [error.message]
        else:
            if user is None:  # another request used the link a moment ago
                db.session.rollback()
                return _reset_page(None, 404)
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return _reset_page(form, 422 if form.errors else 200)


def _reset_page(form: ResetPasswordForm | None, status: int):
    body = render_template("auth/reset_password.html", form=form)
    # The token is in the address: keep it out of Referer headers and caches.
    return body, status, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded):
    """The form again, saying what happened and how long to wait, rather than an
    error page: 429, with Retry-After (added by Flask-Limiter)."""
    db.session.rollback()
    minutes = max(1, math.ceil(error.limit.limit.get_expiry() / 60))
    wait = ngettext(
        "Wait %(num)d minute and try again.", "Wait %(num)d minutes and try again.", minutes
    )
    if request.endpoint == "auth.forgot_password":
        form = ForgotPasswordForm()
        form.email.errors = [_("Too many reset requests.") + " " + wait]
        return render_template("auth/forgot_password.html", form=form), 429
    form = LoginForm()
    form.password.errors = [_("Too many failed attempts.") + " " + wait]
    return render_template("auth/login.html", form=form), 429


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    form.fill_choices()
    if request.method == "GET":
        form.country.data = current_user.country_code or ""
        form.gender.data = current_user.gender.value if current_user.gender else ""
    password_form = PasswordForm(prefix="pw")
    if form.submit.data and form.validate_on_submit():
        if not form.country.data and Role.FOCAL_POINT in current_user.roles:
            form.country.errors = [_("A focal point needs the country they act for.")]
        else:
            current_user.name = form.name.data.strip()
            current_user.country_code = form.country.data or None
            current_user.timezone = form.timezone.data
            current_user.language = form.language.data
            current_user.gender = Gender(form.gender.data) if form.gender.data else None
            current_user.reminders_enabled = form.reminders_enabled.data
            current_user.digest_enabled = form.digest_enabled.data
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    status = 422 if form.errors else 200
    return _profile_page(form, password_form, status)


@bp.route("/password", methods=["POST"])
def change_password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current_password.data):
            form.current_password.errors = [_("Your current password is not right.")]
        else:
            user = current_user._get_current_object()
            try:
                set_password(user, form.new_password.data)
            except AccountError as error:
                db.session.rollback()
                form.new_password.errors = [error.message]
            else:
                record(EventKind.PASSWORD_CHANGED, user, actor=user)
                password_changed_notice(user)
                db.session.commit()
                # Every other session has ended; this one goes on with the new version.
                renew_login(user)
                flash(_("Your password is changed."), "success")
                return redirect(url_for("auth.profile"))
    profile_form = ProfileForm(obj=current_user)
    profile_form.fill_choices()
    profile_form.country.data = current_user.country_code or ""
    profile_form.gender.data = current_user.gender.value if current_user.gender else ""
    return _profile_page(profile_form, form, 422)


def _profile_page(form, password_form, status):
    from catalog.feeds.links import personal_feed_links

    return render_template(
        "auth/profile.html",
        form=form,
        password_form=password_form,
        feed_links=personal_feed_links(current_user),
    ), status
