"""Real scheduler processes (``flask --app wsgi scheduler ...``) on a fresh database
of the suite's kind, mailing a real SMTP server: one acts at a time, a second one
stands by, and every reminder reaches the server once.

These are the only tests that wait, and only for real processes, each wait bounded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from catalog import PROJECT_DIR, create_app
from catalog.database import utcnow
from catalog.extensions import db
from catalog.geo.services import sync_countries
from catalog.jobs import JOBS
from catalog.models import JobState, OutboxMessage, SessionReminder
from config import TestingConfig
from tests.notifications.support import (
    Mailbox,
    confirm,
    fresh_database_url,
    offering_on,
    session_at,
    smtp_server,
    trainee,
)

STANDING_BY = "Another scheduler holds the lock; standing by."
REFUSED = "Another scheduler holds the lock; nothing was run."
TRAINEES = 4
JOB_IDS = [spec.id for spec in JOBS]


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    """A fresh, migrated database, with countries; the URL the processes get."""
    with fresh_database_url(tmp_path) as url:
        with on(url):
            upgrade()
            sync_countries()
            db.session.commit()
        yield url


@contextmanager
def on(url: str):
    """An app context on the process tests' database (not the suite's)."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def environment(url: str, mailbox: Mailbox | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "FLASK_"))}
    env.pop("DATABASE_URL", None)
    env.update(CATALOG_ENV="testing", TEST_DATABASE_URL=url, PYTHONUNBUFFERED="1")
    if mailbox is None:
        env["MAIL_TRANSPORT"] = "console"
    else:
        env.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mailbox.port))
    return env


class Scheduler:
    """``flask --app wsgi scheduler <command>`` in a process of its own, its output
    in files (never a pipe that could fill up and stall it)."""

    def __init__(self, command: str, url: str, mailbox: Mailbox | None, logs: Path):
        self.stdout_path = logs / f"{command}-{time.monotonic_ns()}.out"
        self.stderr_path = self.stdout_path.with_suffix(".err")
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", command],
                cwd=PROJECT_DIR,
                env=environment(url, mailbox),
                stdout=out,
                stderr=err,
            )

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_for(self, text: str, stream: str = "stderr", timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in getattr(self, stream):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(
            f"{text!r} not in the {stream} of {self.process.args} within {timeout} s "
            f"(exit {self.process.poll()}):\n{self.stdout}\n{self.stderr}"
        )

    def finish(self, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> int:
        """SIGTERM (as systemd or a container runtime stops it), then the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        return self.process.returncode


@pytest.fixture
def schedulers(tmp_path):
    started: list[Scheduler] = []

    def start(command: str, url: str, mailbox: Mailbox | None = None) -> Scheduler:
        started.append(Scheduler(command, url, mailbox, tmp_path))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def sessions_soon(url: str) -> list[str]:
    """Trainees confirmed on a session 50 minutes from now: each is due one reminder."""
    with on(url):
        start = utcnow() + timedelta(minutes=50)
        offering = offering_on(start.date())
        session_at(offering, start, title="Field first aid")
        emails = []
        for n in range(TRAINEES):
            person = trainee(f"process{n}@example.org", timezone="Africa/Nairobi")
            confirm(person, offering)
            emails.append(person.email)
        db.session.commit()
    return emails


def test_two_schedulers_started_together_send_each_reminder_once(database, schedulers):
    emails = sessions_soon(database)
    with smtp_server() as mailbox:
        pair = [schedulers("run-once", database, mailbox) for _ in range(2)]
        codes = [process.finish() for process in pair]
        # One ran; the other either found the lock taken or, starting after the
        # first had finished, found nothing left to do.
        assert 0 in codes, [p.stderr for p in pair]
        for process, code in zip(pair, codes, strict=True):
            assert code == 0 or REFUSED in process.stderr, process.stderr
        again = schedulers("run-once", database, mailbox)
        assert again.finish() == 0, again.stderr
        assert "session_reminders: 0 reminders queued" in again.stdout

    assert sorted(m["To"] for m in mailbox.received) == sorted(emails)
    assert {m["Subject"] for m in mailbox.received} == {
        "Reminder: Field first aid starts in 50 minutes"
    }
    with on(database):
        reminders = select(func.count()).select_from(SessionReminder)
        unsent = select(func.count()).where(OutboxMessage.sent_at.is_(None))
        # Both offsets recorded per trainee (one sent), and nothing left to send.
        assert db.session.scalar(reminders) == 2 * TRAINEES
        assert db.session.scalar(unsent) == 0


def test_a_second_scheduler_stands_by_and_run_once_refuses(database, schedulers):
    emails = sessions_soon(database)
    with smtp_server() as mailbox:
        first = schedulers("run", database, mailbox)
        first.wait_for("Scheduler running", stream="stdout")
        second = schedulers("run", database, mailbox)
        second.wait_for(STANDING_BY)
        assert "Scheduler running" not in second.stdout

        once = schedulers("run-once", database, mailbox)
        assert once.finish() != 0
        assert REFUSED in once.stderr
        assert once.stdout == ""

        # The first one catches up at start, cron jobs included: every job runs
        # (delivery last) and the reminders reach the server.
        wait_until(lambda: job_states(database) == set(JOB_IDS), first)
        wait_until(lambda: len(mailbox.received) >= len(emails), first)
        assert sorted(m["To"] for m in mailbox.received) == sorted(emails)
        assert second.process.poll() is None  # still standing by
        # SIGTERM stops both cleanly: running jobs finish, the lock is let go.
        assert first.stop() == 0, first.stderr
        assert second.stop() == 0, second.stderr
    assert len(mailbox.received) == len(emails)


def wait_until(condition, process: Scheduler, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {timeout} s; the scheduler said:\n{process.stderr}")
        time.sleep(0.1)


def job_states(url: str) -> set[str]:
    with on(url):
        return set(db.session.scalars(select(JobState.job_id)))
