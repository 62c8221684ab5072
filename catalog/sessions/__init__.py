"""Scheduling an offering's sessions: its instructors and the coordinators add, move,
cancel and restore them, one at a time or as a weekly or daily series."""

from flask import Blueprint

bp = Blueprint(
    "sessions",
    __name__,
    url_prefix="/manage/offerings/<int(max=2147483647):offering_id>/sessions",
)

from catalog.sessions import views  # noqa: E402,F401  (routes attach to bp)
