"""``/healthz`` for monitors and load balancers (catalog/health)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import JobState


def record_job(job_id: str = "deliver_outbox", *, ago: timedelta, ok: bool = True) -> None:
    finished = utcnow() - ago
    db.session.add(
        JobState(job_id=job_id, last_started_at=finished, last_finished_at=finished, last_ok=ok)
    )
    db.session.commit()


def test_healthy_when_the_scheduler_ran_a_minute_ago(client):
    record_job(ago=timedelta(minutes=1))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    checks = body["checks"]
    assert checks["migrations"]["applied"] == checks["migrations"]["expected"]
    assert 50 <= checks["scheduler"]["age_seconds"] <= 70
    assert "no-store" in response.headers["Cache-Control"]


def test_a_scheduler_that_stopped_makes_it_fail(client, app):
    record_job(ago=timedelta(seconds=app.config["SCHEDULER_HEARTBEAT_SECONDS"] + 60))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["scheduler"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_a_scheduler_that_never_ran_makes_it_fail(client):
    body = client.get("/healthz").get_json()
    assert body["checks"]["scheduler"] == {"ok": False, "error": "no scheduler job has ever run"}


def test_failing_jobs_are_named_without_failing_the_node(client):
    record_job(ago=timedelta(minutes=1))
    record_job("send_digests", ago=timedelta(minutes=2), ok=False)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["scheduler"]["jobs_failing"] == ["send_digests"]


@pytest.fixture
def other_revision():
    """The database stamped at another revision, as after a forgotten upgrade."""
    applied = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = 'feedfacecafe'"))
    db.session.commit()
    yield
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": applied})
    db.session.commit()


def test_migrations_not_applied_make_it_fail(client, other_revision):
    record_job(ago=timedelta(minutes=1))
    response = client.get("/healthz")
    assert response.status_code == 503
    migrations = response.get_json()["checks"]["migrations"]
    assert migrations["ok"] is False
    assert migrations["applied"] == ["feedfacecafe"]


def test_an_unreachable_database_makes_it_fail(client, app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError"}
    assert checks["scheduler"]["ok"] is False
