"""Shared fixtures: one app and database per test run, a clean state per test.

The schema is built by running the Alembic migrations, so every test also
exercises them. Set ``TEST_DATABASE_URL`` to run on PostgreSQL.
"""

from __future__ import annotations

import contextvars
import os

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from catalog import create_app
from catalog.extensions import db
from catalog.geo.services import sync_countries
from catalog.pagecache import page_store
from config import TestingConfig

# Reference data that tests share and never change.
KEPT_TABLES = {"countries", "alembic_version", "data_versions"}


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def reset_database() -> None:
    """Drop everything in the test database, including Alembic's own table."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        db.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def clean_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


class IsolatedClient(FlaskClient):
    """A test client whose requests run as they do in production.

    Flask reuses an app context that is already pushed, so without this every
    request would share the test's database session and cached locale. Each
    request runs in an empty context instead, after the test's own transaction
    is committed (tests set data up, then a person acts); the test's objects are
    then expired and reload what the request wrote.
    """

    def open(self, *args, **kwargs):
        if has_app_context():  # not when following a redirect, already isolated
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url(tmp_path_factory)

    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        reset_database()
        upgrade()
        sync_countries()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def app_context(app):
    """Each test runs inside an app context and leaves empty tables behind."""
    with app.app_context():
        yield
        db.session.remove()
        clean_tables()
        # Emptied tables change no stamp: forget pages as a restarted server would.
        page_store(app).clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = "correct horse battery"):
        return self._client.post("/account/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/account/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
