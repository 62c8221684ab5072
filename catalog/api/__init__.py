"""Read-only public JSON API, versioned under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from catalog.api import views  # noqa: E402,F401  (routes attach to bp)
