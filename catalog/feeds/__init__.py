"""Calendar feeds (RFC 5545) that calendar apps subscribe to."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from catalog.feeds import views  # noqa: E402,F401  (routes attach to bp)
