"""Human labels for the stored enum values, translated."""

from flask_babel import lazy_gettext as _l

from catalog.models import (
    DeliveryMode,
    Discipline,
    EnrolmentStatus,
    Level,
    OfferingStatus,
    OrganisationKind,
    PartnerRole,
    Programme,
    Role,
    SessionStatus,
)

LABELS = {
    Discipline.ENGINEERING: _l("Engineering"),
    Discipline.MEDICAL: _l("Medical"),
    Discipline.C4ISR: _l("C4ISR and camp security"),
    Discipline.OTHER: _l("Other"),
    Level.BASIC: _l("Basic"),
    Level.INTERMEDIATE: _l("Intermediate"),
    Level.ADVANCED: _l("Advanced"),
    Level.TOT: _l("Training of trainers"),
    Programme.TPP: _l("Triangular Partnership Programme"),
    Programme.OTHER: _l("Other programme"),
    DeliveryMode.IN_PERSON: _l("In person"),
    DeliveryMode.REMOTE: _l("Remote"),
    DeliveryMode.BLENDED: _l("Blended"),
    OfferingStatus.DRAFT: _l("Draft"),
    OfferingStatus.PUBLISHED: _l("Published"),
    OfferingStatus.CANCELLED: _l("Cancelled"),
    PartnerRole.HOST: _l("Host"),
    PartnerRole.TRAINER_PROVIDER: _l("Trainer provider"),
    PartnerRole.FUNDER: _l("Funder"),
    PartnerRole.PARTICIPANT: _l("Participant"),
    SessionStatus.SCHEDULED: _l("Scheduled"),
    SessionStatus.CANCELLED: _l("Cancelled"),
    Role.TRAINEE: _l("Trainee"),
    Role.INSTRUCTOR: _l("Instructor"),
    Role.FOCAL_POINT: _l("National focal point"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
    EnrolmentStatus.APPLIED: _l("Applied"),
    EnrolmentStatus.NOMINATED: _l("Nominated"),
    EnrolmentStatus.CONFIRMED: _l("Confirmed"),
    EnrolmentStatus.WAITLISTED: _l("Waiting list"),
    EnrolmentStatus.DECLINED: _l("Declined"),
    EnrolmentStatus.WITHDRAWN: _l("Withdrawn"),
    EnrolmentStatus.COMPLETED: _l("Completed"),
    EnrolmentStatus.FAILED: _l("Not passed"),
    EnrolmentStatus.NO_SHOW: _l("Did not attend"),
    OrganisationKind.TRAINING_CENTRE: _l("Training centre"),
    OrganisationKind.MINISTRY: _l("Ministry"),
    OrganisationKind.PERMANENT_MISSION: _l("Permanent mission"),
    OrganisationKind.UN_OFFICE: _l("United Nations office"),
    OrganisationKind.REGIONAL_ORGANISATION: _l("Regional organisation"),
    OrganisationKind.GOVERNMENT_AGENCY: _l("Government agency"),
    OrganisationKind.OTHER: _l("Other organisation"),
}


def label(value) -> str:
    """The translated label of an enum value (the raw value when none is defined)."""
    return str(LABELS.get(value, value))
