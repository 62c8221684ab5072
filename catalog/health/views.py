"""``GET /healthz``: 200 when every check passes, 503 otherwise, JSON either way."""

from __future__ import annotations

from flask import jsonify

from catalog.health import bp
from catalog.health.checks import run_checks


@bp.get("/healthz")
def healthz():
    checks = run_checks()
    healthy = all(check.ok for check in checks.values())
    response = jsonify(
        status="ok" if healthy else "fail",
        checks={name: {"ok": check.ok, **check.details} for name, check in checks.items()},
    )
    response.status_code = 200 if healthy else 503
    response.cache_control.no_store = True
    return response
