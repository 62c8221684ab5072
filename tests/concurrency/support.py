"""Seat races against a real server: fresh databases, gunicorn, racing trainees.

Used by the tests in this package and by ``bench/enrolment_contention.py``.
Everything is bounded in time and talks to 127.0.0.1 only. The server is the
production entry point (``wsgi:app``) under gunicorn with several workers and
threads, so requests really overlap in separate processes and threads.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload
from sqlalchemy.pool import NullPool

from catalog import create_app
from catalog.auth.services import hash_password
from catalog.enrolment import services
from catalog.extensions import db
from catalog.geo.services import sync_countries
from catalog.models import Enrolment, EnrolmentStatus, OfferingQuota, Role, SeatAllocation, User
from config import TestingConfig
from tests.factories import make_offering

PROJECT_DIR = Path(__file__).resolve().parents[2]
HOOKS_FILE = Path(__file__).with_name("gunicorn_hooks.py")
READY_LINE = "seat-race worker ready"
HOST = "127.0.0.1"
WORKERS = 4
THREADS = 8
HTTP_TIMEOUT = 30  # seconds for one request
BOOT_TIMEOUT = 45  # seconds for every worker to load the application
BARRIER_TIMEOUT = 20  # seconds for every racer to connect
PASSWORD = "correct horse battery"

ENROL_PATH = "/offerings/{offering_id}/enrol"
WITHDRAW_PATH = "/enrolments/{enrolment_id}/withdraw"
# The enrolment views under test (catalog/enrolment/views.py).
ENROL_RULE = re.compile(r"^/offerings/<[^>]*offering_id>/enrol$")
WITHDRAW_RULE = re.compile(r"^/enrolments/<[^>]*enrolment_id>/withdraw$")

CONFIRMED = EnrolmentStatus.CONFIRMED.value
WAITLISTED = EnrolmentStatus.WAITLISTED.value


# --- Databases ---------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(server_url: str | None, scratch_dir: Path) -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards.

    With a PostgreSQL ``server_url`` a uniquely named database is created on that
    server (through its ``postgres`` database) and dropped with FORCE at the end;
    otherwise a new SQLite file in ``scratch_dir``.
    """
    if not server_url or make_url(server_url).get_backend_name() != "postgresql":
        yield f"sqlite:///{scratch_dir / 'race.db'}"
        return
    url = make_url(server_url)
    name = f"seat_race_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def build_app(database_url: str) -> Flask:
    """The real application on ``database_url``, its schema built by the migrations."""

    class RaceConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(RaceConfig)
    with app.app_context():
        upgrade()
        sync_countries()
        db.session.commit()
        db.session.remove()
    return app


def has_enrolment_routes(app: Flask) -> bool:
    """Whether the enrolment views (enrol and withdraw) are registered."""
    rules = [rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    return any(ENROL_RULE.match(r) for r in rules) and any(WITHDRAW_RULE.match(r) for r in rules)


def server_app_spec(naive: bool = False) -> str:
    """The gunicorn application: production's ``wsgi:app``, or it without the lock."""
    return "tests.concurrency.naive_server:app" if naive else "wsgi:app"


# --- Data ----------------------------------------------------------------------------------


@dataclass
class Trainee:
    user_id: int
    email: str
    country_code: str
    browser: Browser | None = None


def add_offering(app: Flask, capacity: int, quotas: dict[str, int] | None = None) -> int:
    """A first-come-first-served offering, open for enrolment now; its id."""
    with app.app_context():
        offering = make_offering(
            starts_in_days=60,
            enrolment_opens_on=date.today() - timedelta(days=2),
            capacity=capacity,
            seat_allocation=SeatAllocation.FIRST_COME,
        )
        for code, seats in (quotas or {}).items():
            offering.quotas.append(OfferingQuota(country_code=code, seats=seats))
        db.session.commit()
        offering_id = offering.id
        db.session.remove()
    return offering_id


def add_trainees(app: Flask, label: str, countries: Sequence[str]) -> list[Trainee]:
    """One trainee per entry of ``countries``; the password is hashed once."""
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        users = []
        for number, country in enumerate(countries, 1):
            user = User(
                email=f"{label}-{number}@example.org",
                name=f"Trainee {label} {number}",
                password_hash=password_hash,
                country_code=country,
            )
            user.grant(Role.TRAINEE)
            users.append(user)
        db.session.add_all(users)
        db.session.commit()
        trainees = [Trainee(user.id, user.email, user.country_code) for user in users]
        db.session.remove()
    return trainees


def enrol_directly(app: Flask, trainees: Sequence[Trainee], offering_id: int) -> list[int]:
    """Enrol trainees one after the other through the service; their enrolment ids."""
    ids = []
    with app.app_context():
        for trainee in trainees:
            enrolment = services.apply(db.session.get(User, trainee.user_id), offering_id)
            db.session.commit()
            ids.append(enrolment.id)
        db.session.remove()
    return ids


@dataclass(frozen=True)
class Seat:
    """One enrolment row as the database holds it after a race."""

    enrolment_id: int
    user_id: int
    status: str
    country_code: str | None
    created_at: datetime
    waitlisted_at: datetime | None
    position: int | None  # on the waiting list, 1-based
    events: tuple[tuple[int, str, datetime], ...]  # (event id, action, when), oldest first

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(action for _, action, _ in self.events)

    def event_id(self, action: str) -> int | None:
        """The id of the first such event: ids follow the order decisions were stored."""
        return next((event_id for event_id, name, _ in self.events if name == action), None)


def seats_of(app: Flask, offering_id: int) -> list[Seat]:
    with app.app_context():
        enrolments = db.session.scalars(
            select(Enrolment)
            .where(Enrolment.offering_id == offering_id)
            .options(selectinload(Enrolment.events))
            .order_by(Enrolment.id)
        ).all()
        positions = services.waiting_positions([offering_id])
        seats = [
            Seat(
                enrolment_id=e.id,
                user_id=e.user_id,
                status=e.status.value,
                country_code=e.country_code,
                created_at=e.created_at,
                waitlisted_at=e.waitlisted_at,
                position=positions.get(e.id),
                events=tuple((event.id, event.action, event.created_at) for event in e.events),
            )
            for e in enrolments
        ]
        db.session.remove()
    return seats


# --- The server ----------------------------------------------------------------------------


class ServerError(RuntimeError):
    """gunicorn did not start or stopped; the message carries its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    log_path: Path
    workers: int

    def log(self, tail: int = 12000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]

    def browser(self) -> Browser:
        return Browser(self.port)


@contextlib.contextmanager
def running_server(
    app_spec: str,
    database_url: str,
    log_path: Path,
    workers: int = WORKERS,
    threads: int = THREADS,
) -> Iterator[Server]:
    """gunicorn (gthread) serving ``app_spec`` on a free loopback port, stopped on exit."""
    port = free_port()
    env = {
        **os.environ,
        "CATALOG_ENV": "testing",
        "TEST_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--config",
        str(HOOKS_FILE),
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        app_spec,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(port, log_path, workers)
    try:
        _wait_until_ready(process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_ready(process: subprocess.Popen, server: Server) -> None:
    """Every worker has loaded the application and the login page answers."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"gunicorn exited with {process.returncode}:\n{server.log()}")
        if server.log().count(READY_LINE) >= server.workers:
            with contextlib.suppress(OSError):
                if server.browser().send("GET", "/account/login").status == 200:
                    return
        time.sleep(0.1)
    raise ServerError(f"gunicorn not ready after {BOOT_TIMEOUT} s:\n{server.log()}")


# --- Browsing ------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int | None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    error: str | None = None
    finished_at: float = 0.0

    @property
    def location(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "location":
                return value
        return None

    def cookies(self) -> dict[str, str | None]:
        """Cookies the reply sets; None for the ones it deletes."""
        found: dict[str, str | None] = {}
        for name, value in self.headers:
            if name.lower() != "set-cookie":
                continue
            for key, morsel in SimpleCookie(value).items():
                deleted = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                found[key] = None if deleted else morsel.value
        return found

    def describe(self) -> str:
        if self.error:
            return f"no reply ({self.error})"
        return f"{self.status} {self.body[:300]!r}"


class Browser:
    """One person's browser: a cookie jar and a fresh connection per request."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def connection(self) -> HTTPConnection:
        return HTTPConnection(HOST, self.port, timeout=HTTP_TIMEOUT)

    def send(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        connection: HTTPConnection | None = None,
    ) -> Reply:
        """One request; does not change the cookie jar (``keep`` does)."""
        connection = connection or self.connection()
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            body = urlencode(form or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return Reply(
                status=response.status,
                headers=response.getheaders(),
                body=payload.decode("utf-8", errors="replace"),
                finished_at=time.perf_counter(),
            )
        finally:
            connection.close()

    def keep(self, reply: Reply) -> None:
        for name, value in reply.cookies().items():
            if value is None:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def log_in(self, email: str, password: str = PASSWORD) -> Reply:
        reply = self.send("POST", "/account/login", {"email": email, "password": password})
        self.keep(reply)
        return reply

    def follow(self, reply: Reply) -> Reply:
        """Take the reply's cookies and, for a redirect, load the page it points to."""
        self.keep(reply)
        if reply.status is None or not 300 <= reply.status < 400 or not reply.location:
            return reply
        parts = urlsplit(reply.location)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        page = self.send("GET", target)
        self.keep(page)
        return page


def log_in_all(server: Server, trainees: Sequence[Trainee]) -> None:
    """Log every trainee in (a few at a time); each keeps their own session cookie."""

    def log_in(trainee: Trainee) -> None:
        trainee.browser = server.browser()
        reply = trainee.browser.log_in(trainee.email)
        if reply.status != 302 or "session" not in trainee.browser.cookies:
            raise ServerError(f"login of {trainee.email} failed: {reply.describe()}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(log_in, trainees))


FLASH = re.compile(r'<p class="flash flash-[\w-]+">(.*?)</p>', re.S)


def flashes(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in FLASH.findall(page)]


WAITING_NUMBER = re.compile(r"(?:number|position|no\.?|#)\s*(\d+)", re.I)


@dataclass(frozen=True)
class Told:
    """What the page after a request tells the trainee about their seat."""

    status: str | None  # CONFIRMED, WAITLISTED, or None when it says neither
    position: int | None = None  # the waiting-list number, when the page gives one
    text: str = ""


def told_on(page: str) -> Told:
    text = " ".join(flashes(page))
    lowered = text.lower()
    if "waiting list" in lowered:
        number = WAITING_NUMBER.search(text)
        return Told(WAITLISTED, int(number.group(1)) if number else None, text)
    if "confirmed" in lowered:
        return Told(CONFIRMED, None, text)
    return Told(None, None, text)


def told_after(pairs: Sequence[tuple[Browser, Reply]]) -> list[Told | None]:
    """For each successful reply, what the page it leads to says (None for failures)."""

    def told(pair: tuple[Browser, Reply]) -> Told | None:
        browser, reply = pair
        if reply.status is None or reply.status >= 400:
            return None
        return told_on(browser.follow(reply).body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(told, pairs))


# --- Racing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    browser: Browser
    method: str
    path: str


@dataclass
class Race:
    replies: list[Reply]
    released_at: float

    @property
    def seconds(self) -> float:
        """From the release to the last reply."""
        ends = [reply.finished_at for reply in self.replies if reply.finished_at]
        return max(ends) - self.released_at if ends else 0.0

    def statuses(self) -> Counter:
        return Counter(reply.status for reply in self.replies)


def race(calls: Sequence[Call]) -> Race:
    """Send every call at once.

    Each call gets a fresh connection, opened before the start; one barrier then
    releases them all together. Errors are kept per call, never raised.
    """
    released: list[float] = []
    barrier = threading.Barrier(len(calls), action=lambda: released.append(time.perf_counter()))
    replies: list[Reply | None] = [None] * len(calls)

    def run(index: int, call: Call) -> None:
        connection = call.browser.connection()
        try:
            connection.connect()
            barrier.wait(timeout=BARRIER_TIMEOUT)
            replies[index] = call.browser.send(call.method, call.path, connection=connection)
        except Exception as error:  # kept for the report: one failure must not hang the rest
            barrier.abort()
            replies[index] = Reply(None, error=repr(error), finished_at=time.perf_counter())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + BARRIER_TIMEOUT + HTTP_TIMEOUT + 5
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    done = [reply or Reply(None, error="no reply in time") for reply in replies]
    return Race(done, released[0] if released else time.perf_counter())


def enrol_calls(trainees: Sequence[Trainee], offering_id: int) -> list[Call]:
    path = ENROL_PATH.format(offering_id=offering_id)
    return [Call(t.browser, "POST", path) for t in trainees]


# --- First come, first served --------------------------------------------------------------


@dataclass
class FirstComeRun:
    """One race of distinct trainees for one first-come-first-served offering."""

    offering_id: int
    capacity: int
    quotas: dict[str, int]
    trainees: list[Trainee]
    race: Race
    told: list[Told | None]
    seats: list[Seat]

    def by_status(self) -> Counter:
        return Counter(seat.status for seat in self.seats)

    def summary(self) -> str:
        statuses = dict(sorted(self.race.statuses().items(), key=lambda kv: str(kv[0])))
        counts = self.by_status()
        return (
            f"{len(self.trainees)} trainees, capacity {self.capacity}: "
            f"{counts[CONFIRMED]} confirmed, {counts[WAITLISTED]} waitlisted; "
            f"HTTP statuses {statuses}; {self.race.seconds:.2f} s"
        )

    def category(self, country_code: str | None) -> str:
        """The seat pool a person draws from: their country's quota or the open pool."""
        if country_code in self.quotas:
            return country_code
        return "open pool"

    def expected_confirmed(self) -> Counter:
        applying = Counter(self.category(t.country_code) for t in self.trainees)
        if not self.quotas:
            return Counter({"open pool": min(applying["open pool"], self.capacity)})
        limits = dict(self.quotas, **{"open pool": self.capacity - sum(self.quotas.values())})
        return Counter({pool: min(applying[pool], limit) for pool, limit in limits.items()})

    def problems(self) -> list[str]:
        """Everything that differs from a correct, serialised allocation."""
        problems = []
        failed = [r for r in self.race.replies if r.status is None or r.status >= 400]
        if failed:
            statuses = dict(Counter(r.status for r in failed))
            problems.append(
                f"{len(failed)} of {len(self.trainees)} requests failed {statuses}; "
                f"first: {failed[0].describe()}"
            )
        rows_per_user = Counter(seat.user_id for seat in self.seats)
        rows = Counter(rows_per_user[t.user_id] for t in self.trainees)
        if set(rows) != {1}:
            problems.append(f"trainees by number of enrolments they hold: {dict(rows)}")

        confirmed = [s for s in self.seats if s.status == CONFIRMED]
        waiting = [s for s in self.seats if s.status == WAITLISTED]
        expected = self.expected_confirmed()
        expected_total = sum(expected.values())
        if len(confirmed) != expected_total:
            problems.append(f"{len(confirmed)} confirmed, expected {expected_total}")
        held = Counter(self.category(s.country_code) for s in confirmed)
        if held != expected:
            problems.append(f"confirmed per pool {dict(held)}, expected {dict(expected)}")
        expected_waiting = len(self.trainees) - expected_total
        if len(waiting) != expected_waiting:
            problems.append(f"{len(waiting)} waitlisted, expected {expected_waiting}")
        positions = sorted(s.position or 0 for s in waiting)
        if positions != list(range(1, len(waiting) + 1)):
            problems.append(f"waiting-list positions {positions}, expected 1..{len(waiting)}")

        # Serialised decisions in arrival order: within a pool, nobody confirmed was
        # decided after somebody who was put on the waiting list.
        for pool in expected:
            seated = [s.created_at for s in confirmed if self.category(s.country_code) == pool]
            queued = [s.created_at for s in waiting if self.category(s.country_code) == pool]
            if seated and queued and max(seated) > min(queued):
                problems.append(f"{pool}: a seat was given after someone was waitlisted")

        # Nobody leaves the waiting list during this race, so the number a trainee
        # is told must still be theirs.
        seat_of = {seat.user_id: seat for seat in self.seats}
        mismatches = []
        for trainee, told in zip(self.trainees, self.told, strict=True):
            seat = seat_of.get(trainee.user_id)
            if told is None or seat is None:
                continue
            if told.status != seat.status or (
                told.position is not None and told.position != seat.position
            ):
                mismatches.append(
                    f"{trainee.email} was told {told.text!r}; the database says "
                    f"{seat.status} (waiting-list number {seat.position})"
                )
        if mismatches:
            problems.append(f"{len(mismatches)} responses disagree with the database, e.g.")
            problems += mismatches[:3]
        return problems


def run_first_come(
    app: Flask,
    server: Server,
    countries: Sequence[str],
    capacity: int,
    quotas: dict[str, int] | None = None,
) -> FirstComeRun:
    """Set up an offering and one trainee per country entry, log them in, release
    all their enrolments together, and read back what the database holds."""
    offering_id = add_offering(app, capacity, quotas)
    trainees = add_trainees(app, f"fc{offering_id}", countries)
    log_in_all(server, trainees)
    result = race(enrol_calls(trainees, offering_id))
    told = told_after([(t.browser, r) for t, r in zip(trainees, result.replies, strict=True)])
    return FirstComeRun(
        offering_id=offering_id,
        capacity=capacity,
        quotas=dict(quotas or {}),
        trainees=trainees,
        race=result,
        told=told,
        seats=seats_of(app, offering_id),
    )
