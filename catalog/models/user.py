"""People who use the site, and the roles they hold."""

from __future__ import annotations

from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import TimestampMixin, str_enum
from catalog.extensions import db
from catalog.models.geo import Country


class Role(StrEnum):
    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"
    FOCAL_POINT = "focal_point"  # a national focal point, for the user's own country
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Gender(StrEnum):
    """Asked only for aggregate gender-parity reports; never shown per person."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # E-mail addresses are stored lower-cased, so the unique constraint is
        # case-insensitive on every database.
        CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(default=True)
    # Raised by logout, password change and role changes: every session that carries
    # an older number is logged out on its next request.
    session_version: Mapped[int] = mapped_column(default=1)
    # Which notices the person wants; decisions about their place are always sent.
    reminders_enabled: Mapped[bool] = mapped_column(default=True)
    digest_enabled: Mapped[bool] = mapped_column(default=True)

    country: Mapped[Country | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds any of ``roles``; admins hold every role."""
        held = self.roles
        return Role.ADMIN in held or any(role in held for role in roles)

    def grant(self, role: Role) -> None:
        if role not in self.roles:
            self.role_rows.append(UserRole(role=role))

    def revoke(self, role: Role) -> None:
        self.role_rows = [row for row in self.role_rows if row.role != role]

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated accounts cannot log in
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: the id with
        the session version, so raising the version invalidates both."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True, index=True)
