"""Courses: the catalogue entries that offerings are dated runs of."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.base import NO_VALUE

from catalog.database import TimestampMixin, str_enum
from catalog.extensions import db
from catalog.text import fold

if TYPE_CHECKING:
    from catalog.models.offering import Offering


class Discipline(StrEnum):
    ENGINEERING = "engineering"
    MEDICAL = "medical"
    C4ISR = "c4isr"
    OTHER = "other"


class Level(StrEnum):
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    TOT = "tot"  # training of trainers


class CourseStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"  # withdrawn from the catalogue; kept for history


class Programme(StrEnum):
    TPP = "tpp"  # the Triangular Partnership Programme
    OTHER = "other"


course_prerequisites = Table(
    "course_prerequisites",
    db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("courses.id", ondelete="RESTRICT"), primary_key=True),
    CheckConstraint("course_id <> prerequisite_id", name="not_self"),
)


class Course(TimestampMixin, db.Model):
    """A course as the catalogue describes it, independent of any date."""

    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("duration_days IS NULL OR duration_days > 0", name="duration_positive"),
        CheckConstraint(
            "qualification_valid_years IS NULL OR qualification_valid_years > 0",
            name="validity_positive",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    discipline: Mapped[Discipline] = mapped_column(str_enum(Discipline, "discipline"), index=True)
    level: Mapped[Level] = mapped_column(str_enum(Level, "level"), index=True)
    programme: Mapped[Programme] = mapped_column(
        str_enum(Programme, "programme"), default=Programme.TPP
    )
    summary: Mapped[str] = mapped_column(String(500), default="")
    # Markdown written by coordinators; rendered through a sanitiser.
    description: Mapped[str] = mapped_column(Text, default="")
    # Typical length of one run, in days (a ToT can run three months).
    duration_days: Mapped[int | None]
    # Some qualifications lapse (e.g. after four years); empty: valid for good.
    qualification_valid_years: Mapped[int | None]
    status: Mapped[CourseStatus] = mapped_column(
        str_enum(CourseStatus, "status"), default=CourseStatus.DRAFT, index=True
    )
    # Code, title and summary folded to lower case without accents, kept by the
    # ORM, so search is accent-insensitive on SQLite as well as PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="")

    prerequisites: Mapped[list[Course]] = relationship(
        secondary=course_prerequisites,
        primaryjoin=lambda: Course.id == course_prerequisites.c.course_id,
        secondaryjoin=lambda: Course.id == course_prerequisites.c.prerequisite_id,
        order_by=lambda: Course.code,
    )
    offerings: Mapped[list[Offering]] = relationship(
        back_populates="course", order_by="Offering.starts_on"
    )
    # The language title, summary and description are written in.
    content_language: Mapped[str] = mapped_column(String(8), default="en")
    translations: Mapped[list[CourseTranslation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    def text_in(self, language: str) -> tuple[str, str, str]:
        """(title, summary, description) in ``language``, each falling back to the
        original when the translation lacks it."""
        if language != self.content_language:
            for translation in self.translations:
                if translation.language == language:
                    return (
                        translation.title or self.title,
                        translation.summary or self.summary,
                        translation.description or self.description,
                    )
        return self.title, self.summary, self.description

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


def course_search_text(course: Course) -> str:
    """What search matches: code, title and summary, and the title and summary of each
    translation already loaded (never loaded here: this runs during a flush)."""
    parts = [course.code, course.title, course.summary]
    translations = inspect(course).attrs.translations.loaded_value
    if translations is not NO_VALUE:
        parts += [text for t in translations for text in (t.title, t.summary) if text]
    return fold(" ".join(part or "" for part in parts))


@event.listens_for(Course, "before_insert")
@event.listens_for(Course, "before_update")
def _refresh_search_text(mapper, connection, course: Course) -> None:
    course.search_text = course_search_text(course)


class CourseTranslation(db.Model):
    """A course's title, summary and description in another language than the one
    it was written in; pages fall back to the original where a translation is missing."""

    __tablename__ = "course_translations"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
