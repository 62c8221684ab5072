"""Fixtures for the seat races: a fresh database per run and a gunicorn server on it.

SQLite always runs; PostgreSQL runs when ``TEST_DATABASE_URL`` is a PostgreSQL
URL, and then only borrows that server: each run creates its own database on it
and drops it at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from catalog.extensions import db
from tests.concurrency.support import (
    Server,
    build_app,
    fresh_database,
    has_enrolment_routes,
    running_server,
    server_app_spec,
)


@pytest.fixture(autouse=True)
def app_context():
    """These tests bring their own database and server; the shared test database
    (and its per-test cleaning) is not used."""
    yield


@dataclass
class RaceDatabase:
    kind: str
    url: str
    app: Flask


def _postgresql_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url and make_url(url).get_backend_name() == "postgresql":
        return url
    return None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_database(request, tmp_path_factory):
    server_url = None
    if request.param == "postgresql":
        server_url = _postgresql_server_url()
        if server_url is None:
            pytest.skip("PostgreSQL races need TEST_DATABASE_URL=postgresql+psycopg://...")
    scratch = tmp_path_factory.mktemp(f"race-{request.param}")
    with fresh_database(server_url, scratch) as url:
        app = build_app(url)
        yield RaceDatabase(request.param, url, app)
        with app.app_context():
            db.engine.dispose()


def _serve(race_database: RaceDatabase, tmp_path_factory, naive: bool):
    if not has_enrolment_routes(race_database.app):
        pytest.fail("POST /offerings/<id>/enrol and /enrolments/<id>/withdraw are not registered")
    spec = server_app_spec(naive=naive)
    log_path = tmp_path_factory.mktemp("gunicorn") / "server.log"
    return running_server(spec, race_database.url, log_path)


@pytest.fixture(scope="module")
def server(race_database, tmp_path_factory) -> Server:
    """The real application under gunicorn, 4 workers x 8 threads."""
    with _serve(race_database, tmp_path_factory, naive=False) as running:
        yield running


@pytest.fixture
def naive_server(race_database, tmp_path_factory) -> Server:
    """The same application with the seat lock taken out (``naive_server.py``)."""
    with _serve(race_database, tmp_path_factory, naive=True) as running:
        yield running
