"""Helpers for the security tests: apps built with other settings on the test
database, Redis for the shared rate-limit storage, and reading the audit log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flask import Flask
from sqlalchemy import select

from catalog import create_app
from catalog.extensions import db
from catalog.models import SecurityEvent
from config import ProductionConfig, TestingConfig

REDIS_URL = "redis://127.0.0.1:6379/0"
PRODUCTION_SECRET = "p" * 48


@contextlib.contextmanager
def built_app(shared: Flask, base=TestingConfig, **settings) -> Iterator[Flask]:
    """An app of ``base`` config with ``settings``, on the test run's database.

    Routes and limits are fixed once an app serves requests, so each setting to
    try needs an app of its own."""
    values = {"SQLALCHEMY_DATABASE_URI": shared.config["SQLALCHEMY_DATABASE_URI"], **settings}
    config = type("Config", (base,), values)
    app = create_app(config)
    app.test_client_class = shared.test_client_class  # the suite's IsolatedClient
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def production_app(shared: Flask, **settings):
    """The production config with a real secret; CSRF stays on, as in production."""
    return built_app(shared, ProductionConfig, SECRET_KEY=PRODUCTION_SECRET, **settings)


def limited_app(shared: Flask, **settings):
    """The testing config with rate limits on, in a fresh in-memory storage unless
    ``settings`` name another."""
    return built_app(
        shared, **{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", **settings}
    )


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def events(kind: str | None = None) -> list[SecurityEvent]:
    query = select(SecurityEvent).order_by(SecurityEvent.id)
    if kind is not None:
        query = query.where(SecurityEvent.kind == kind)
    return list(db.session.scalars(query))
