"""Every model, imported here so the metadata (and Alembic) sees them all."""

from catalog.models.course import (
    Course,
    CourseStatus,
    CourseTranslation,
    Discipline,
    Level,
    Programme,
    course_prerequisites,
)
from catalog.models.enrolment import (
    CLOSED_STATUSES,
    SEAT_HOLDING,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Invitation,
)
from catalog.models.feed import FeedToken
from catalog.models.geo import Country, Organisation, OrganisationKind, Region
from catalog.models.notification import (
    EnrolmentWatch,
    JobState,
    NoticeMark,
    OutboxMessage,
    SessionReminder,
)
from catalog.models.offering import (
    DeliveryMode,
    Offering,
    OfferingPartner,
    OfferingQuota,
    OfferingStatus,
    PartnerRole,
    SeatAllocation,
    offering_instructors,
)
from catalog.models.records import (
    Attendance,
    AttendanceStatus,
    Certificate,
    Feedback,
    TrainerAssignment,
    TrainerRole,
)
from catalog.models.security import PasswordResetToken, SecurityEvent
from catalog.models.session import SessionStatus, TrainingSession
from catalog.models.user import Gender, Role, User, UserRole
from catalog.models.versions import DataVersion

__all__ = [
    "Attendance",
    "AttendanceStatus",
    "Certificate",
    "Feedback",
    "TrainerAssignment",
    "TrainerRole",
    "CLOSED_STATUSES",
    "SEAT_HOLDING",
    "Country",
    "DataVersion",
    "Course",
    "CourseStatus",
    "CourseTranslation",
    "DeliveryMode",
    "Discipline",
    "Enrolment",
    "EnrolmentEvent",
    "EnrolmentStatus",
    "EnrolmentWatch",
    "JobState",
    "NoticeMark",
    "FeedToken",
    "Invitation",
    "OutboxMessage",
    "Gender",
    "Level",
    "Offering",
    "OfferingPartner",
    "OfferingQuota",
    "OfferingStatus",
    "Organisation",
    "OrganisationKind",
    "PartnerRole",
    "PasswordResetToken",
    "Programme",
    "Region",
    "Role",
    "SeatAllocation",
    "SecurityEvent",
    "SessionReminder",
    "SessionStatus",
    "TrainingSession",
    "User",
    "UserRole",
    "course_prerequisites",
    "offering_instructors",
]
