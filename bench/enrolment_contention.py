"""Enrolments per second when many trainees enrol in one offering at the same moment.

    .venv/bin/python -m bench.enrolment_contention
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.enrolment_contention

Serves ``wsgi:app`` with gunicorn (4 workers x 8 threads) on a fresh database: a
new SQLite file, or a new database created on the PostgreSQL server that
``BENCH_DATABASE_URL`` points at (the database it names is left alone) and
dropped at the end. Each round logs 200 new trainees in, then releases all their
enrolments for one first-come-first-served offering together (one connection
each, one barrier) and times the release to the last answer. Every round is then
checked as the race tests check it: overbooking must be zero.

The figures are the whole machine's: clients, gunicorn and the database share it.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from catalog.extensions import db
from tests.concurrency.support import (
    CONFIRMED,
    THREADS,
    WAITLISTED,
    WORKERS,
    build_app,
    fresh_database,
    run_first_come,
    running_server,
)

TRAINEES = int(os.environ.get("BENCH_TRAINEES", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CAPACITY = 20


def main() -> None:
    logging.disable(logging.INFO)
    scratch = Path(tempfile.mkdtemp(prefix="catalog-contention-"))
    with fresh_database(os.environ.get("BENCH_DATABASE_URL"), scratch) as url:
        app = build_app(url)
        dialect = make_url(url).get_backend_name()
        print(
            f"Enrolment contention on {dialect}: {TRAINEES} trainees at once, one offering "
            f"of {CAPACITY} seats, gunicorn {WORKERS} workers x {THREADS} threads"
        )
        print(
            f"{'round':<7}{'seconds':>9}{'enrol/s':>10}{'confirmed':>11}{'waitlisted':>12}"
            f"{'overbooked':>12}{'problems':>10}  HTTP statuses"
        )
        rates = []
        overbooked_total = problems_total = 0
        with running_server("wsgi:app", url, scratch / "gunicorn.log") as server:
            for number in range(1, ROUNDS + 1):
                run = run_first_come(app, server, ["KE"] * TRAINEES, CAPACITY)
                counts = run.by_status()
                overbooked = max(0, counts[CONFIRMED] - CAPACITY)
                problems = run.problems()
                seconds = run.race.seconds
                rates.append(TRAINEES / seconds)
                overbooked_total += overbooked
                problems_total += len(problems)
                statuses = dict(sorted(run.race.statuses().items(), key=lambda kv: str(kv[0])))
                print(
                    f"{number:<7}{seconds:>9.2f}{TRAINEES / seconds:>10.1f}"
                    f"{counts[CONFIRMED]:>11}{counts[WAITLISTED]:>12}{overbooked:>12}"
                    f"{len(problems):>10}  {statuses}"
                )
                for problem in problems[:5]:
                    print(f"       {problem}")
        with app.app_context():
            db.engine.dispose()
    print(
        f"median {statistics.median(rates):.1f} enrolments/s; "
        f"overbooked seats in all rounds: {overbooked_total}; problems: {problems_total}"
    )


if __name__ == "__main__":
    main()
