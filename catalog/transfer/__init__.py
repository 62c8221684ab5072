"""Training plans in and out: CSV import and export of the catalogue."""

from flask import Blueprint

bp = Blueprint("transfer", __name__, url_prefix="/manage")

from catalog.transfer import views  # noqa: E402,F401  (routes attach to bp)
