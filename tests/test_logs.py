"""Structured logs: JSON lines, one access line per request, no secrets (catalog/logs.py)."""

from __future__ import annotations

import json
import logging

import pytest

from catalog import create_app
from catalog.logs import JsonFormatter
from config import TestingConfig


@pytest.fixture
def logging_app(app):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        ACCESS_LOG = True

    logged = create_app(Config)
    yield logged
    with logged.app_context():
        from catalog.extensions import db

        db.engine.dispose()


def access_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "catalog.access"]


def test_a_record_is_one_line_of_json_with_its_extra_fields():
    record = logging.makeLogRecord(
        {"name": "catalog.jobs", "levelname": "WARNING", "msg": "sent %d", "args": (3,)}
    )
    record.job = "deliver_outbox"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "sent 3"
    assert entry["level"] == "warning"
    assert entry["logger"] == "catalog.jobs"
    assert entry["job"] == "deliver_outbox"
    assert entry["time"].endswith("+00:00")


def test_a_traceback_stays_inside_the_line():
    try:
        raise ValueError("bad seat count")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), exc_info=__import__("sys").exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad seat count" in entry["exception"]


def test_each_request_gets_an_access_line_and_an_id(logging_app, caplog):
    caplog.set_level(logging.INFO, logger="catalog.access")
    response = logging_app.test_client().get("/catalogue?q=medical")
    [line] = access_lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", "/catalogue", 200)
    assert "medical" not in JsonFormatter().format(line)
    assert line.duration_ms > 0
    assert line.request_id == response.headers["X-Request-ID"]
    assert len(response.headers["X-Request-ID"]) == 32


def test_the_proxy_request_id_is_kept_when_sensible(logging_app, caplog):
    caplog.set_level(logging.INFO, logger="catalog.access")
    client = logging_app.test_client()
    kept = client.get("/", headers={"X-Request-ID": "nginx-4f2a9c1e77"})
    assert kept.headers["X-Request-ID"] == "nginx-4f2a9c1e77"
    replaced = client.get("/", headers={"X-Request-ID": "bad id\"><script>"})
    assert replaced.headers["X-Request-ID"] != "bad id\"><script>"
    assert [line.request_id for line in access_lines(caplog)] == [
        "nginx-4f2a9c1e77",
        replaced.headers["X-Request-ID"],
    ]


@pytest.mark.parametrize(
    "url", ["/feeds/me/Zq8secretFeedToken42.ics", "/account/password/reset/Zq8secretFeedToken42"]
)
def test_secrets_in_addresses_never_reach_the_log(logging_app, caplog, url):
    caplog.set_level(logging.INFO, logger="catalog.access")
    logging_app.test_client().get(url)
    [line] = access_lines(caplog)
    formatted = JsonFormatter().format(line)
    assert "Zq8secretFeedToken42" not in formatted
    assert "[redacted]" in line.path


def test_health_polls_are_logged_only_when_they_fail(logging_app, caplog):
    caplog.set_level(logging.INFO, logger="catalog.access")
    client = logging_app.test_client()
    assert client.get("/healthz").status_code == 503  # no scheduler has run here
    with logging_app.app_context():
        from catalog.database import utcnow
        from catalog.extensions import db
        from catalog.models import JobState

        db.session.add(JobState(job_id="deliver_outbox", last_finished_at=utcnow(), last_ok=True))
        db.session.commit()
    assert client.get("/healthz").status_code == 200
    assert [line.status for line in access_lines(caplog)] == [503]
