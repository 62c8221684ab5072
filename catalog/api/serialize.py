"""Offerings and sessions as the API publishes them: plain dicts of JSON types.

Absolute URLs start from ``BASE_URL`` when it is set (the public address behind a
proxy), else from the address the request came to.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, request, url_for

from catalog.models import Offering, TrainingSession
from catalog.timeutil import in_zone


def absolute_url(path: str) -> str:
    """``path``, given from the application's root, as an absolute URL."""
    root = current_app.config.get("BASE_URL") or request.url_root
    return root.rstrip("/") + path


def offering_url(offering_id: int) -> str:
    # url_for includes the mount point (SCRIPT_NAME), which request.url_root already
    # holds and BASE_URL is taken to hold.
    path = url_for("catalogue.offering", offering_id=offering_id)
    return absolute_url(path.removeprefix(request.script_root))


def feed_url(offering_id: int) -> str:
    # Written out rather than built with url_for: the feed route arrives later, and
    # the address is part of the API either way.
    return absolute_url(f"/feeds/offerings/{offering_id}.ics")


def offering_json(
    offering: Offering, seats_left: int, now: datetime, language: str | None = None
) -> dict:
    """One offering; its course must already be loaded (no query is issued here).
    ``language`` asks for the course title in that language, falling back to the
    original; without it the title is the original."""
    course = offering.course
    return {
        "id": offering.id,
        "status": offering.status.value,
        "course_code": course.code,
        "title": course.text_in(language)[0] if language else course.title,
        "discipline": course.discipline.value,
        "level": course.level.value,
        "mode": offering.delivery_mode.value,
        "country": offering.country_code,
        "timezone": offering.timezone,
        "language": offering.language,
        "starts_on": offering.starts_on.isoformat(),
        "ends_on": offering.ends_on.isoformat(),
        "capacity": offering.capacity,
        "seats_left": seats_left,
        "enrolment_open": offering.enrolment_open_at(now),
        "url": offering_url(offering.id),
        "feed_url": feed_url(offering.id),
    }


def session_json(session: TrainingSession) -> dict:
    """One session, its times written with the offset of its own zone."""
    return {
        "id": session.id,
        "title": session.title,
        "starts_at": in_zone(session.starts_at, session.timezone).isoformat(timespec="seconds"),
        "ends_at": in_zone(session.ends_at, session.timezone).isoformat(timespec="seconds"),
        "timezone": session.timezone,
        "status": session.status.value,
        "location": session.location or session.online_url,
    }
