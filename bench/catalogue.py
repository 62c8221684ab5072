"""Catalogue speed at 50 and at 5,000 offerings.

    .venv/bin/python -m bench.catalogue
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python -m bench.catalogue

Reports the median time of the first catalogue page, a filtered search and the
API's first page, through the WSGI app in-process (no network), so the figures
are the application's and the database's own cost (the page cache is off: every
request renders). The goal: at 5,000 offerings within 2x of the time at 50.
"""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta

from bench.common import analyze, median_ms, scratch_app
from catalog.extensions import db
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    OfferingQuota,
    OfferingStatus,
    Programme,
)

SITES = [
    ("Nairobi", "KE", "Africa/Nairobi"),
    ("Entebbe", "UG", "Africa/Kampala"),
    ("Hanoi", "VN", "Asia/Ho_Chi_Minh"),
    ("Jakarta", "ID", "Asia/Jakarta"),
    ("Rabat", "MA", "Africa/Casablanca"),
]
WORDS = [
    "Heavy",
    "Engineering",
    "Equipment",
    "Medical",
    "Field",
    "Signals",
    "Camp",
    "Security",
    "Construction",
    "Management",
    "Génie",
    "Santé",
    "Maintenance",
]
QUERIES = {
    "first catalogue page": "/catalogue",
    "filtered search": "/catalogue?discipline=engineering&mode=in_person&q=equipment&open=1",
    "API first page": "/api/v1/offerings",
}


def add_offerings(count: int, rng: random.Random, start_index: int) -> None:
    courses = [
        Course(
            code=f"BENCH-{start_index + i:05d}",
            title=" ".join(rng.sample(WORDS, 3)),
            discipline=rng.choice(list(Discipline)),
            level=rng.choice(list(Level)),
            programme=rng.choice(list(Programme)),
            summary=" ".join(rng.sample(WORDS, 6)),
            status=CourseStatus.PUBLISHED,
        )
        for i in range(max(1, count // 10))
    ]
    db.session.add_all(courses)
    today = date.today()
    for _ in range(count):
        starts_on = today + timedelta(days=rng.randint(-30, 365))
        remote = rng.random() < 0.25
        venue, country, zone = rng.choice(SITES)
        offering = Offering(
            course=rng.choice(courses),
            status=OfferingStatus.PUBLISHED if rng.random() < 0.9 else OfferingStatus.DRAFT,
            delivery_mode=DeliveryMode.REMOTE if remote else DeliveryMode.IN_PERSON,
            venue="" if remote else venue,
            country_code=None if remote else country,
            timezone=zone,
            language=rng.choice(["en", "en", "fr"]),
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=rng.choice([7, 14, 42])),
            enrolment_opens_on=starts_on - timedelta(days=60),
            enrolment_closes_on=starts_on - timedelta(days=14),
            capacity=rng.randint(10, 24),
        )
        if rng.random() < 0.3:
            offering.quotas.append(OfferingQuota(country_code=country, seats=4))
        db.session.add(offering)
    db.session.commit()


def measure(client) -> dict[str, float]:
    results = {}
    for name, url in QUERIES.items():
        assert client.get(url).status_code == 200, url
        results[name] = median_ms(lambda url=url: client.get(url))
    return results


def main() -> None:
    logging.disable(logging.INFO)
    app = scratch_app(PAGE_CACHE_SECONDS=0)
    rng = random.Random(42)
    client = app.test_client()
    with app.app_context():
        dialect = db.engine.dialect.name
        add_offerings(50, rng, 0)
        analyze()
        small = measure(client)
        add_offerings(4950, rng, 50)
        analyze()
        large = measure(client)
    print(f"Catalogue benchmark on {dialect} (median of 30 requests, in-process)")
    print(f"{'request':<24}{'50 offerings':>15}{'5,000 offerings':>18}{'ratio':>8}")
    for name in QUERIES:
        ratio = large[name] / small[name]
        print(f"{name:<24}{small[name]:>12.1f} ms{large[name]:>15.1f} ms{ratio:>7.2f}x")


if __name__ == "__main__":
    main()
