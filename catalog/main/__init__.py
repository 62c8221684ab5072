"""Public pages: the home page and the language switch."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from catalog.main import views  # noqa: E402,F401  (routes attach to bp)
