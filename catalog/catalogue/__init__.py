"""The catalogue: finding, reading and publishing courses and offerings."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from catalog.catalogue import views  # noqa: E402,F401  (routes attach to bp)
