"""The load benchmarks: the application under gunicorn on PostgreSQL, loaded by wrk.

    make bench                       (or: .venv/bin/python -m bench.run)

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/bench_run``; its name must start
with ``bench_``, since it is dropped and recreated), loads 5,000 offerings, and
serves ``wsgi:app`` with the production settings (``CATALOG_ENV=production``, a
random secret, ``bench/gunicorn_bench.py`` = ``deploy/gunicorn.conf.py`` plus
benchmark hooks). Beside it, ``bench/hello.py`` (Flask's hello world) under the
same gunicorn settings gives the baseline every figure is compared with.

Prints each figure as it is measured and writes ``bench/RESULTS.md``
(``BENCH_RESULTS`` names another file). ``BENCH_SECONDS`` (10) sets the length
of each wrk run and ``BENCH_ROUNDS`` (3) the number of enrolment races; the
server logs go to a scratch directory, printed at the start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import random
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bench import report
from bench.common import migrated_app
from bench.contention import FormBrowser, Round, run_round
from bench.load import (
    PROJECT_DIR,
    BenchError,
    Load,
    Server,
    WrkResult,
    fetch,
    find_wrk,
    gunicorn,
    peak_rss_kib,
    run_wrk,
)
from bench.scheduler import SchedulerRun, run_scheduler_once
from bench.seed import Seeded, seed
from catalog.extensions import db

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_run"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RACE_TRAINEES = 200
RACE_CAPACITY = 20
RESULTS = Path(os.environ.get("BENCH_RESULTS", PROJECT_DIR / "bench" / "RESULTS.md"))

CONCURRENT = Load(threads=2, connections=16, seconds=SECONDS)
ONE_AT_A_TIME = Load(threads=1, connections=1, seconds=SECONDS)

SEARCH = "/catalogue?discipline=engineering&mode=in_person&q=equipment"
CATALOGUE_GOAL = 0.25
NOT_MODIFIED_GOAL = 0.50


@dataclass
class Row:
    """One measured page: wrk's figures beside hello world's, measured just before it
    under the same load."""

    name: str
    result: WrkResult
    hello: WrkResult
    load: Load
    goal: float | None = None
    restarts: int = 0  # workers gunicorn replaced during the run (max_requests, crashes)

    @property
    def ratio(self) -> float:
        return self.result.requests_per_second / self.hello.requests_per_second

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.ratio >= self.goal


@dataclass
class Results:
    started_at: datetime
    machine: dict[str, str]
    load_average: tuple[float, float, float]
    seeded: Seeded | None = None
    seed_seconds: float = 0.0
    settings: dict = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    recycling: list[Row] = field(default_factory=list)  # the same, max_requests=0
    rounds: list[Round] = field(default_factory=list)
    memory: list[tuple[str, int | None]] = field(default_factory=list)
    scheduler: SchedulerRun | None = None
    loads: tuple[Load, ...] = (CONCURRENT, ONE_AT_A_TIME)
    search: str = SEARCH
    feed_bytes: str = ""
    page_cache: dict[str, str] = field(default_factory=dict)
    crashes: dict[str, list[str]] = field(default_factory=dict)  # server -> log lines
    scratch: str = ""
    seconds: float = 0.0
    load_average_end: tuple[float, float, float] = (0.0, 0.0, 0.0)


# --- Machine and database -------------------------------------------------------------------


def machine(database_url: str) -> dict[str, str]:
    memory = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            postgres = connection.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "system": platform.platform(),
        "python": platform.python_version(),
        "postgresql": str(postgres),
        "gunicorn": version("gunicorn"),
        "wrk": find_wrk(),
    }


@contextlib.contextmanager
def bench_database(url_text: str) -> Iterator[str]:
    """A new, empty database of that name (dropped first if a run left it), dropped
    at the end. Created through the server's ``postgres`` database, never used for data."""
    url = make_url(url_text)
    if url.get_backend_name() != "postgresql":
        raise BenchError(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {url_text!r}.")
    url = url.set(drivername="postgresql+psycopg")
    name = url.database or ""
    if not name.startswith("bench_") or not name.replace("_", "").isalnum():
        raise BenchError(
            f"BENCH_DATABASE_URL names the database {name!r}; its name must start with "
            "'bench_' (letters, digits, underscores), since the benchmark drops and "
            "recreates it."
        )
    admin = create_engine(
        url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 10},
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        where = url.render_as_string(hide_password=True)
        raise BenchError(
            f"PostgreSQL is not reachable or refused to create the database ({where}): "
            f"{error.orig}. Start PostgreSQL or point BENCH_DATABASE_URL at a server "
            "where this user may create databases."
        ) from None
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(OperationalError), admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def vacuum_analyze(database_url: str) -> None:
    """What autovacuum would do after the bulk load, done now: it must not run
    during the measurements."""
    engine = create_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    finally:
        engine.dispose()


# --- Measuring ------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def measure(
    wrk: str, server: Server, path: str, load: Load, scratch: Path, headers=None
) -> tuple[WrkResult, int]:
    """wrk's figures, and how many workers gunicorn replaced meanwhile."""
    boots = server.boots
    result = run_wrk(wrk, server.url + path, load, scratch, headers)
    server.sample_memory()
    return result, server.boots - boots


def say_row(row: Row) -> None:
    verdict = "" if row.met is None else ("  goal met" if row.met else "  GOAL MISSED")
    say(
        f"  {row.name:<56}{row.result.line()}  | hello {row.hello.requests_per_second:,.0f}"
        f" req/s, ratio {row.ratio:.0%}{verdict}; workers replaced {row.restarts}"
    )


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


def same_settings(one: dict, other: dict) -> bool:
    """The same gunicorn settings, but for the port each listens on."""
    return {**one, "bind": None} == {**other, "bind": None}


def check_pages(server: Server, seeded: Seeded, cookie: str) -> dict:
    """Every measured address answers as it should, before any load; the ETag of
    the personal feed."""
    logged_in = {"Cookie": cookie}
    page_cache = {}
    for path in ("/catalogue", SEARCH, f"/offerings/{seeded.page_offering_id}"):
        anonymous = fetch(server.url + path)
        expect(anonymous.status == 200, f"GET {path} answered {anonymous.status}")
        expect(b"/account/logout" not in anonymous.body, f"{path}: anonymous, yet logged in")
        repeats = [fetch(server.url + path).headers.get("X-Page-Cache", "none") for _ in range(20)]
        cache = f"{repeats.count('hit')} hits in 20 repeats"
        member = fetch(server.url + path, logged_in)
        expect(member.status == 200, f"GET {path} as a trainee answered {member.status}")
        expect(b"/account/logout" in member.body, f"{path}: the trainee's cookie did not log in")
        say(f"  checked {path}: {len(anonymous.body):,} bytes; page cache: {cache}")
        page_cache[path] = cache
    feed = fetch(server.url + seeded.feed_path)
    expect(feed.status == 200, f"the personal feed answered {feed.status}")
    events = feed.body.count(b"BEGIN:VEVENT")
    expect(events == seeded.feed_sessions, f"the feed holds {events} events, not 500")
    etag = feed.headers["ETag"]
    cold = fetch(server.url + seeded.feed_path, {"X-Bench-Cold": "all"})
    expect(cold.headers.get("ETag") == etag, "a cold rebuild gave other bytes than the first")
    repeat = fetch(server.url + seeded.feed_path, {"If-None-Match": etag})
    expect(repeat.status == 304, f"If-None-Match with the feed's ETag answered {repeat.status}")
    say(f"  checked the personal feed: {events} events, {len(feed.body):,} bytes, 304 on ETag")
    return {"etag": etag, "feed_bytes": str(len(feed.body)), "page_cache": page_cache}


def measure_pages(
    wrk: str,
    servers: tuple[Server, Server],
    scratch: Path,
    results: Results,
    cookie: str,
    etag: str,
) -> None:
    """Each page, right after hello world under the same load: the machine may be
    shared, and a baseline taken minutes earlier would compare different machines."""
    hello, server = servers
    seeded = results.seeded
    assert seeded is not None
    trainee = {"Cookie": cookie}
    offering = f"/offerings/{seeded.page_offering_id}"
    plan = [
        ("Catalogue, first page: anonymous", "/catalogue", {}, CONCURRENT, CATALOGUE_GOAL),
        ("Catalogue, first page: logged-in trainee", "/catalogue", trainee, CONCURRENT, None),
        ("Catalogue, filtered search: anonymous", SEARCH, {}, CONCURRENT, CATALOGUE_GOAL),
        ("Catalogue, filtered search: logged-in trainee", SEARCH, trainee, CONCURRENT, None),
        ("Offering page, 40 sessions: anonymous", offering, {}, CONCURRENT, CATALOGUE_GOAL),
        ("Offering page, 40 sessions: logged-in trainee", offering, trainee, CONCURRENT, None),
        (
            "Personal feed, 500 sessions: 200 cold",
            seeded.feed_path,
            {"X-Bench-Cold": "all"},
            ONE_AT_A_TIME,
            None,
        ),
        (
            "Personal feed, 500 sessions: 200 rebuilt, events cached",
            seeded.feed_path,
            {"X-Bench-Cold": "feed"},
            ONE_AT_A_TIME,
            None,
        ),
        ("Personal feed, 500 sessions: 200 warm", seeded.feed_path, {}, CONCURRENT, None),
        (
            "Personal feed, 500 sessions: 304 (If-None-Match)",
            seeded.feed_path,
            {"If-None-Match": etag},
            CONCURRENT,
            NOT_MODIFIED_GOAL,
        ),
    ]
    for name, path, headers, load, goal in plan:
        baseline, _restarts = measure(wrk, hello, "/", load, scratch)
        result, restarts = measure(wrk, server, path, load, scratch, headers)
        row = Row(name, result, baseline, load, goal, restarts)
        results.rows.append(row)
        say_row(row)


def measure_recycling(
    wrk: str,
    production: tuple[Server, Server],
    steady: tuple[Server, Server],
    scratch: Path,
    results: Results,
) -> None:
    """The anonymous catalogue and hello world on production's servers, then at once
    on servers that never replace their workers: what ``max_requests`` costs."""
    for (hello, server), label in ((production, "production"), (steady, "max_requests=0")):
        baseline, _restarts = measure(wrk, hello, "/", CONCURRENT, scratch)
        result, restarts = measure(wrk, server, "/catalogue", CONCURRENT, scratch)
        row = Row(
            f"Catalogue, first page: anonymous, {label}",
            result,
            baseline,
            CONCURRENT,
            CATALOGUE_GOAL,
            restarts,
        )
        results.recycling.append(row)
        say_row(row)


def measure_contention(app, server: Server, results: Results) -> None:
    for number in range(1, ROUNDS + 1):
        outcome = run_round(app, server.port, RACE_TRAINEES, RACE_CAPACITY)
        results.rounds.append(outcome)
        say(
            f"  round {number}: {outcome.seconds:.2f} s, {outcome.per_second:.1f} enrolments/s, "
            f"{outcome.confirmed} confirmed, {outcome.waitlisted} waitlisted, "
            f"overbooked {outcome.overbooked}, problems {len(outcome.problems)}, "
            f"HTTP {outcome.statuses}"
        )
        for problem in outcome.problems[:5]:
            say(f"    {problem}")


def memory_of(server: Server) -> list[tuple[str, int | None]]:
    """The master, each worker alive now, and the largest peak of any worker sampled
    after a run (workers that ``max_requests`` replaced included)."""
    server.sample_memory()
    rows = [(f"{server.name}: gunicorn master", peak_rss_kib(server.process.pid))]
    for number, (_pid, peak) in enumerate(sorted(server.worker_peaks().items()), 1):
        rows.append((f"{server.name}: web worker {number} (alive at the end)", peak))
    rows.append(
        (
            f"{server.name}: largest of {len(server.peaks)} workers sampled "
            f"({server.boots} started in all)",
            max(server.peaks.values(), default=None),
        )
    )
    return rows


# --- The run ----------------------------------------------------------------------------


def production_environment(database_url: str) -> dict[str, str]:
    return {
        "CATALOG_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_TRANSPORT": "console",
    }


def run(started: float) -> Results:
    wrk = find_wrk()
    scratch = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    say(f"Load benchmarks; logs in {scratch}")
    with bench_database(url) as database_url:
        results = Results(
            scratch=str(scratch),
            started_at=datetime.now(UTC),
            machine=machine(database_url),
            load_average=os.getloadavg(),
        )
        say(
            f"  {results.machine['cores']} cores, {results.machine['memory']}, "
            f"PostgreSQL {results.machine['postgresql']}, load average at start "
            + ", ".join(f"{x:.2f}" for x in results.load_average)
        )
        env = production_environment(database_url)
        began = time.monotonic()
        app = migrated_app(database_url, SECRET_KEY=env["SECRET_KEY"])
        with app.app_context():
            seeded = results.seeded = seed(random.Random(2026))
            db.session.remove()
        vacuum_analyze(database_url)
        results.seed_seconds = time.monotonic() - began
        say(
            f"Seeded {seeded.offerings:,} offerings ({seeded.listed:,} listed), "
            f"{seeded.sessions:,} sessions, {seeded.trainees:,} trainees, "
            f"{seeded.enrolments:,} enrolments in {results.seed_seconds:.1f} s"
        )
        steady_env = {**env, "BENCH_MAX_REQUESTS": "0"}
        with (
            gunicorn("hello", "bench.hello:app", env, scratch) as hello,
            gunicorn("app", "wsgi:app", env, scratch) as server,
            gunicorn("hello-steady", "bench.hello:app", steady_env, scratch) as hello_steady,
            gunicorn("app-steady", "wsgi:app", steady_env, scratch) as server_steady,
        ):
            results.settings = server.settings
            expect(
                same_settings(hello.settings, server.settings),
                f"hello world and the app run under different settings: "
                f"{hello.settings} / {server.settings}",
            )
            say(f"gunicorn: {report.settings_text(server.settings)}")
            trainee = FormBrowser(server.port)
            trainee.log_in_with_form(seeded.feed_user_email, seeded.feed_password, "/catalogue")
            cookie = trainee.cookie_header()
            checked = check_pages(server, seeded, cookie)
            etag, results.feed_bytes = checked["etag"], checked["feed_bytes"]
            results.page_cache = checked["page_cache"]
            say("Each page after hello world under the same load:")
            measure_pages(wrk, (hello, server), scratch, results, cookie, etag)
            say("Worker recycling: production's max_requests, then max_requests=0:")
            measure_recycling(wrk, (hello, server), (hello_steady, server_steady), scratch, results)
            say(f"Enrolment: {RACE_TRAINEES} trainees at once, {RACE_CAPACITY} seats:")
            measure_contention(app, server, results)
            results.memory = memory_of(server) + memory_of(hello)
            for each in (hello, server, hello_steady, server_steady):
                if each.crashes():
                    results.crashes[each.name] = each.crashes()
                    say(f"  WORKERS CRASHED in {each.log_path}:")
                    for line in each.crashes()[:5]:
                        say(f"    {line[:300]}")
            for name, peak in results.memory:
                say(f"  peak RSS of {name:<52}{report.mib(peak):>10}")
        with app.app_context():
            db.engine.dispose()
        say("Memory of the scheduler, run-once with the whole catalogue:")
        results.scheduler = run_scheduler_once(env, scratch)
        say(f"  {results.scheduler.line()}")
    results.load_average_end = os.getloadavg()
    results.seconds = time.monotonic() - started
    return results


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # so every server is stopped and the database dropped


def main() -> int:
    started = time.monotonic()
    logging.disable(logging.INFO)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        results = run(started)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped, database dropped", file=sys.stderr)
        return 130
    RESULTS.write_text(report.markdown(results), encoding="utf-8")
    say(f"Wrote {RESULTS}; total {results.seconds / 60:.1f} minutes ({results.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
