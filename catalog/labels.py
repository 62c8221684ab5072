"""Human labels for the stored enum values, translated."""

from flask_babel import lazy_gettext as _l

from catalog.models import (
    CourseStatus,
    DeliveryMode,
    Discipline,
    EnrolmentStatus,
    Level,
    OfferingStatus,
    OrganisationKind,
    PartnerRole,
    Programme,
    Region,
    Role,
    SessionStatus,
)

LABELS = {
    Region: {
        Region.AFRICA: _l("Africa"),
        Region.AMERICAS: _l("Americas"),
        Region.ASIA: _l("Asia"),
        Region.EUROPE: _l("Europe"),
        Region.OCEANIA: _l("Oceania"),
        Region.ANTARCTICA: _l("Antarctica"),
    },
    Discipline: {
        Discipline.ENGINEERING: _l("Engineering"),
        Discipline.MEDICAL: _l("Medical"),
        Discipline.C4ISR: _l("C4ISR and camp security"),
        Discipline.OTHER: _l("Other"),
    },
    Level: {
        Level.BASIC: _l("Basic"),
        Level.INTERMEDIATE: _l("Intermediate"),
        Level.ADVANCED: _l("Advanced"),
        Level.TOT: _l("Training of trainers"),
    },
    Programme: {
        Programme.TPP: _l("Triangular Partnership Programme"),
        Programme.OTHER: _l("Other programme"),
    },
    DeliveryMode: {
        DeliveryMode.IN_PERSON: _l("In person"),
        DeliveryMode.REMOTE: _l("Remote"),
        DeliveryMode.BLENDED: _l("Blended"),
    },
    CourseStatus: {
        CourseStatus.DRAFT: _l("Draft"),
        CourseStatus.PUBLISHED: _l("Published"),
        CourseStatus.CANCELLED: _l("Cancelled"),
    },
    OfferingStatus: {
        OfferingStatus.DRAFT: _l("Draft"),
        OfferingStatus.PUBLISHED: _l("Published"),
        OfferingStatus.CANCELLED: _l("Cancelled"),
    },
    PartnerRole: {
        PartnerRole.HOST: _l("Host"),
        PartnerRole.TRAINER_PROVIDER: _l("Trainer provider"),
        PartnerRole.FUNDER: _l("Funder"),
        PartnerRole.PARTICIPANT: _l("Participant"),
    },
    SessionStatus: {
        SessionStatus.SCHEDULED: _l("Scheduled"),
        SessionStatus.CANCELLED: _l("Cancelled"),
    },
    Role: {
        Role.TRAINEE: _l("Trainee"),
        Role.INSTRUCTOR: _l("Instructor"),
        Role.FOCAL_POINT: _l("National focal point"),
        Role.COORDINATOR: _l("Coordinator"),
        Role.ADMIN: _l("Administrator"),
    },
    EnrolmentStatus: {
        EnrolmentStatus.APPLIED: _l("Applied"),
        EnrolmentStatus.NOMINATED: _l("Nominated"),
        EnrolmentStatus.CONFIRMED: _l("Confirmed"),
        EnrolmentStatus.WAITLISTED: _l("Waiting list"),
        EnrolmentStatus.DECLINED: _l("Declined"),
        EnrolmentStatus.WITHDRAWN: _l("Withdrawn"),
        EnrolmentStatus.COMPLETED: _l("Completed"),
        EnrolmentStatus.FAILED: _l("Not passed"),
        EnrolmentStatus.NO_SHOW: _l("Did not attend"),
    },
    OrganisationKind: {
        OrganisationKind.TRAINING_CENTRE: _l("Training centre"),
        OrganisationKind.MINISTRY: _l("Ministry"),
        OrganisationKind.PERMANENT_MISSION: _l("Permanent mission"),
        OrganisationKind.UN_OFFICE: _l("United Nations office"),
        OrganisationKind.REGIONAL_ORGANISATION: _l("Regional organisation"),
        OrganisationKind.GOVERNMENT_AGENCY: _l("Government agency"),
        OrganisationKind.OTHER: _l("Other organisation"),
    },
}


def label(value) -> str:
    """The translated label of an enum value (the raw value when none is defined)."""
    table = LABELS.get(type(value), {})
    return str(table.get(value, getattr(value, "value", value)))


def label_of(enum_class, raw: str) -> str:
    """The label of a raw stored value of ``enum_class`` (facet values are raw)."""
    try:
        return label(enum_class(raw))
    except ValueError:
        return raw
