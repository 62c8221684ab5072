"""Account forms. Country and zone lists are filled per request from the database."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from catalog.forms import (
    CountryField,
    TimezoneField,
    country_choices,
    language_choices,
    timezone_choices,
)

GENDER_CHOICES = [
    SelectChoice("", _l("Prefer not to say")),
    SelectChoice("female", _l("Woman")),
    SelectChoice("male", _l("Man")),
    SelectChoice("other", _l("Another gender")),
]
GENDER_HELP = _l(
    "Optional. Used only in anonymous totals that help partner countries reach the UN "
    "gender parity targets; never shown next to your name."
)


class ProfileFieldsMixin:
    """Fields shared by registration and the profile page."""

    def fill_choices(self) -> None:
        self.country.choices = country_choices(blank_label=_l("Choose your country"))
        self.timezone.choices = timezone_choices()
        self.language.choices = language_choices()


class RegistrationForm(ProfileFieldsMixin, FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters; a phrase of several words is easy to remember."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    country = CountryField(_l("Country you serve"), validators=[DataRequired()])
    timezone = TimezoneField(_l("Your time zone"), default="UTC")
    language = SelectField(_l("Preferred language"), default="en")
    gender = SelectField(_l("Gender"), choices=GENDER_CHOICES, default="", description=GENDER_HELP)
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ProfileForm(ProfileFieldsMixin, FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    country = CountryField(_l("Country you serve"))
    timezone = TimezoneField(_l("Your time zone"))
    language = SelectField(_l("Preferred language"))
    gender = SelectField(_l("Gender"), choices=GENDER_CHOICES, description=GENDER_HELP)
    reminders_enabled = BooleanField(
        _l("E-mail me reminders before my sessions (a day and an hour before)")
    )
    digest_enabled = BooleanField(
        _l("E-mail me a daily digest of what waits for my decision (focal points, coordinators)")
    )
    submit = SubmitField(_l("Save profile"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("The address you log in with."),
    )
    submit = SubmitField(_l("E-mail me a reset link"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters; a phrase of several words is easy to remember."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set the new password"))
