"""The per-offering lock that serialises every seat decision.

PostgreSQL: ``SELECT ... FOR UPDATE`` on the offering row, with a lock timeout.
SQLite: a write transaction begun with ``BEGIN IMMEDIATE`` (SQLite has one
writer at a time, so that serialises all seat decisions; SQLAlchemy silently
drops FOR UPDATE there).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from catalog.extensions import db
from catalog.models import Offering


class SeatLockTimeout(RuntimeError):
    """Too many people are deciding seats of this offering at once; try again."""


def _is_lock_timeout(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return (
        "lock timeout" in message
        or "database is locked" in message
        or (
            getattr(error.orig, "sqlstate", None) == "55P03"  # lock_not_available
        )
    )


def lock_offering(offering_id: int) -> Offering | None:
    """Lock the offering for the rest of the transaction and return it, fresh.

    Call it before reading any seat counts: what is read after it cannot change
    until the transaction ends. Any earlier read-only work in the transaction is
    ended first (on SQLite a read transaction cannot safely become a writer).
    """
    session = db.session
    timeout_ms = int(current_app.config.get("SEAT_LOCK_TIMEOUT_MS", 5000))
    try:
        if session.get_bind().dialect.name == "sqlite":
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("lock_offering must come before any change in the transaction")
            session.rollback()
            session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})
            return session.get(Offering, offering_id, populate_existing=True)
        session.execute(text(f"SET LOCAL lock_timeout = {timeout_ms}"))
        return session.scalar(
            select(Offering)
            .where(Offering.id == offering_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    except OperationalError as error:
        session.rollback()
        if _is_lock_timeout(error):
            raise SeatLockTimeout(str(error.orig)) from error
        raise
