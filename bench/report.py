"""bench/RESULTS.md from the figures of one run of ``bench/run.py``."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Results, Row


def mib(kib: int | None) -> str:
    return "?" if kib is None else f"{kib / 1024:.1f} MiB"


def settings_text(settings: dict) -> str:
    shown = [
        f"{name}={'127.0.0.1:<a free port>' if name == 'bind' else value}"
        for name, value in settings.items()
        if name != "source"
    ]
    return ", ".join(shown) + f" (from {settings.get('source', '?')})"


def _ms(value: float) -> str:
    return f"{value:.2f} ms"


def _pages(rows: list[Row]) -> list[str]:
    lines = [
        "| measurement | requests/s | p50 | p99 | hello-world requests/s | ratio | goal | met? |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        name = row.name + (" ¹" if row.load.connections == 1 else "")
        if row.restarts:
            name += f" ({row.restarts} worker{'s' if row.restarts > 1 else ''} replaced)"
        goal = "—" if row.goal is None else f"≥ {row.goal:.0%} of hello world"
        met = "—" if row.met is None else ("yes" if row.met else "**no**")
        if row.result.problems:
            name += f" ({row.result.problems})"
        lines.append(
            f"| {name} | {row.result.requests_per_second:,.1f} | {_ms(row.result.p50_ms)} | "
            f"{_ms(row.result.p99_ms)} | {row.hello.requests_per_second:,.1f} | "
            f"{row.ratio:.1%} | {goal} | {met} |"
        )
    return lines


def _hello(results: Results) -> list[str]:
    lines = []
    for load in results.loads:
        rates = [r.hello.requests_per_second for r in results.rows if r.load == load]
        if rates:
            lines.append(
                f"- `{load.describe()}`: {len(rates)} runs, {min(rates):,.0f} to "
                f"{max(rates):,.0f} requests/s (median {statistics.median(rates):,.0f})."
            )
    return lines


def _crashes(results: Results) -> list[str]:
    lines = ["## Worker crashes", ""]
    if not results.crashes:
        return [*lines, "No gunicorn worker crashed, hung or was killed during the run.", ""]
    lines += [
        "**Workers crashed during the run** (each replaced by gunicorn; the logs, with "
        f"the Python stack of every thread, are in `{results.scratch}`):",
        "",
    ]
    for server, found in results.crashes.items():
        lines += [f"- {server}: `{line[:200]}`" for line in found[:5]]
    return [*lines, ""]


def _rounds(results: Results) -> list[str]:
    lines = [
        "| round | seconds | enrolments/s | confirmed | waitlisted | overbooked | problems "
        "| HTTP statuses |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for number, outcome in enumerate(results.rounds, 1):
        statuses = ", ".join(f"{code}: {count}" for code, count in outcome.statuses.items())
        lines.append(
            f"| {number} | {outcome.seconds:.2f} | {outcome.per_second:.1f} | "
            f"{outcome.confirmed} | {outcome.waitlisted} | {outcome.overbooked} | "
            f"{len(outcome.problems)} | {statuses} |"
        )
    return lines


def markdown(results: Results) -> str:
    seeded = results.seeded
    assert seeded is not None
    machine = results.machine
    concurrent, one = results.loads
    rates = [r.per_second for r in results.rounds]
    overbooked = sum(r.overbooked for r in results.rounds)
    problems = sum(len(r.problems) for r in results.rounds)
    scheduler = results.scheduler
    out = [
        "# Load benchmark results",
        "",
        f"Written by `make bench` (`bench/run.py`) on "
        f"{results.started_at:%Y-%m-%d %H:%M} UTC; the whole run took "
        f"{results.seconds / 60:.1f} minutes ({results.seconds:.0f} s). Figures are this "
        "machine's: wrk, gunicorn and PostgreSQL share its cores.",
        "",
        "## Set-up",
        "",
        f"- Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory']} memory, "
        f"{machine['system']}",
        f"- Load average at the start: {', '.join(f'{x:.2f}' for x in results.load_average)} "
        f"(at the end: {', '.join(f'{x:.2f}' for x in results.load_average_end)})",
        f"- Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"gunicorn {machine['gunicorn']}, wrk at `{machine['wrk']}`",
        f"- gunicorn: {settings_text(results.settings)}. Hello world (`bench/hello.py`) "
        "ran under exactly these settings, beside the application.",
        f"- Load: `{concurrent.describe()}` after a {concurrent.warmup_seconds} s warm-up run; "
        f"rows marked ¹ `{one.describe()}` (one request at a time). Each row's hello-world "
        "figure was measured just before it, under the same load.",
        "- Application: `wsgi:app` with `CATALOG_ENV=production`, a random 64-hex "
        "`SECRET_KEY`, `RATELIMIT_STORAGE_URI=memory://`, on a PostgreSQL database "
        "created for the run and dropped after it.",
        f"- Data: {seeded.offerings:,} offerings ({seeded.listed:,} published and not "
        f"ended, so listed) of {seeded.courses} courses in 4 disciplines, in 12 host countries "
        f"or remote, starting over two years (six months back, eighteen ahead), some with "
        f"country quotas; {seeded.sessions:,} sessions; {seeded.trainees:,} trainees with "
        f"{seeded.enrolments:,} enrolments. Loaded in {results.seed_seconds:.1f} s "
        "(migrations, country list, bulk inserts, VACUUM ANALYZE).",
        f"- Filtered search: `{results.search}`.",
        "",
        "## Pages and feeds",
        "",
        *_pages(results.rows),
        "",
        "- *Anonymous*: no cookie at all, so the page cache (`catalog/pagecache.py`) "
        "answers after the first request in each worker ("
        + "; ".join(f"`{path}`: {seen}" for path, seen in results.page_cache.items())
        + " before the runs). *Logged-in trainee*: the session cookie of a real login "
        "(form and CSRF token), a trainee confirmed in ten offerings; pages are rendered "
        "for every request.",
        "- *Worker restarts*: production's `max_requests` replaces a worker after about "
        f"{results.settings.get('max_requests', 0):,} requests (0: never); a new worker "
        "loads the application again (about a second of CPU). "
        "Workers replaced during a run (by `max_requests` or after a crash, see *Worker "
        "crashes*; its warm-up included) are counted beside its name.",
        "- *Personal feed*: the calendar address of that trainee, 500 sessions in ten "
        "offerings, about "
        f"{int(results.feed_bytes) // 1024 if results.feed_bytes else '?'} KiB.",
        "- *200 cold*: before each request the worker that serves it empties every cache a "
        "feed uses: built feeds and feed owners (`services.clear_cache()`), serialised events "
        "(`ical.event_bytes`) and time zones (`timezones.vtimezone`), through a gunicorn "
        "`pre_request` hook of the benchmark (`bench/gunicorn_bench.py`) that acts only on "
        "an `X-Bench-Cold` header. Every request therefore reads the feed's sessions and "
        "serialises all 500 events. Sent one at a time, so no concurrent request can fill "
        "a cache half-way through another; its requests/s is one client's, compared with "
        "hello world's for one client.",
        "- *200 rebuilt, events cached*: only `services.clear_cache()`: the feed is "
        "queried and assembled again from events serialised before (what a second "
        "subscriber to the same sessions, or a change elsewhere in the feed, costs).",
        "- *200 warm* and *304*: the same address again and again (the 304 with the ETag of "
        "the first answer in `If-None-Match`).",
        "",
        "Hello world was measured right before each row under the same load (its "
        "figure is in the row); how much it varied over the run:",
        "",
        *_hello(results),
        "",
        "## Worker recycling",
        "",
        "The anonymous catalogue again on the servers above, then at once on two more "
        "started with the same settings but `max_requests=0` (workers never replaced), "
        "each after its own hello world:",
        "",
        *_pages(results.recycling),
        "",
        *_crashes(results),
        "## Enrolment under contention",
        "",
        f"Each round: a first-come-first-served offering of 20 seats and "
        f"{results.rounds[0].trainees if results.rounds else 200} trainees, each logged in "
        "through the form (with its CSRF token), all their enrolments released together "
        "(one connection each, one barrier); timed from the release to the last answer. "
        "The checks of `tests/concurrency/support.py` then compare the database and every "
        "answer with a serialised allocation.",
        "",
        *_rounds(results),
        "",
        f"Median {statistics.median(rates) if rates else 0:.1f} enrolments/s; overbooked "
        f"seats in all rounds: **{overbooked}** (must be 0); problems: {problems}.",
        "",
        "## Memory",
        "",
        "Peak resident set (`VmHWM` in `/proc/<pid>/status`) of each gunicorn process "
        "after every run above, and of the scheduler running every job once "
        "(`flask --app wsgi scheduler run-once`) against the whole catalogue, read from "
        "the kernel as it exits (`wait4`, `ru_maxrss`).",
        "",
        "| process | peak RSS |",
        "| --- | ---: |",
        *[f"| {name} | {mib(peak)} |" for name, peak in results.memory],
    ]
    if scheduler is not None:
        out += [
            f"| scheduler run-once ({scheduler.seconds:.1f} s) | {mib(scheduler.peak_kib)} |",
            "",
            "Scheduler jobs: " + "; ".join(f"`{job}`" for job in scheduler.jobs) + ".",
        ]
    return "\n".join(out) + "\n"
