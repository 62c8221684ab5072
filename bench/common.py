"""Shared set-up for the benchmarks: an app on a scratch database, timing helpers."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable

from flask_migrate import upgrade
from sqlalchemy import text

from catalog import create_app
from catalog.extensions import db
from catalog.geo.services import sync_countries
from config import TestingConfig


def scratch_app(**settings):
    """An app on ``BENCH_DATABASE_URL`` (emptied first) or on a new SQLite file, with
    the testing settings plus ``settings``."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='catalog-bench-')}/bench.db"

    return migrated_app(url, empty_first=True, **settings)


def migrated_app(url: str, empty_first: bool = False, **settings):
    """The app (testing settings plus ``settings``) on ``url``, upgraded to the latest
    migration, with the country list. ``empty_first`` drops every PostgreSQL table."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    for name, value in settings.items():
        setattr(Config, name, value)
    app = create_app(Config)
    with app.app_context():
        if empty_first and db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        sync_countries()
        db.session.commit()
    return app


def median_ms(call: Callable[[], object], runs: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would."""
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
