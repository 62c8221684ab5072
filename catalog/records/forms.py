"""Forms for records: a whole class on one page (attendance, results), trainers and
feedback.

The class forms have one radio group per trainee, named after the enrolment
(``mark_12``, ``result_12``) and built from the offering's current class, so a forged
field for anyone else has no field to land in. A group left blank changes nothing.
No form carries the person acting or a status other than the choices offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from catalog.manage.forms import optional_int
from catalog.models import AttendanceStatus, Enrolment, TrainerRole, User
from catalog.records.services import COMMENTS_MAX, RATINGS, Result

ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.EXCUSED: _l("Excused"),
}
RESULT_LABELS = {
    Result.PASSED: _l("Passed"),
    Result.DISTINCTION: _l("Passed with distinction"),
    Result.FAILED: _l("Failed"),
    Result.NO_SHOW: _l("No-show"),
}
ROLE_LABELS = {
    TrainerRole.ASSISTANT_TRAINER: _l("Assistant trainer"),
    TrainerRole.CO_TRAINER: _l("Co-trainer"),
}
RATING_LABELS = dict(
    zip(
        RATINGS,
        (_l("1, poor"), _l("2, fair"), _l("3, good"), _l("4, very good"), _l("5, excellent")),
        strict=True,
    )
)


def _choices(labels: Mapping) -> list[SelectChoice]:
    return [SelectChoice(str(value), text) for value, text in labels.items()]


class ClassForm(FlaskForm):
    """One optional radio group per trainee of the class; see ``for_class``."""

    FIELD = ""  # the prefix of each trainee's field
    LABELS: Mapping = {}

    @classmethod
    def for_class(cls, enrolments: Iterable[Enrolment], current: Mapping[int, object]) -> ClassForm:
        """A form for these trainees, each group showing ``current[enrolment.id]``
        until the person chooses otherwise."""
        choices = _choices(cls.LABELS)
        values = [choice.value for choice in choices]
        fields = {}
        for enrolment in enrolments:
            fields[f"{cls.FIELD}{enrolment.id}"] = RadioField(
                cls.row_label(enrolment.user),
                choices=choices,
                validate_choice=False,
                validators=[Optional(), AnyOf(values, message=_l("Choose one of the options."))],
            )
        form_class = type(cls.__name__, (cls,), fields)
        data = {
            f"{cls.FIELD}{enrolment_id}": getattr(value, "value", value)
            for enrolment_id, value in current.items()
            if value is not None
        }
        return form_class(data=data)

    @staticmethod
    def row_label(user: User) -> str:
        raise NotImplementedError

    def row(self, enrolment: Enrolment):
        return self[f"{self.FIELD}{enrolment.id}"]

    def chosen(self) -> dict[int, str]:
        """Enrolment id -> the value chosen for it in the request; blank groups left out."""
        return {
            int(name.removeprefix(self.FIELD)): field.data
            for name, field in self._fields.items()
            if name.startswith(self.FIELD) and field.raw_data and field.data
        }


class AttendanceForm(ClassForm):
    FIELD = "mark_"
    LABELS = ATTENDANCE_LABELS
    submit = SubmitField(_l("Save attendance"))

    @staticmethod
    def row_label(user: User) -> str:
        return _("Attendance of %(name)s", name=user.name)


class ResultsForm(ClassForm):
    FIELD = "result_"
    LABELS = RESULT_LABELS
    submit = SubmitField(_l("Save results"))

    @staticmethod
    def row_label(user: User) -> str:
        return _("Result of %(name)s", name=user.name)


class TrainerForm(FlaskForm):
    person = SelectField(
        _l("Graduate of a training of trainers"),
        coerce=optional_int,
        validators=[InputRequired(message=_l("Choose a graduate from the list."))],
        description=_l(
            "People who completed a training of trainers that ended before this offering "
            "starts, with the country they represented there."
        ),
    )
    role = RadioField(
        _l("Role in this offering"),
        choices=_choices(ROLE_LABELS),
        default=TrainerRole.ASSISTANT_TRAINER.value,
        validators=[InputRequired(message=_l("Choose a role."))],
    )
    submit = SubmitField(_l("Record as trainer"))

    def fill_choices(self, graduates, country_names: Mapping[str, str]) -> None:
        choices = [SelectChoice("", _("Choose…"))]
        for user, graduation in graduates:
            offering = graduation.offering
            country = graduation.country_code or user.country_code or ""
            choices.append(
                SelectChoice(
                    str(user.id),
                    _(
                        "%(name)s (%(country)s; %(course)s, ended %(day)s)",
                        name=user.name,
                        country=country_names.get(country, country) or _("no country"),
                        course=offering.course.code,
                        day=format_date(offering.ends_on, "medium"),
                    ),
                )
            )
        self.person.choices = choices


class FeedbackForm(FlaskForm):
    rating = RadioField(
        _l("Overall, how useful was this course for your work?"),
        choices=_choices(RATING_LABELS),
        coerce=int,
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
    )
    comments = TextAreaField(
        _l("Comments (optional)"),
        validators=[Optional(), Length(max=COMMENTS_MAX)],
        description=_l(
            "What worked, what to change. Instructors and coordinators read comments "
            "without your name."
        ),
        render_kw={"rows": 5},
    )
    submit = SubmitField(_l("Send feedback"))
