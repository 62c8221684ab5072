"""Faults: the database going away, the mail server failing, the disk filling up.

- A database that goes away in the middle of a request gets a 503 page (JSON for
  the API, plain text for feeds) and leaves no partial write; the next request,
  once the database is back, works (the pool pre-pings its connections).
- A mail server that fails, or a full disk under the development mailbox, loses
  neither the enrolment that was committed nor its notification: the outbox row
  stays unsent and is sent on a later run.

Failures are made two ways: on every database, the dialect's execute raises the
driver's own OperationalError from the N-th write on (the database "goes away");
on PostgreSQL, the server itself terminates the app's connections
(``pg_terminate_backend``), in the middle of a request and between requests.
"""

from __future__ import annotations

import errno
import io
import smtplib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, select, text

from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds.services import clear_cache
from catalog.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    Offering,
    OutboxMessage,
    Role,
    SeatAllocation,
)
from catalog.notifications.delivery import LEASE, deliver_due
from catalog.notifications.mail import FileTransport
from tests.database_dump import dump
from tests.factories import PASSWORD, make_offering, make_user

TODAY = date.today()
WRITES = ("INSERT", "UPDATE", "DELETE")


# --- Making the database go away ----------------------------------------------------------


class Outage:
    """Counts the statements sent to the database; from the ``fail_from``-th write
    on, every statement (reads too) fails with the driver's OperationalError, as
    when the server is gone, until ``restore()``."""

    def __init__(self, fail_from: int):
        self.fail_from = fail_from
        self.writes = 0
        self.failed = 0
        self.down = fail_from <= 0

    def check(self, statement: str) -> None:
        if not self.down and statement.lstrip().upper().startswith(WRITES):
            self.writes += 1
            self.down = self.writes >= self.fail_from
        if self.down:
            self.failed += 1
            error = db.engine.dialect.dbapi.OperationalError
            raise error("server closed the connection unexpectedly")

    def restore(self) -> None:
        self.down = False
        self.fail_from = float("inf")


@contextmanager
def outage(monkeypatch, fail_from: int = 1) -> Iterator[Outage]:
    """The database goes away at the ``fail_from``-th write of what runs inside."""
    state = Outage(fail_from)
    dialect = db.engine.dialect
    for name in ("do_execute", "do_executemany", "do_execute_no_params"):
        original = getattr(dialect, name)

        def failing(cursor, statement, *args, _original=original, **kwargs):
            state.check(statement)
            return _original(cursor, statement, *args, **kwargs)

        monkeypatch.setattr(dialect, name, failing)
    try:
        yield state
    finally:
        state.restore()
        monkeypatch.undo()


def log_in(app, email: str):
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


PLAN_HEADER = (
    "course_code,course_title,discipline,level,programme,summary,delivery_mode,venue,"
    "country,timezone,language,starts_on,ends_on,enrolment_opens,enrolment_closes,"
    "capacity,quotas,status"
)


def plan(code: str, offerings: int = 3) -> bytes:
    """A plan with one new course and ``offerings`` offerings, each with quotas: a
    request that writes many rows in one transaction."""
    rows = [PLAN_HEADER]
    for n in range(offerings):
        start = TODAY + timedelta(days=120 + 30 * n)
        rows.append(
            f"{code},Field defence,engineering,basic,tpp,,in_person,Nairobi,KE,"
            f"Africa/Nairobi,en,{start},{start + timedelta(days=5)},"
            f"{start - timedelta(days=40)},{start - timedelta(days=10)},20,KE:4;UG:4,published"
        )
    return ("\n".join(rows) + "\n").encode()


def upload(client, content: bytes):
    return client.post("/manage/import", data={"plan": (io.BytesIO(content), "plan.csv")})


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# --- The database goes away mid-request -----------------------------------------------------


@pytest.mark.parametrize("fail_from", [1, 2, 3])
def test_database_lost_mid_import_answers_503_and_writes_nothing(app, monkeypatch, fail_from):
    coordinator = make_user(None, Role.COORDINATOR)
    db.session.commit()
    client = log_in(app, coordinator.email)
    before = dump()

    with outage(monkeypatch, fail_from) as lost:
        response = upload(client, plan("FLT-DEF"))
        assert lost.writes == fail_from, "the request got as far as the failing write"

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "cannot reach its database" in body
    assert "Traceback" not in body and "OperationalError" not in body
    assert "<h1>Error 503</h1>" in body
    assert dump() == before, "no course, offering or quota of the plan is left"

    # The database is back: the same request works, whole.
    again = upload(client, plan("FLT-DEF"))
    assert again.status_code == 302
    assert count(Course) == 1 and count(Offering) == 3


def test_database_lost_while_enrolling_keeps_the_seat_free(app, monkeypatch):
    offering = make_offering(
        seat_allocation=SeatAllocation.FIRST_COME,
        capacity=1,
        starts_on=TODAY + timedelta(days=30),
        enrolment_opens_on=TODAY - timedelta(days=5),
        enrolment_closes_on=TODAY + timedelta(days=10),
    )
    trainee = make_user()
    db.session.commit()
    client = log_in(app, trainee.email)
    before = dump()

    # The enrolment is written, then its history event: the database goes at the second.
    with outage(monkeypatch, fail_from=2):
        response = client.post(f"/offerings/{offering.id}/enrol")
    assert response.status_code == 503
    assert dump() == before, "no enrolment without its event, no notice without its enrolment"

    assert client.post(f"/offerings/{offering.id}/enrol").status_code == 302
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == trainee.id))
    assert enrolment.status == EnrolmentStatus.CONFIRMED


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/api/v1/offerings", "application/json"),
        ("/feeds/catalogue.ics", "text/plain"),
        ("/catalogue", "text/html"),
    ],
)
def test_database_gone_for_reads_answers_503_in_the_reader_s_format(
    app, client, monkeypatch, path, mimetype
):
    clear_cache()  # a cached feed would be served without asking the database
    with outage(monkeypatch, fail_from=0):  # every statement fails
        response = client.get(path)
    assert response.status_code == 503
    assert response.mimetype == mimetype
    if mimetype == "application/json":
        message = response.get_json()["error"]["message"]
    else:
        message = response.get_data(as_text=True)
    assert "The site cannot reach its database just now" in message
    assert response.headers["Retry-After"] == "30"
    assert client.get(path).status_code == 200


# --- PostgreSQL: the server closes the connections -----------------------------------------


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


def terminate(admin, pids: list[int] | None = None) -> int:
    """Terminate ``pids``, or every other connection to the test database; wait until
    they are gone. Returns how many were terminated."""
    with admin.connect() as connection:
        mine = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        if pids is None:
            pids = list(
                connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> :mine"
                    ),
                    {"mine": mine},
                ).scalars()
            )
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": pids},
            ).scalar()
            if not alive:
                break
            time.sleep(0.05)
    return len(pids)


def test_pre_ping_replaces_connections_the_server_closed(app, client, postgresql):
    assert client.get("/catalogue").status_code == 200  # the pool now holds a connection
    db.session.remove()
    assert db.engine.pool.checkedin() >= 1

    assert terminate(postgresql) >= 1

    # Without the pre-ping this request would get a dead connection from the pool.
    assert client.get("/catalogue").status_code == 200
    assert client.get("/api/v1/offerings").status_code == 200


def test_server_terminating_the_connection_mid_request_answers_503(app, postgresql):
    coordinator = make_user(None, Role.COORDINATOR)
    db.session.commit()
    client = log_in(app, coordinator.email)
    db.session.remove()
    before = dump()
    writes = []

    def terminate_at_second_write(connection, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT"):
            writes.append(statement)
            if len(writes) == 2:
                terminate(postgresql, [cursor.connection.info.backend_pid])

    event.listen(db.engine, "before_cursor_execute", terminate_at_second_write)
    try:
        response = upload(client, plan("FLT-PG"))
    finally:
        event.remove(db.engine, "before_cursor_execute", terminate_at_second_write)

    assert len(writes) >= 2
    assert response.status_code == 503
    assert "cannot reach its database" in response.get_data(as_text=True)
    assert dump() == before
    assert upload(client, plan("FLT-PG")).status_code == 302
    assert count(Offering) == 3


# --- Mail server failures and a full disk ---------------------------------------------------


class Recorder:
    """A transport that works: what it was given."""

    def __init__(self):
        self.sent = []

    def send(self, email):
        self.sent.append(email)


class Failing:
    def __init__(self, error: Exception):
        self.error = error
        self.attempts = 0

    def send(self, email):
        self.attempts += 1
        raise self.error


def enrolled_with_notice(app) -> tuple[Enrolment, OutboxMessage]:
    """A trainee enrols through the site in a first-come offering: the enrolment
    and its notice are committed together."""
    offering = make_offering(
        seat_allocation=SeatAllocation.FIRST_COME,
        starts_on=TODAY + timedelta(days=30),
        enrolment_opens_on=TODAY - timedelta(days=5),
        enrolment_closes_on=TODAY + timedelta(days=10),
    )
    trainee = make_user()
    db.session.commit()
    response = log_in(app, trainee.email).post(f"/offerings/{offering.id}/enrol")
    assert response.status_code == 302
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == trainee.id))
    notices = list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == trainee.id))
    )
    assert enrolment.status == EnrolmentStatus.CONFIRMED
    assert len(notices) == 1, "the confirmation is queued with the enrolment"
    return enrolment, notices[0]


def reread(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


MAIL_SERVER_FAILURES = [
    ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    TimeoutError("timed out"),
    smtplib.SMTPDataError(451, b"4.3.0 Mail server temporarily rejected message"),
]


@pytest.mark.parametrize("error", MAIL_SERVER_FAILURES, ids=lambda e: type(e).__name__)
def test_a_mail_server_failure_keeps_the_enrolment_and_retries_the_notice(app, error):
    enrolment, notice = enrolled_with_notice(app)
    now = utcnow() + timedelta(seconds=1)

    failing = Failing(error)
    assert str(deliver_due(now, transport=failing)) == "0 sent, 1 failed"
    row = reread(notice)
    assert row.sent_at is None and row.claimed_at is None
    assert row.attempts == 1 and type(error).__name__ in row.last_error
    assert row.next_attempt_at > now
    assert reread(enrolment).status == EnrolmentStatus.CONFIRMED

    # Still down at the next attempt; then the server is back.
    assert str(deliver_due(row.next_attempt_at, transport=failing)) == "0 sent, 1 failed"
    later = reread(notice).next_attempt_at
    working = Recorder()
    assert str(deliver_due(later, transport=working)) == "1 sent, 0 failed"
    assert [email["To"] for email in working.sent] == [enrolment.user.email]
    assert reread(notice).sent_at == later
    assert str(deliver_due(later + timedelta(days=1), transport=working)) == "0 sent, 0 failed"
    assert reread(enrolment).status == EnrolmentStatus.CONFIRMED


def test_a_full_disk_keeps_the_notice_queued_and_no_half_message(app, tmp_path, monkeypatch):
    enrolment, notice = enrolled_with_notice(app)
    mailbox = tmp_path / "mail"
    transport = FileTransport(mailbox)
    now = utcnow() + timedelta(seconds=1)
    real_write = Path.write_bytes

    def disk_full(path, data):
        real_write(path, data[: len(data) // 2])  # what fitted before the disk filled
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    assert str(deliver_due(now, transport=transport)) == "0 sent, 1 failed"
    row = reread(notice)
    assert row.sent_at is None and "No space left on device" in row.last_error
    assert list(mailbox.iterdir()) == [], "no half-written message in the mailbox"
    assert reread(enrolment).status == EnrolmentStatus.CONFIRMED

    monkeypatch.undo()  # space freed
    assert str(deliver_due(row.next_attempt_at, transport=transport)) == "1 sent, 0 failed"
    [saved] = list(mailbox.iterdir())
    email = message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert email["To"] == enrolment.user.email
    assert email.get_body(("plain",)).get_content().strip()


def test_an_unwritable_mailbox_keeps_the_notice_queued(app, tmp_path):
    _enrolment, notice = enrolled_with_notice(app)
    blocked = tmp_path / "mail"
    blocked.write_text("a file where the mailbox directory should be")
    now = utcnow() + timedelta(seconds=1)

    assert str(deliver_due(now, transport=FileTransport(blocked))) == "0 sent, 1 failed"
    row = reread(notice)
    assert row.sent_at is None and row.attempts == 1
    assert "FileExistsError" in row.last_error or "NotADirectoryError" in row.last_error


def test_database_lost_after_sending_sends_again_rather_than_lose_it(app, monkeypatch):
    """The mail went out, then the database went away before the row was marked
    sent: the claim lapses and the message goes again. A repeat (with the same
    Message-ID, so mail programs can tell) rather than a notice lost."""
    _enrolment, notice = enrolled_with_notice(app)
    notice_id = notice.id
    now = utcnow() + timedelta(seconds=1)
    first = Recorder()

    class SendThenLoseTheDatabase(Recorder):
        def send(self, email):
            first.send(email)
            lost.down = True  # the database goes while the mail server answers

    with outage(monkeypatch, fail_from=10**9) as lost:
        with pytest.raises(Exception, match="server closed the connection"):
            deliver_due(now, transport=SendThenLoseTheDatabase())
        db.session.rollback()
    db.session.remove()

    row = db.session.get(OutboxMessage, notice_id)
    assert row.sent_at is None and row.claimed_at is not None, "claimed, not marked sent"
    assert len(first.sent) == 1

    assert str(deliver_due(now + timedelta(minutes=1), transport=Recorder())) == "0 sent, 0 failed"
    again = Recorder()
    assert str(deliver_due(now + LEASE + timedelta(seconds=1), transport=again)) == (
        "1 sent, 0 failed"
    )
    assert again.sent[0]["Message-ID"] == first.sent[0]["Message-ID"]
    assert reread(row).sent_at is not None
