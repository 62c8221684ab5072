"""Jinja filters and globals used by every template."""

from datetime import date, datetime

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale, get_timezone

from catalog.i18n import LANGUAGE_NAMES
from catalog.labels import label
from catalog.timeutil import in_zone


def zoned(moment: datetime, zone: str, fmt: str = "medium") -> str:
    """A time shown in ``zone`` with the zone's name beside it, so it is never ambiguous."""
    local = in_zone(moment, zone)
    text = format_datetime(local.replace(tzinfo=None), fmt, rebase=False)
    return f"{text} ({zone.replace('_', ' ')})"


def date_range(start: date, end: date) -> str:
    if start == end:
        return format_date(start, "medium")
    return f"{format_date(start, 'medium')} – {format_date(end, 'medium')}"


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(label=label, zoned=zoned, date_range=date_range)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def globals_for_templates():
        return {
            "language_names": LANGUAGE_NAMES,
            "current_language": str(get_locale() or "en"),
            "viewer_timezone": str(get_timezone()),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
