"""Forms for scheduling sessions. Dates and times are plain HTML date and time inputs,
read as wall-clock times in the chosen zone, so the forms work without script.

The forms check what a field can check alone; the services apply the rules that
span fields (an end after the start, times that exist on a daylight-saving day)
and give the warnings a person may override with "Save anyway".
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from catalog.forms import TimezoneField, timezone_choices
from catalog.manage.forms import CheckboxListField, optional_int
from catalog.models import Offering, TrainingSession
from catalog.sessions.services import (
    DAILY,
    WARNING_KINDS,
    WEEKLY,
    SeriesValues,
    SessionValues,
    instructor_choices,
    parse_dates,
)
from catalog.timeutil import in_zone

# Browsers send "09:00", or "09:00:00" when the input has a step in seconds.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]

WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


class _ScheduleForm(FlaskForm):
    """The fields a single session and a series share."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("What the session covers, e.g. Casualty evacuation drill."),
    )
    timezone = TimezoneField(
        _l("Time zone"),
        description=_l("Dates and times above are wall-clock times in this zone."),
    )
    location = StringField(
        _l("Location"),
        validators=[Length(max=200)],
        description=_l("Room or site, e.g. Hall B, IPSTC Embakasi. Empty for online only."),
    )
    online_url = URLField(
        _l("Online meeting link"),
        validators=[Length(max=500)],
        description=_l("An https:// link, for remote or blended sessions."),
    )
    instructor_id = SelectField(_l("Instructor"), coerce=optional_int, validate_choice=False)
    notes = TextAreaField(_l("Notes"), description=_l("Shown to trainees with the session."))
    # The kinds of warning shown when the form came back; "Save anyway" accepts those only.
    acknowledged = HiddenField()
    save_anyway = BooleanField(_l("Save anyway"))

    def fill_choices(self, offering: Offering, keep_id: int | None = None) -> None:
        self.timezone.choices = timezone_choices()
        self.instructor_id.choices = [SelectChoice("", _l("No instructor named"))] + [
            SelectChoice(str(user.id), user.name) for user in instructor_choices(offering, keep_id)
        ]

    def validate_instructor_id(self, field) -> None:
        if field.data is not None and str(field.data) not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose one of the offering's instructors, or nobody."))

    def override(self) -> set[str]:
        """The warnings the person accepted: those shown last time, if they ticked the box."""
        if not self.save_anyway.data:
            return set()
        return set((self.acknowledged.data or "").split(",")) & set(WARNING_KINDS)

    def ask_to_confirm(self, kinds: set[str]) -> None:
        """Prepare the form to come back with warnings: remember which were shown and
        untick "Save anyway", so each new warning is accepted on purpose."""
        self.acknowledged.data = ",".join(sorted(kinds))
        self.save_anyway.data = False
        self.save_anyway.raw_data = []


class SessionForm(_ScheduleForm):
    start_date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()], format=TIME_FORMATS)
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()], format=TIME_FORMATS)
    end_date = DateField(
        _l("Ends on another day"),
        validators=[Optional()],
        description=_l("Only for a session that runs past midnight; empty means the same day."),
    )
    submit = SubmitField(_l("Save session"))

    @staticmethod
    def initial(session: TrainingSession) -> dict:
        starts = in_zone(session.starts_at, session.timezone)
        ends = in_zone(session.ends_at, session.timezone)
        return {
            "title": session.title,
            "start_date": starts.date(),
            "start_time": starts.time().replace(tzinfo=None),
            "end_time": ends.time().replace(tzinfo=None),
            "end_date": ends.date() if ends.date() != starts.date() else None,
            "timezone": session.timezone,
            "location": session.location,
            "online_url": session.online_url,
            "instructor_id": session.instructor_id,
            "notes": session.notes,
        }

    def values_complete(self) -> bool:
        """Whether the values the cross-field rules need were all read."""
        needed = (self.start_date, self.start_time, self.end_time, self.end_date, self.timezone)
        return all(not field.errors for field in needed) and self.start_date.data is not None

    def values(self) -> SessionValues:
        return SessionValues(
            title=self.title.data or "",
            start_date=self.start_date.data,
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            end_date=self.end_date.data,
            timezone=self.timezone.data or "",
            location=self.location.data or "",
            online_url=self.online_url.data or "",
            instructor_id=self.instructor_id.data,
            notes=self.notes.data or "",
        )


class SeriesForm(_ScheduleForm):
    frequency = RadioField(
        _l("Repeats"),
        choices=[
            SelectChoice(WEEKLY, _l("Weekly, on the days ticked below")),
            SelectChoice(DAILY, _l("Every day")),
        ],
        default=WEEKLY,
    )
    weekdays = CheckboxListField(
        _l("Days of the week"),
        coerce=int,
        choices=[SelectChoice(str(number), label) for number, label in enumerate(WEEKDAY_LABELS)],
        description=_l("For a weekly series."),
    )
    first_date = DateField(_l("First day"), validators=[InputRequired()])
    until = DateField(
        _l("Last day"),
        validators=[InputRequired()],
        description=_l("The series ends on this day; it is included."),
    )
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()], format=TIME_FORMATS)
    end_time = TimeField(_l("Ends at"), validators=[InputRequired()], format=TIME_FORMATS)
    exceptions = TextAreaField(
        _l("Dates to skip"),
        validators=[Length(max=4000)],
        description=_l(
            "Holidays and other days without a session, as YYYY-MM-DD, separated by commas "
            "or on separate lines, e.g. 2027-05-01."
        ),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Create sessions"))

    def validate_exceptions(self, field) -> None:
        try:
            parse_dates(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def values_complete(self) -> bool:
        needed = (
            self.frequency,
            self.weekdays,
            self.first_date,
            self.until,
            self.start_time,
            self.end_time,
            self.timezone,
            self.exceptions,
        )
        return all(not field.errors for field in needed) and all(
            field.data is not None
            for field in (self.first_date, self.until, self.start_time, self.end_time)
        )

    def values(self) -> SeriesValues:
        return SeriesValues(
            title=self.title.data or "",
            frequency=self.frequency.data,
            weekdays=list(self.weekdays.data or []),
            first_date=self.first_date.data,
            until=self.until.data,
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            exceptions=parse_dates(self.exceptions.data),
            timezone=self.timezone.data or "",
            location=self.location.data or "",
            online_url=self.online_url.data or "",
            instructor_id=self.instructor_id.data,
            notes=self.notes.data or "",
        )
