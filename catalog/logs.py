"""Logs a machine can read: one JSON object a line, and one line a request.

With ``LOG_FORMAT=json`` (the production default) every log record goes to
standard error as JSON, which journald, Loki or any log shipper take as they are.
Each request gets an id (``X-Request-ID`` from the proxy when it sent a sensible
one, otherwise a new one), returned in the response and put on every line logged
while the request runs, so one request's lines can be found together.

Secrets that travel in addresses (personal feed tokens, password-reset tokens)
never reach a log: the access line names the route with them replaced.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

access_log = logging.getLogger("catalog.access")

# Address parts that are credentials; their values are never logged.
SECRET_ARGUMENTS = frozenset({"token"})
REDACTED = "[redacted]"
QUIET_WHEN_OK = frozenset({"health.healthz"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# One encoder for every line (json.dumps with options would build one per call).
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)

# LogRecord's own attributes; anything else on a record came from ``extra=``.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, message, the
    request id, any ``extra=`` fields, and the traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(entry)


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g and not hasattr(record, "request_id"):
            record.request_id = g.request_id
        return True


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Send every record to standard error in ``log_format`` (``json`` or ``text``).
    Used by the web app and by the scheduler process alike."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RequestIdFilter())
    # Records need not name their thread and process (the formatter never writes
    # them): the logging documentation's own advice for cheaper records.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic lists its plugins each time a process starts.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def logged_path() -> str:
    """The request's path with secret address parts replaced, without the query
    (which may hold search words people would rather not have kept)."""
    rule = request.url_rule
    arguments = request.view_args or {}
    if rule is None or not SECRET_ARGUMENTS & arguments.keys():
        return request.path
    path = request.path
    for name in SECRET_ARGUMENTS & arguments.keys():
        path = path.replace(str(arguments[name]), REDACTED)
    return path


def _user_id() -> int | None:
    """The logged-in person's id, if the request loaded them: a request that never
    asked who is logged in (a calendar app fetching a feed) is not made to now."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    return user.id if user is not None and user.is_authenticated else None


# Request ids made here: a random part, the process id (in case of a fork after
# import) and a counter: unique enough for finding a request's lines, without
# reading the system's random source for every request.
_ID_PREFIX = uuid.uuid4().hex[:16]
_id_counter = itertools.count(1)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = (
        given
        if REQUEST_ID.match(given)
        else (f"{_ID_PREFIX}{os.getpid():06x}{next(_id_counter):010x}")
    )


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    # A monitor polls /healthz every few seconds: only its failures are news.
    quiet = request.endpoint in QUIET_WHEN_OK and response.status_code == 200
    if started is not None and not quiet and access_log.isEnabledFor(logging.INFO):
        path = logged_path()
        fields = {
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "bytes": response.calculate_content_length(),
            "user_id": _user_id(),
            "remote_addr": request.remote_addr,
            "request_id": g.request_id,
        }
        # Made and handled directly: Logger.info would also walk the stack to find
        # its caller, which is always this line.
        record = access_log.makeRecord(
            access_log.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %s",
            (request.method, path, response.status_code),
            None,
            extra=fields,
        )
        access_log.handle(record)
    return response


def init_logging(app: Flask) -> None:
    """Configure logging for this process, and log each request when
    ``ACCESS_LOG`` is on (the development server logs its own)."""
    if app.config["LOG_FORMAT"] and not app.testing:
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_set_request_id)
    if app.config["ACCESS_LOG"]:
        app.after_request(_finish)


def _set_request_id(response: Response) -> Response:
    response.headers.setdefault("X-Request-ID", g.get("request_id", ""))
    return response
