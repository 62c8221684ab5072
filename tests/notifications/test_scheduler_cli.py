"""The scheduler's commands in this process: ``jobs`` and ``run-once``, the lock,
and how the jobs are scheduled (fixed ids, no run ever dropped for lateness)."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from catalog import create_app
from catalog.database import utcnow
from catalog.extensions import db
from catalog.jobs import JOBS
from catalog.models import JobState
from catalog.scheduler import SchedulerLock, build_scheduler, next_run, run_job
from config import TestingConfig

JOB_IDS = [
    "session_reminders",
    "enrolment_windows",
    "quota_release",
    "waitlist_offers",
    "daily_digest",
    "clean_up",
    "deliver_outbox",
]


def blocks(output: str) -> dict[str, str]:
    """``scheduler jobs`` output, one block per job id."""
    found = {}
    for block in re.split(r"\n(?=\S)", output.strip()):
        job_id, _, rest = block.partition("\n")
        found[job_id] = rest
    return found


def test_every_job_has_a_fixed_id_and_is_never_dropped_for_being_late(app):
    assert [spec.id for spec in JOBS] == JOB_IDS
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert list(jobs) == JOB_IDS
    for job in jobs.values():
        # APScheduler 3.11 would skip a run more than a second late by default.
        assert job.misfire_grace_time is None
        assert job.coalesce is True
        assert job.max_instances == 1
    assert isinstance(jobs["daily_digest"].trigger, CronTrigger)


def test_jobs_lists_every_job_before_any_run(runner):
    db.session.commit()
    result = runner.invoke(args=["scheduler", "jobs"])
    assert result.exit_code == 0, result.output
    listed = blocks(result.output)
    assert list(listed) == JOB_IDS
    for job_id, text in listed.items():
        assert "last run: never run" in text, job_id
        assert "next run: " in text, job_id


def test_run_once_runs_every_job_and_jobs_then_shows_next_run_and_last_result(runner):
    db.session.commit()
    result = runner.invoke(args=["scheduler", "run-once"])
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines()] == JOB_IDS
    assert "deliver_outbox: 0 sent, 0 failed" in result.output

    result = runner.invoke(args=["scheduler", "jobs"])
    assert result.exit_code == 0, result.output
    listed = blocks(result.output)
    assert list(listed) == JOB_IDS
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"
    for job_id, text in listed.items():
        assert re.search(rf"next run: {stamp}", text), (job_id, text)
        assert re.search(rf"last run: {stamp} ok: \S", text), (job_id, text)
    assert "last run: " in listed["session_reminders"]
    assert "reminders queued" in listed["session_reminders"]
    assert "schedule: interval[0:05:00]" in listed["session_reminders"]
    assert "schedule: cron[hour='6', minute='0']" in listed["daily_digest"]


def test_a_failing_job_is_recorded_for_jobs_to_show(app, runner):
    def broken(now=None):
        raise RuntimeError("mail server on fire")

    spec = JOBS[0]
    broken_spec = replace(spec, function=broken)
    db.session.commit()
    assert run_job(app, broken_spec) == "RuntimeError: mail server on fire"
    db.session.expire_all()
    state = db.session.get(JobState, spec.id)
    assert state.last_ok is False
    assert state.last_result == "RuntimeError: mail server on fire"
    result = runner.invoke(args=["scheduler", "jobs"])
    assert "FAILED: RuntimeError: mail server on fire" in blocks(result.output)[spec.id]


def test_next_run_of_an_interval_job_follows_its_last_start():
    now = utcnow()
    spec = next(s for s in JOBS if s.id == "session_reminders")
    recent = JobState(job_id=spec.id, last_started_at=now - timedelta(minutes=2))
    stale = JobState(job_id=spec.id, last_started_at=now - timedelta(hours=3))
    assert next_run(spec, None, now).startswith("as soon as a scheduler runs")
    assert next_run(spec, recent, now) == f"{now + timedelta(minutes=3):%Y-%m-%d %H:%M:%S}Z"
    assert next_run(spec, stale, now).endswith("(overdue: is a scheduler running?)")


@pytest.fixture
def held_lock(app):
    """Another scheduler, holding the lock (in this process, on its own connection
    or file descriptor: as good as another process for the lock)."""
    lock = SchedulerLock(app)
    assert lock.try_acquire()
    yield lock
    lock.release()


def test_run_once_refuses_while_another_scheduler_holds_the_lock(runner, held_lock):
    db.session.commit()
    result = runner.invoke(args=["scheduler", "run-once"])
    assert result.exit_code != 0
    assert "Another scheduler holds the lock; nothing was run." in result.output
    assert db.session.get(JobState, "session_reminders") is None


def test_the_lock_passes_to_a_standby_when_released(app):
    first, second = SchedulerLock(app), SchedulerLock(app)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert not second.try_acquire()  # trying again does not steal it
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_on_sqlite_the_lock_file_sits_beside_the_database(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL uses an advisory lock")
    lock = SchedulerLock(app)
    assert lock.lock_path().parent == Path(db.engine.url.database).parent
    assert lock.lock_path().name.endswith(".scheduler.lock")


def test_the_web_application_starts_no_scheduler():
    """Jobs run only in ``flask scheduler run``: an app built for gunicorn starts no
    scheduler thread (three workers would otherwise run every job three times)."""
    before = {thread.ident for thread in threading.enumerate()}
    create_app(TestingConfig)
    started = [t for t in threading.enumerate() if t.ident not in before]
    assert started == []
