"""Database foundations: the declarative base, column types and shared mixins.

Kept apart from ``catalog.models`` so ``catalog.extensions`` can import it
without importing any model. Migration scripts import it for ``UTCDateTime``.
"""

import sqlite3
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, Enum, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware datetime stored in UTC.

    PostgreSQL keeps ``timestamptz``; SQLite keeps text without an offset and
    hands back naive values, so results are marked as UTC here and naive input
    is refused: a naive time is a bug that would turn into floating calendar
    times later.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: give a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


# Stable constraint names, so migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # The type map lives on the registry: Flask-SQLAlchemy 3.1 rejects it on the
    # class body (upstream issue 1361).
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def str_enum(enum_class, name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
    )


class TimestampMixin:
    """created_at and updated_at, kept by the ORM in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Make SQLite enforce foreign keys and let SQLAlchemy own transactions.

    pysqlite's own transaction handling would defer BEGIN and cannot issue
    ``BEGIN IMMEDIATE``; turning it off and emitting BEGIN from the ``begin``
    event (the SQLAlchemy SQLite dialect's documented recipe) lets the seat
    locking take a write lock up front.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    if connection.dialect.name == "sqlite":
        # ``sqlite_begin="BEGIN IMMEDIATE"`` takes the write lock at once (seat locking).
        connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))


def take_write_lock_for_changes(app) -> None:
    """On SQLite, begin every state-changing request (not GET or HEAD) with
    ``BEGIN IMMEDIATE``.

    A request that reads first and writes later (a login writes its audit row)
    would otherwise hold a read lock and then ask to write; when another request
    is writing, SQLite refuses that upgrade at once ("database is locked")
    instead of waiting. Taking the write lock up front makes it wait its turn.
    PostgreSQL needs nothing of the kind.
    """
    from flask import request

    from catalog.extensions import db

    @app.before_request
    def _write_lock_first():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if db.engine.dialect.name == "sqlite" and not db.session().in_transaction():
            db.session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})
