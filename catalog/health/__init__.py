"""``/healthz``: is this web process able to serve, and is the rest of the site alive?"""

from flask import Blueprint

bp = Blueprint("health", __name__)

from catalog.health import views  # noqa: E402,F401  (routes attach to bp)
