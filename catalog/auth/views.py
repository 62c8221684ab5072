"""Account pages."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from catalog.auth import bp
from catalog.auth.forms import LoginForm, PasswordForm, ProfileForm, RegistrationForm
from catalog.auth.services import AccountError, authenticate, create_user, set_password
from catalog.enrolment.services import accept_invitations
from catalog.extensions import db
from catalog.models import Gender, Role
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
        else:
            session.clear()  # a fresh session on login, so no fixation
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
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
@login_required
def change_password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current_password.data):
            form.current_password.errors = [_("Your current password is not right.")]
        else:
            try:
                set_password(current_user, form.new_password.data)
            except AccountError as error:
                form.new_password.errors = [error.message]
            else:
                db.session.commit()
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
