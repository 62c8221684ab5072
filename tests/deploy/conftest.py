"""One production stack for the module: a fresh database (SQLite, or a new database
on the PostgreSQL server that ``TEST_DATABASE_URL`` names), gunicorn and nginx.

Skipped, saying why, when nginx or openssl is missing; CI installs both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask

from catalog.extensions import db
from catalog.feeds.services import issue_token, token_for
from catalog.models import TrainingSession
from tests.concurrency.support import build_app, fresh_database
from tests.deploy.support import (
    Gunicorn,
    Nginx,
    missing_tools_reason,
    run_scheduler_once,
    running_gunicorn,
    running_nginx,
)
from tests.factories import make_offering, make_user

# nginx keeps a feed this long before asking the app again (FEED_CACHE_SECONDS).
FEED_CACHE_SECONDS = 1


@pytest.fixture(autouse=True)
def app_context():
    """These tests bring their own database and servers; the shared test database
    (and its per-test cleaning) is not used."""
    yield


@dataclass
class Stack:
    app: Flask
    gunicorn: Gunicorn
    nginx: Nginx
    offering_id: int
    session_id: int
    feed_token: str

    def log_text(self) -> str:
        return self.nginx.logs() + self.gunicorn.log_path.read_text(errors="replace")


def seed(app: Flask, secret_key: str) -> tuple[int, int, str]:
    """A published offering with two sessions, and a trainee with a personal feed
    address (the token is derived from the server's SECRET_KEY)."""
    # Token hashes are keyed with the SECRET_KEY: use the server's.
    app.config["SECRET_KEY"] = secret_key
    with app.app_context():
        offering = make_offering(starts_in_days=30)
        day = datetime.combine(offering.starts_on, time(7, 0), tzinfo=UTC)
        sessions = [
            TrainingSession(
                offering=offering,
                title=title,
                starts_at=day + timedelta(days=number),
                ends_at=day + timedelta(days=number, hours=3),
                timezone=offering.timezone,
                location="Classroom 1",
            )
            for number, title in enumerate(["Opening briefing", "Vehicle checks"])
        ]
        db.session.add_all(sessions)
        trainee = make_user("trainee.deploy@example.org")
        token_row = issue_token(trainee, "phone")
        db.session.commit()
        token = token_for(token_row)
        ids = offering.id, sessions[1].id
        db.session.remove()
    return *ids, token


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Stack:
    reason = missing_tools_reason()
    if reason is not None:
        pytest.skip(reason)
    scratch = tmp_path_factory.mktemp("deploy")
    with fresh_database(os.environ.get("TEST_DATABASE_URL"), scratch) as url:
        app = build_app(url)
        try:
            with running_gunicorn(url, scratch) as gunicorn:
                offering_id, session_id, token = seed(app, gunicorn.secret_key)
                # A scheduler has run (the health check looks for its heartbeat).
                run_scheduler_once(gunicorn.env, scratch / "scheduler.log")
                nginx_dir = scratch / "nginx"
                with running_nginx(nginx_dir, gunicorn.port, FEED_CACHE_SECONDS) as nginx:
                    yield Stack(app, gunicorn, nginx, offering_id, session_id, token)
        finally:
            with app.app_context():
                db.engine.dispose()
