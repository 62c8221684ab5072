"""Forms behind the enrolment buttons and pages.

None of them carries a status, a country or the person acting: those come from
the logged-in user and the rules, so a forged field has nothing to land in. The
person a focal point nominates is picked from a list of their own country's
people; any other id fails the form.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from catalog.models import SeatAllocation

ALLOCATION_LABELS = {
    SeatAllocation.NOMINATION: _l("Nomination and selection"),
    SeatAllocation.FIRST_COME: _l("First come, first served"),
}

REASON_MAX = 500


class ActionForm(FlaskForm):
    """A one-button form: the CSRF token and the page to go back to."""

    next = HiddenField()


class ReasonForm(ActionForm):
    """A decision with a reason that goes into the enrolment's history."""

    note = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=REASON_MAX)],
        description=_l("Recorded in the enrolment's history, which the trainee can read."),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Confirm"))


class OptionalReasonForm(ReasonForm):
    note = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l("Recorded in the enrolment's history, which the trainee can read."),
        render_kw={"rows": 3},
    )


class NominatePersonForm(FlaskForm):
    person = SelectField(_l("Person"), coerce=int, validators=[InputRequired()])
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l("Why this person; recorded in the enrolment's history."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Nominate"))

    def fill_choices(self, people) -> None:
        self.person.choices = [
            SelectChoice(str(person.id), f"{person.name} ({person.email})") for person in people
        ]


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        description=_l(
            "When this person registers with this address, they are nominated for the offering."
        ),
    )
    submit = SubmitField(_l("Invite"))


class OverrideForm(FlaskForm):
    email = EmailField(
        _l("Trainee's e-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    reason = TextAreaField(
        _l("Reason for the exception"),
        validators=[DataRequired(), Length(max=REASON_MAX)],
        description=_l(
            "For example an equivalent national course. Recorded in the enrolment's history."
        ),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Enrol without the prerequisites"))


class AllocationForm(FlaskForm):
    allocation = SelectField(
        _l("How seats are given"),
        choices=[SelectChoice(value.value, label) for value, label in ALLOCATION_LABELS.items()],
        validators=[InputRequired()],
        description=_l(
            "Nomination and selection: focal points nominate, coordinators select. "
            "First come, first served: trainees are confirmed at once while seats "
            "and their country's quota allow."
        ),
    )
    submit = SubmitField(_l("Save"))
