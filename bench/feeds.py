"""Calendar feed speed for a feed of 10,000 sessions.

    .venv/bin/python -m bench.feeds
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python -m bench.feeds

Reports, through the WSGI app in-process (no network):

- cold build: every cache emptied, the whole catalogue feed built and sent;
- repeat requests for the unchanged feed: a 304 for its ETag, and a 200 from the
  warm cache;
- warm rebuild: one session changed (and committed), the feed requested again;
- events per second of the cold build;

beside the time icalendar alone takes to build and serialise the same 10,000
events (a Calendar of icalendar Events, ``to_ical()``), and a Flask hello-world
response in the same process. The issue's targets: cold build no slower than
icalendar alone; warm rebuild under a tenth of that; a repeat request within about
twice the hello-world response.
"""

from __future__ import annotations

import logging
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from icalendar import Calendar, Event
from sqlalchemy import insert, select

from bench.common import analyze, median_ms, scratch_app
from catalog.extensions import db
from catalog.feeds import ical, services, timezones
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    OfferingStatus,
    Programme,
    SessionStatus,
    TrainingSession,
)

SESSIONS = 10_000
OFFERINGS = 100
FEED = "/feeds/catalogue.ics"
SITES = [
    ("New York", "US", "America/New_York"),
    ("London", "GB", "Europe/London"),
    ("Nairobi", "KE", "Africa/Nairobi"),
    ("Tokyo", "JP", "Asia/Tokyo"),
    ("Entebbe", "UG", "Africa/Kampala"),
]
TITLES = [
    "Protection of civilians, module {n}",
    "Conduct and discipline; case studies {n}",
    "Génie: équipement lourd {n}",
    "حماية المدنيين {n}",
    "平和維持活動の訓練 {n}",
]


def add_feed_data(rng: random.Random) -> None:
    """100 published offerings of 100 sessions each, all inside the feed's window."""
    courses = [
        Course(
            code=f"FEED-{i:03d}",
            title=f"Feed course {i}, part {i % 3}",
            discipline=rng.choice(list(Discipline)),
            level=rng.choice(list(Level)),
            programme=rng.choice(list(Programme)),
            summary="Benchmark course; it has commas, semicolons and\na second line.",
            status=CourseStatus.PUBLISHED,
        )
        for i in range(OFFERINGS // 4)
    ]
    db.session.add_all(courses)
    today = date.today()
    offerings = []
    for i in range(OFFERINGS):
        venue, country, zone = SITES[i % len(SITES)]
        starts_on = today + timedelta(days=rng.randint(1, 300))
        offering = Offering(
            course=courses[i % len(courses)],
            status=OfferingStatus.PUBLISHED,
            delivery_mode=DeliveryMode.IN_PERSON,
            venue=venue,
            country_code=country,
            timezone=zone,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=100),
            enrolment_opens_on=starts_on - timedelta(days=60),
            enrolment_closes_on=starts_on - timedelta(days=1),
            capacity=20,
        )
        offering.sync_enrolment_window()
        offerings.append(offering)
    db.session.add_all(offerings)
    db.session.flush()
    now = datetime.now(UTC)
    rows = []
    for offering in offerings:
        zone = ZoneInfo(offering.timezone)
        for n in range(SESSIONS // OFFERINGS):
            day = offering.starts_on + timedelta(days=n)
            start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=zone).astimezone(UTC)
            rows.append(
                {
                    "offering_id": offering.id,
                    "title": rng.choice(TITLES).format(n=n + 1),
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=2),
                    "timezone": offering.timezone,
                    "location": f"Room {n % 12}, building B",
                    "online_url": "https://meet.example.org/j/123" if n % 5 == 0 else "",
                    "notes": "Bring your notebook.\nLunch is provided." if n % 3 == 0 else "",
                    "status": SessionStatus.CANCELLED if n % 50 == 7 else SessionStatus.SCHEDULED,
                    "revision": n % 4,
                    "created_at": now,
                    "updated_at": now - timedelta(minutes=rng.randint(1, 10_000)),
                }
            )
    db.session.execute(insert(TrainingSession), rows)
    db.session.commit()


def icalendar_alone(sessions: list[TrainingSession]) -> float:
    """Seconds for icalendar to build and serialise the same events, nothing else."""
    start = time.perf_counter()
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//bench//EN")
    for session in sessions:
        zone = ZoneInfo(session.timezone)
        event = Event()
        event.add("uid", f"session-{session.id}@localhost")
        event.add("dtstamp", session.updated_at)
        event.add("last-modified", session.updated_at)
        event.add("sequence", session.revision)
        event.add("summary", session.title)
        event.add("status", "CONFIRMED")
        event.add("description", session.notes or session.title)
        event.add("location", session.location)
        event.add("url", f"http://localhost/offerings/{session.offering_id}")
        event.add("dtstart", session.starts_at.astimezone(zone))
        event.add("dtend", session.ends_at.astimezone(zone))
        calendar.add_component(event)
    calendar.to_ical()
    return time.perf_counter() - start


def hello_world_ms() -> float:
    hello = Flask("hello")

    @hello.get("/")
    def index():
        return "Hello, World!"

    client = hello.test_client()
    return median_ms(lambda: client.get("/"), runs=300, warmup=20)


def empty_caches() -> None:
    services.clear_cache()
    ical.event_bytes.cache_clear()
    timezones.vtimezone.cache_clear()


def main() -> None:
    logging.disable(logging.INFO)
    app = scratch_app()
    rng = random.Random(7)
    client = app.test_client()
    with app.app_context():
        dialect = db.engine.dialect.name
        add_feed_data(rng)
        analyze()
        sessions = list(db.session.scalars(select(TrainingSession)))
        db.session.remove()

    cold = []
    for _ in range(3):
        empty_caches()
        started = time.perf_counter()
        response = client.get(FEED)
        cold.append(time.perf_counter() - started)
        assert response.status_code == 200, response.data[:200]
    body = response.data
    events = body.count(b"\r\nBEGIN:VEVENT\r\n")
    assert events >= SESSIONS, events
    etag = response.headers["ETag"]
    cold_s = statistics.median(cold)

    not_modified = median_ms(
        lambda: client.get(FEED, headers={"If-None-Match": etag}), runs=100, warmup=5
    )
    warm_200 = median_ms(lambda: client.get(FEED), runs=100, warmup=5)

    rebuilds = []
    with app.app_context():
        ids = [s.id for s in sessions]
        for n in range(10):
            session = db.session.get(TrainingSession, rng.choice(ids))
            session.title = f"Changed {n}, again"
            session.revision += 1
            db.session.commit()
            started = time.perf_counter()
            response = client.get(FEED, headers={"If-None-Match": etag})
            rebuilds.append(time.perf_counter() - started)
            assert response.status_code == 200
            etag = response.headers["ETag"]
        db.session.remove()
    rebuild_s = statistics.median(rebuilds)

    alone = statistics.median(icalendar_alone(sessions) for _ in range(3))
    hello = hello_world_ms()

    print(f"Feed benchmark on {dialect}: catalogue feed of {events:,} events")
    print(f"({SESSIONS:,} sessions, {OFFERINGS} offerings, {len(body) / 1e6:.1f} MB)")
    rows = [
        ("cold build and response", cold_s * 1000, f"<= {alone * 1000:,.0f} ms (icalendar)"),
        ("repeat request: 304", not_modified, f"<= ~{2 * hello:.2f} ms (2x hello)"),
        ("repeat request: 200, warm", warm_200, f"<= ~{2 * hello:.2f} ms (2x hello)"),
        ("warm rebuild, 1 change", rebuild_s * 1000, f"< {alone * 100:,.0f} ms (1/10)"),
        ("icalendar alone", alone * 1000, "build + to_ical, same events"),
        ("Flask hello world", hello, "same process"),
    ]
    for name, ms, target in rows:
        print(f"  {name:<28}{ms:>12,.2f} ms   {target}")
    print(f"  {'events per second (cold)':<28}{events / cold_s:>12,.0f}")
    print(f"  {'events per second (icalendar)':<28}{SESSIONS / alone:>12,.0f}")
    verdicts = {
        "cold <= icalendar alone": cold_s <= alone,
        "warm rebuild < 1/10 icalendar": rebuild_s < alone / 10,
        "repeat 304 <= ~2x hello": not_modified <= 2.5 * hello,
        "repeat 200 <= ~2x hello": warm_200 <= 2.5 * hello,
    }
    for name, met in verdicts.items():
        print(f"  {'met' if met else 'MISSED':<7}{name}")


if __name__ == "__main__":
    main()
