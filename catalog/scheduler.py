"""The scheduler process: ``flask --app wsgi scheduler run | run-once | jobs``.

Web workers never run jobs. Only one scheduler acts at a time: on PostgreSQL it
holds a session-level advisory lock on its own connection; on SQLite an
exclusive lock on a file beside the database. A second scheduler started by
mistake stands by, and takes over if the first one stops.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select, text

from catalog.database import utcnow
from catalog.extensions import db
from catalog.jobs import JOBS, JobSpec
from catalog.models import JobState

log = logging.getLogger("catalog.scheduler")
# An arbitrary constant naming this application's lock among advisory locks.
ADVISORY_LOCK_KEY = 7_310_452_019
STANDBY_POLL_SECONDS = 15

scheduler_cli = AppGroup("scheduler", help="Run the scheduled jobs (a process of its own).")


class SchedulerLock:
    """Held for as long as this process schedules; released when it stops.

    A failed attempt keeps nothing open, so a standby or a refused ``run-once``
    leaks no connection or file; the standby simply tries again later.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._connection = None
        self._file = None
        self.held = False

    def try_acquire(self) -> bool:
        if not self.held:
            try:
                if db.engine.dialect.name == "postgresql":
                    self.held = self._try_advisory_lock()
                else:
                    self.held = self._try_file_lock()
            finally:
                if not self.held:
                    self.release()
        return self.held

    def _try_advisory_lock(self) -> bool:
        # Session-level: held by this connection until it unlocks or closes.
        self._connection = db.engine.connect()
        got = self._connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar()
        self._connection.commit()
        return bool(got)

    def _try_file_lock(self) -> bool:
        path = self.lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def lock_path(self) -> Path:
        database = db.engine.url.database
        if database and database != ":memory:":
            return Path(database).with_suffix(".scheduler.lock")
        return Path(self.app.instance_path) / "scheduler.lock"

    def release(self) -> None:
        if self._connection is not None:
            if self.held:
                with contextlib.suppress(Exception):
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                    )
                    self._connection.commit()
            # Closed for good rather than returned to the pool: a pooled connection
            # still holding the lock would keep every other scheduler standing by.
            with contextlib.suppress(Exception):
                self._connection.invalidate()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self.held = False


def run_job(app: Flask, spec: JobSpec, now: datetime | None = None) -> str:
    """Run one job in its own app context and record how it went."""
    with app.app_context():
        started = utcnow()
        try:
            result = spec.function(now) if now else spec.function()
            ok = True
        except Exception as error:  # a failing job must not stop the others
            db.session.rollback()
            log.exception("Job %s failed", spec.id)
            result, ok = f"{type(error).__name__}: {error}", False
        state = db.session.get(JobState, spec.id) or JobState(job_id=spec.id)
        state.last_started_at = started
        state.last_finished_at = utcnow()
        state.last_ok = ok
        state.last_result = str(result)[:500]
        db.session.add(state)
        db.session.commit()
        log.info("Job %s: %s", spec.id, result)
        return result


def trigger_for(spec: JobSpec):
    if spec.trigger == "cron":
        return CronTrigger(timezone="UTC", **spec.schedule)
    return IntervalTrigger(timezone="UTC", **spec.schedule)


def build_scheduler(app: Flask) -> BlockingScheduler:
    """Every job with its fixed id. Runs missed while the process was busy are
    merged into one (coalesce) and never dropped for lateness: each job finds
    its own due work, so running late is harmless."""
    # One job at a time: the jobs share tables (the offerings they lock, the outbox),
    # and on SQLite two of them writing at once fail with "database is locked".
    scheduler = BlockingScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(max_workers=1)}
    )
    for spec in JOBS:
        scheduler.add_job(
            run_job,
            trigger_for(spec),
            args=(app, spec),
            id=spec.id,
            name=spec.description,
            replace_existing=True,
            # Set on each job, not as scheduler defaults: APScheduler fills defaults
            # in only at start, and these are part of each job's declaration.
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
        )
    return scheduler


def wait_for_lock(lock: SchedulerLock, poll: float = STANDBY_POLL_SECONDS) -> None:
    """Return once this process holds the lock; until then, stand by (said once)."""
    announced = False
    while not lock.try_acquire():
        if not announced:
            log.warning("Another scheduler holds the lock; standing by.")
            announced = True
        time.sleep(poll)
    if announced:
        log.warning("The lock is free; this scheduler takes over.")


def _stop_on_sigterm(signum, frame) -> None:
    # ``kill``, systemd and container runtimes stop with SIGTERM: leave as Ctrl-C does.
    raise SystemExit(0)


@scheduler_cli.command("run")
def run_command():
    """Run the jobs on their schedules until stopped (Ctrl-C or SIGTERM)."""
    app = current_app._get_current_object()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    lock = SchedulerLock(app)
    try:
        wait_for_lock(lock)
        click.echo("Scheduler running; jobs: " + ", ".join(spec.id for spec in JOBS))
        scheduler = build_scheduler(app)
        # Catch up at once rather than at the next interval or the next day: every
        # job, cron ones too, finds what fell due while no scheduler was running.
        # In the order of JOBS (delivery last, so what the others queue goes out at
        # once); runs due at the same instant would go in alphabetical order.
        first_run = datetime.now(UTC)
        for index, spec in enumerate(JOBS):
            scheduler.modify_job(spec.id, next_run_time=first_run + timedelta(milliseconds=index))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            # Let running jobs finish before giving the lock to a standby.
            if scheduler.running:
                scheduler.shutdown(wait=True)
    except (KeyboardInterrupt, SystemExit):
        pass  # stopped while standing by
    finally:
        lock.release()


@scheduler_cli.command("run-once")
def run_once_command():
    """Run every job once, now, and exit (for cron-driven deployments and checks)."""
    app = current_app._get_current_object()
    lock = SchedulerLock(app)
    if not lock.try_acquire():
        raise click.ClickException("Another scheduler holds the lock; nothing was run.")
    try:
        for spec in JOBS:
            click.echo(f"{spec.id}: {run_job(app, spec)}")
    finally:
        lock.release()


def next_run(spec: JobSpec, state: JobState | None, now: datetime) -> str:
    """When a running scheduler will next run the job. The scheduler keeps its jobs
    in memory, so this is worked out from the schedule and the job's last run: an
    interval job runs an interval after its last start (at once if that has passed,
    flagged, since it means no scheduler is running or it is busy)."""
    if spec.trigger == "interval":
        if state is None or state.last_started_at is None:
            return "as soon as a scheduler runs (never run yet)"
        due = state.last_started_at + timedelta(**spec.schedule)
        text = f"{due:%Y-%m-%d %H:%M:%S}Z"
        return text if due > now else f"{text} (overdue: is a scheduler running?)"
    moment = trigger_for(spec).get_next_fire_time(None, now)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"


@scheduler_cli.command("jobs")
def jobs_command():
    """List the jobs, their schedule, next run and last result."""
    now = utcnow()
    states = {state.job_id: state for state in db.session.scalars(select(JobState))}
    for spec in JOBS:
        state = states.get(spec.id)
        if state and state.last_finished_at:
            outcome = "ok" if state.last_ok else "FAILED"
            last = f"{state.last_finished_at:%Y-%m-%d %H:%M:%S}Z {outcome}: {state.last_result}"
        else:
            last = "never run"
        click.echo(f"{spec.id}\n  {spec.description}\n  schedule: {trigger_for(spec)}")
        click.echo(f"  next run: {next_run(spec, state, now)}\n  last run: {last}")
