"""The checks behind ``/healthz``, each answering (ok, details).

A monitor or load balancer polls this often, so each check is one small query
and none of them raises: a failure is reported, not turned into a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from catalog.database import utcnow
from catalog.extensions import db, migrate
from catalog.models import JobState


@dataclass
class Check:
    ok: bool
    details: dict = field(default_factory=dict)


def database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return Check(False, {"error": type(error).__name__})
    return Check(True)


def expected_revisions() -> set[str]:
    """The migration heads this code expects, read from the scripts once."""
    heads = current_app.extensions.get("health_migration_heads")
    if heads is None:
        heads = set(ScriptDirectory.from_config(migrate.get_config()).get_heads())
        current_app.extensions["health_migration_heads"] = heads
    return heads


def migrations() -> Check:
    """The database is at the revision this code was written for: not behind (an
    upgrade was forgotten) and not ahead (old code after a newer upgrade)."""
    try:
        applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        db.session.rollback()
        return Check(False, {"error": "no migration has been applied"})
    expected = expected_revisions()
    details = {"applied": sorted(applied), "expected": sorted(expected)}
    return Check(applied == expected, details)


def scheduler(now: datetime | None = None) -> Check:
    """Some scheduler job finished recently (the outbox job runs every minute)."""
    now = now or utcnow()
    limit = timedelta(seconds=current_app.config["SCHEDULER_HEARTBEAT_SECONDS"])
    try:
        last = db.session.scalar(select(func.max(JobState.last_finished_at)))
        failing = list(
            db.session.scalars(select(JobState.job_id).where(JobState.last_ok.is_(False)))
        )
    except SQLAlchemyError:
        db.session.rollback()
        return Check(False, {"error": "job states cannot be read"})
    if last is None:
        return Check(False, {"error": "no scheduler job has ever run"})
    age = now - last
    details = {
        "last_job_finished_at": last.isoformat(),
        "age_seconds": int(age.total_seconds()),
        "limit_seconds": int(limit.total_seconds()),
    }
    if failing:
        # Reported for whoever reads the details; one failing job does not take
        # the web node out of a load balancer.
        details["jobs_failing"] = sorted(failing)
    return Check(age <= limit, details)


def run_checks() -> dict[str, Check]:
    results = {"database": database()}
    if not results["database"].ok:
        skipped = Check(False, {"error": "database unreachable"})
        return results | {"migrations": skipped, "scheduler": skipped}
    return results | {"migrations": migrations(), "scheduler": scheduler()}
