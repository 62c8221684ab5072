"""Forms for coordinators. They check what a field can check alone (present, a date, a
number, one of the choices); the rules that span fields live in the services and in
``catalog.catalogue.rules``, and their problems are shown at the field they name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import enum_choices, enum_coerce
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.extensions import db
from catalog.forms import (
    CountryField,
    TimezoneField,
    country_choices,
    language_choices,
    timezone_choices,
)
from catalog.i18n import current_language, other_language
from catalog.labels import LABELS
from catalog.manage.services import (
    CourseValues,
    OfferingValues,
    TranslatedText,
    instructor_query,
    quotas_text,
)
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Programme,
)


def labelled_choices(enum_class) -> list[SelectChoice]:
    """Choices for an enum, labelled with its translated labels."""
    return enum_choices(enum_class, label=lambda member: LABELS[enum_class][member])


def enum_select(label, enum_class, **kwargs) -> SelectField:
    return SelectField(
        label,
        choices=labelled_choices(enum_class),
        coerce=enum_coerce(enum_class),
        **kwargs,
    )


# Ids are 32-bit integer columns: PostgreSQL refuses a larger number in a query (a 500).
ID_MAX = 2**31 - 1


def database_id(value) -> int:
    """Coerce a choice's value to an id; a number no id column can hold fails the
    field ("could not coerce") instead of reaching the database."""
    number = int(value)
    if not 0 < number <= ID_MAX:
        raise ValueError(value)
    return number


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; the blank "Choose..." entry becomes None."""
    return None if value in ("", None) else database_id(value)


class CheckboxListField(SelectMultipleField):
    """Several choices as checkboxes: easier to use than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class HostZoneField(TimezoneField):
    """A time zone, or empty for "the host country's main zone"."""

    def pre_validate(self, form):
        if self.data:
            super().pre_validate(form)


# The translation fields are named after the language they hold: the one the course
# is not written in.
TRANSLATION_LABELS = {
    "fr": (_l("Title in French"), _l("Summary in French"), _l("Description in French")),
    "en": (_l("Title in English"), _l("Summary in English"), _l("Description in English")),
}


class ActionForm(FlaskForm):
    """The small POST forms behind the publish, unpublish, cancel and reinstate buttons:
    nothing but the CSRF token and where to go back to."""

    next = HiddenField()


class CourseForm(FlaskForm):
    code = StringField(
        _l("Course code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l(
            "Unique; letters, digits, dots, dashes and underscores, kept in capitals, "
            "e.g. TPP-ENG-HEE-B."
        ),
    )
    content_language = SelectField(
        _l("Language of the title, summary and description"),
        default=current_language,
        description=_l("The translation below is in the other language."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    discipline = enum_select(_l("Discipline"), Discipline)
    level = enum_select(_l("Level"), Level)
    programme = enum_select(_l("Programme"), Programme, default=Programme.TPP)
    summary = TextAreaField(
        _l("Summary"),
        validators=[Length(max=500)],
        description=_l("One or two sentences shown in search results."),
    )
    description = TextAreaField(
        _l("Description"),
        description=_l(
            "Markdown: a blank line between paragraphs, ## for a heading, - for a list item."
        ),
        render_kw={"rows": 12},
    )
    duration_days = IntegerField(
        _l("Typical duration in days"),
        validators=[Optional()],
        description=_l("Optional; for example 7 for a medical course, 42 for six weeks."),
        render_kw={"min": 1},
    )
    qualification_valid_years = IntegerField(
        _l("Qualification valid for (years)"),
        validators=[Optional()],
        description=_l("Optional; leave empty when the qualification does not lapse."),
        render_kw={"min": 1},
    )
    prerequisites = CheckboxListField(
        _l("Prerequisites"),
        coerce=database_id,
        description=_l("Courses a trainee must have completed first."),
    )
    # Optional; labelled by fill_choices with the language they hold.
    translated_title = StringField(
        validators=[Length(max=200)],
        description=_l("Optional; readers of that language see the original where empty."),
    )
    translated_summary = TextAreaField(validators=[Length(max=500)])
    translated_description = TextAreaField(render_kw={"rows": 8})
    submit = SubmitField(_l("Save course"))

    @property
    def translation_language(self) -> str:
        """The language of the translation fields: the one the course is not written in."""
        return other_language(self.content_language.data)

    def fill_choices(self, course: Course | None = None) -> None:
        self.content_language.choices = language_choices()
        labels = TRANSLATION_LABELS[self.translation_language]
        for field_, label in zip(
            (self.translated_title, self.translated_summary, self.translated_description),
            labels,
            strict=True,
        ):
            field_.label.text = label
        others = select(Course).order_by(Course.code)
        if course is not None:
            others = others.where(Course.id != course.id)
        self.prerequisites.choices = [
            SelectChoice(str(other.id), f"{other.code} {other.title}")
            for other in db.session.scalars(others)
        ]

    @staticmethod
    def initial(course: Course) -> dict:
        return {
            "code": course.code,
            "title": course.title,
            "discipline": course.discipline,
            "level": course.level,
            "programme": course.programme,
            "summary": course.summary,
            "description": course.description,
            "duration_days": course.duration_days,
            "qualification_valid_years": course.qualification_valid_years,
            "prerequisites": [prerequisite.id for prerequisite in course.prerequisites],
            "content_language": course.content_language,
            **{
                f"translated_{name}": getattr(translation, name)
                for translation in course.translations
                if translation.language == other_language(course.content_language)
                for name in ("title", "summary", "description")
            },
        }

    def values_complete(self) -> bool:
        """Whether the values the course rules need were all read."""
        needed = (
            self.discipline,
            self.level,
            self.programme,
            self.duration_days,
            self.qualification_valid_years,
            self.content_language,
        )
        return all(not field.errors for field in needed)

    def values(self) -> CourseValues:
        return CourseValues(
            code=self.code.data,
            title=self.title.data,
            discipline=self.discipline.data,
            level=self.level.data,
            programme=self.programme.data,
            summary=self.summary.data or "",
            description=self.description.data or "",
            duration_days=self.duration_days.data,
            qualification_valid_years=self.qualification_valid_years.data,
            prerequisite_ids=list(self.prerequisites.data or []),
            content_language=self.content_language.data,
            translation=TranslatedText(
                language=self.translation_language,
                title=self.translated_title.data or "",
                summary=self.translated_summary.data or "",
                description=self.translated_description.data or "",
            ),
        )


class OfferingForm(FlaskForm):
    course_id = SelectField(
        _l("Course"),
        coerce=optional_int,
        validators=[InputRequired(message=_l("Choose a course."))],
    )
    delivery_mode = enum_select(_l("Delivery"), DeliveryMode, default=DeliveryMode.IN_PERSON)
    venue = StringField(
        _l("Venue"),
        validators=[Length(max=200)],
        description=_l("For in-person and blended offerings, e.g. IPSTC, Embakasi, Nairobi."),
    )
    country = CountryField(
        _l("Host country"), description=_l("Leave empty for a remote offering with no host.")
    )
    timezone = HostZoneField(
        _l("Time zone"),
        default="",
        description=_l(
            "Dates and sessions are in this zone. Left on the first choice, the host "
            "country's main zone is used."
        ),
    )
    language = SelectField(_l("Language of instruction"), default="en")
    interpretation = StringField(
        _l("Interpretation into"),
        validators=[Length(max=64)],
        description=_l("Languages interpreted into, e.g. fr; leave empty when there is none."),
    )
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    enrolment_opens_on = DateField(_l("Enrolment opens on"), validators=[InputRequired()])
    enrolment_closes_on = DateField(
        _l("Enrolment closes on"),
        validators=[InputRequired()],
        description=_l("Before the first day; enrolment stays open until the end of this day."),
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[InputRequired()],
        description=_l("Number of trainee seats."),
        render_kw={"min": 1},
    )
    quotas = StringField(
        _l("Seats reserved per country"),
        validators=[Length(max=1000)],
        description=_l(
            "Country code and seats, separated by semicolons, e.g. KE:4;UG:4;RW:2. "
            "Leave empty when no seats are reserved."
        ),
    )
    health_requirements = TextAreaField(_l("Health requirements"))
    travel_requirements = TextAreaField(_l("Travel requirements"))
    submit = SubmitField(_l("Save offering"))

    def fill_choices(self, offering: Offering | None = None) -> None:
        courses = select(Course).order_by(Course.code)
        # New offerings go to courses that are not cancelled; an existing offering
        # keeps showing its own course whatever its status.
        keep = offering.course_id if offering is not None else None
        courses = courses.where(
            (Course.status != CourseStatus.CANCELLED) | (Course.id == keep)
            if keep
            else Course.status != CourseStatus.CANCELLED
        )
        self.course_id.choices = [SelectChoice("", _l("Choose a course"))] + [
            SelectChoice(str(course.id), f"{course.code} {course.title}")
            for course in db.session.scalars(courses)
        ]
        self.country.choices = country_choices(blank_label=_l("No host country (remote)"))
        self.timezone.choices = [
            SelectChoice("", _l("The host country's main time zone")),
            *timezone_choices(),
        ]
        self.language.choices = language_choices()

    @staticmethod
    def initial(offering: Offering) -> dict:
        return {
            "course_id": offering.course_id,
            "delivery_mode": offering.delivery_mode,
            "venue": offering.venue,
            "country": offering.country_code or "",
            "timezone": offering.timezone,
            "language": offering.language,
            "interpretation": offering.interpretation,
            "starts_on": offering.starts_on,
            "ends_on": offering.ends_on,
            "enrolment_opens_on": offering.enrolment_opens_on,
            "enrolment_closes_on": offering.enrolment_closes_on,
            "capacity": offering.capacity,
            "quotas": quotas_text(offering),
            "health_requirements": offering.health_requirements,
            "travel_requirements": offering.travel_requirements,
        }

    def values_complete(self) -> bool:
        """Whether the values the cross-field rules need were all read."""
        needed = (
            self.delivery_mode,
            self.starts_on,
            self.ends_on,
            self.enrolment_opens_on,
            self.enrolment_closes_on,
            self.capacity,
        )
        return all(field.data is not None and not field.errors for field in needed)

    def values(self) -> OfferingValues:
        return OfferingValues(
            course_id=self.course_id.data,
            delivery_mode=self.delivery_mode.data,
            venue=self.venue.data or "",
            country_code=self.country.data or None,
            timezone=self.timezone.data or "",
            language=self.language.data,
            interpretation=self.interpretation.data or "",
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            enrolment_opens_on=self.enrolment_opens_on.data,
            enrolment_closes_on=self.enrolment_closes_on.data,
            capacity=self.capacity.data,
            quotas=self.quotas.data or "",
            health_requirements=self.health_requirements.data or "",
            travel_requirements=self.travel_requirements.data or "",
        )


# The partner form has one checkbox column per role; field names are the role values.
PARTNER_ROLES = tuple(PartnerRole)


class PeopleForm(FlaskForm):
    """An offering's instructors, and its partner organisations with their roles."""

    instructors = CheckboxListField(_l("Instructors"), coerce=database_id)
    host = CheckboxListField(LABELS[PartnerRole][PartnerRole.HOST], coerce=database_id)
    trainer_provider = CheckboxListField(
        LABELS[PartnerRole][PartnerRole.TRAINER_PROVIDER], coerce=database_id
    )
    funder = CheckboxListField(LABELS[PartnerRole][PartnerRole.FUNDER], coerce=database_id)
    participant = CheckboxListField(
        LABELS[PartnerRole][PartnerRole.PARTICIPANT], coerce=database_id
    )
    submit = SubmitField(_l("Save people and partners"))

    def fill_choices(self) -> list[Organisation]:
        """Set the choices; returns the organisations, in the order of the table rows."""
        self.instructors.choices = [
            SelectChoice(str(user.id), f"{user.name} ({user.email})")
            for user in db.session.scalars(instructor_query())
        ]
        organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
        choices = [SelectChoice(str(org.id), org.name) for org in organisations]
        for role in PARTNER_ROLES:
            self.role_field(role).choices = choices
        return organisations

    def role_field(self, role: PartnerRole) -> CheckboxListField:
        return self[role.value]

    @staticmethod
    def initial(offering: Offering) -> dict:
        data: dict = {"instructors": [user.id for user in offering.instructors]}
        for role in PARTNER_ROLES:
            data[role.value] = [p.organisation_id for p in offering.partners if p.role == role]
        return data

    def partner_assignments(self) -> list[tuple[int, PartnerRole]]:
        return [
            (organisation_id, role)
            for role in PARTNER_ROLES
            for organisation_id in (self.role_field(role).data or [])
        ]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(
        _l("Short name"),
        validators=[Optional(), Length(max=40)],
        description=_l("Optional, e.g. IPSTC."),
    )
    kind = enum_select(_l("Kind of organisation"), OrganisationKind)
    country = CountryField(_l("Country"))
    next = HiddenField()
    submit = SubmitField(_l("Add organisation"))

    def fill_choices(self) -> None:
        self.country.choices = country_choices(
            blank_label=_l("No single country (e.g. a regional organisation)")
        )
