"""gunicorn settings for the catalogue: ``gunicorn -c deploy/gunicorn.conf.py``.

Used by ``make serve`` (deploy/serve.sh), the systemd unit and the nginx test.
Every value can be changed through the environment named beside it.
"""

import os
import sys
from pathlib import Path

# The project root, so ``wsgi`` and ``config`` import whatever directory gunicorn
# was started from (gunicorn adds its working directory only after reading this file).
PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND", "127.0.0.1:8000")

# Processes x threads. One thread per process by default: under heavy concurrent
# load with four threads per process, workers were seen to die of a segmentation
# fault inside compiled extension code (Python 3.11.7, SQLAlchemy 2.1.9; see
# docs/scaling.md), never with one. Pages are CPU-bound Python, so on these cores
# threads bought little. Each process keeps its own connection pool: PostgreSQL
# needs max_connections above workers x threads (+ the scheduler).
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "1"))

# Each worker builds its own app: no database connection is shared across a fork.
preload_app = False

timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 20  # on restart or stop, time for requests in flight to finish
keepalive = 5  # nginx keeps connections open to us (upstream keepalive)
# Replace a worker after about this many requests, staggered so they do not all
# restart together: a guard against slow memory leaks in any library. Loading the
# app takes a worker about a second of CPU and its page and feed caches start
# empty, so not too often: at 1,000 requests/s over five workers, every few minutes.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10

# X-Forwarded-Proto is believed only from the proxy; the app's TRUSTED_PROXIES does
# the same for X-Forwarded-For.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# No gunicorn access log: the app writes one line per request itself (with feed
# tokens redacted). gunicorn's own messages go to standard error, i.e. the journal.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# gunicorn 25.1+ opens a control socket in the user's home or runtime directory;
# systemd signals are all this deployment uses, and the unit's home is read-only.
control_socket_disable = True


def _log_format() -> str:
    """LOG_FORMAT as the app reads it (config.py), so both logs agree."""
    from config import config_from_environment

    default = os.environ.get("LOG_FORMAT", "text")
    return str(getattr(config_from_environment(), "LOG_FORMAT", default)).lower()


if _log_format() == "json":
    # gunicorn's own lines (boot, worker restarts, timeouts) as JSON, like the app's.
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "formatters": {"json": {"()": "catalog.logs.JsonFormatter"}},
    }
