"""gunicorn settings for the load benchmarks: production's, plus three small hooks.

    gunicorn -c bench/gunicorn_bench.py wsgi:app         (and bench.hello:app)

Every setting comes from ``deploy/gunicorn.conf.py`` when that file exists, so the
benchmark serves the application as production does. Without it, the same
settings are written here: bind from ``BIND``, ``WEB_CONCURRENCY`` workers (2 x
cores + 1 by default) of the gthread class with ``WEB_THREADS`` threads (4).

The hooks added on top (each calls production's own hook of that name first):

- ``when_ready`` writes the settings in force to ``BENCH_SETTINGS_FILE`` (JSON),
  for the results file;
- ``post_worker_init`` creates ``BENCH_READY_DIR/<pid>``: the benchmark starts
  once every worker has loaded the application;
- ``pre_request`` empties the calendar feed caches of the worker when a request
  carries ``X-Bench-Cold: all`` (every cache a feed uses) or ``X-Bench-Cold: feed``
  (built feeds and feed owners only, serialised events kept). Only the feed
  benchmark sends it.

``BENCH_MAX_REQUESTS`` overrides ``max_requests``, for the one comparison of
worker recycling; every other run uses production's value.
"""

import json
import os
from pathlib import Path

PRODUCTION_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"

if PRODUCTION_CONFIG.exists():
    _source = PRODUCTION_CONFIG.read_text(encoding="utf-8")
    _namespace = {"__file__": str(PRODUCTION_CONFIG), "__name__": "gunicorn_production"}
    exec(compile(_source, str(PRODUCTION_CONFIG), "exec"), _namespace)
    globals().update({k: v for k, v in _namespace.items() if not k.startswith("__")})
    settings_source = str(PRODUCTION_CONFIG.relative_to(PRODUCTION_CONFIG.parents[1]))
else:
    bind = os.environ.get("BIND", "127.0.0.1:8000")
    workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
    worker_class = "gthread"
    threads = int(os.environ.get("WEB_THREADS", "4"))
    settings_source = "bench/gunicorn_bench.py (deploy/gunicorn.conf.py not found)"

# Only for the benchmark's comparison of worker recycling: the same settings with
# another max_requests (0: workers are never replaced).
if os.environ.get("BENCH_MAX_REQUESTS"):
    max_requests = int(os.environ["BENCH_MAX_REQUESTS"])
    settings_source += f", max_requests={max_requests} for a comparison"

# gunicorn 25.1+ opens a control socket shared by every server of the user; the
# benchmark's servers need none.
control_socket_disable = True

_production_when_ready = globals().get("when_ready")
_production_post_worker_init = globals().get("post_worker_init")
_production_pre_request = globals().get("pre_request")

SHOWN_SETTINGS = (
    "bind",
    "workers",
    "worker_class",
    "threads",
    "worker_connections",
    "timeout",
    "graceful_timeout",
    "keepalive",
    "backlog",
    "max_requests",
    "max_requests_jitter",
    "preload_app",
    "accesslog",
    "errorlog",
    "loglevel",
)


def when_ready(server):
    if _production_when_ready:
        _production_when_ready(server)
    target = os.environ.get("BENCH_SETTINGS_FILE")
    if target:
        shown = {name: server.cfg.settings[name].get() for name in SHOWN_SETTINGS}
        shown["source"] = settings_source
        Path(target).write_text(json.dumps(shown, default=str), encoding="utf-8")


def post_worker_init(worker):
    if _production_post_worker_init:
        _production_post_worker_init(worker)
    ready_dir = os.environ.get("BENCH_READY_DIR")
    if ready_dir:
        (Path(ready_dir) / str(worker.pid)).touch()


def pre_request(worker, req):
    if _production_pre_request:
        _production_pre_request(worker, req)
    for name, value in req.headers:
        if name == "X-BENCH-COLD":
            _empty_feed_caches(everything=value.strip() == "all")
            break


def _empty_feed_caches(everything: bool) -> None:
    from catalog.feeds import ical, services, timezones

    services.clear_cache()
    if everything:
        ical.event_bytes.cache_clear()
        timezones.vtimezone.cache_clear()
