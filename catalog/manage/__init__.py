"""Coordinators' pages: create, edit, publish and cancel courses and offerings."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")

from catalog.manage import views  # noqa: E402,F401  (routes attach to bp)
