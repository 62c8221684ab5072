"""Jinja filters and globals used by every template."""

import re
from datetime import date, datetime

from flask import Flask, request
from flask_babel import format_date, format_percent, format_time, get_locale, get_timezone

from catalog.geo.services import country_name
from catalog.i18n import LANGUAGE_NAMES, course_text, lang_attribute, select_timezone
from catalog.labels import label, label_of
from catalog.models import DeliveryMode, Discipline, Level, Programme, Region
from catalog.timeutil import in_zone


def _local_text(local: datetime) -> str:
    # Babel would convert to the request's zone; the value is already local.
    naive = local.replace(tzinfo=None)
    return f"{format_date(naive.date(), 'medium')}, {format_time(naive, 'short', rebase=False)}"


def zoned(moment: datetime, zone: str) -> str:
    """A time shown in ``zone`` with the zone's name beside it, so it is never ambiguous."""
    return f"{_local_text(in_zone(moment, zone))} ({zone.replace('_', ' ')})"


def time_span(start: datetime, end: datetime, zone: str) -> str:
    """ "2 Mar 2027, 09:00 – 11:00 (Africa/Nairobi)"; the end's date only when it differs."""
    local_start, local_end = in_zone(start, zone), in_zone(end, zone)
    if local_start.date() == local_end.date():
        end_text = format_time(local_end.replace(tzinfo=None), "short", rebase=False)
    else:
        end_text = _local_text(local_end)
    return f"{_local_text(local_start)} – {end_text} ({zone.replace('_', ' ')})"


def date_range(start: date, end: date) -> str:
    if start == end:
        return format_date(start, "medium")
    return f"{format_date(start, 'medium')} – {format_date(end, 'medium')}"


def percent(value: float, decimals: str = ".0") -> str:
    """A share (0.125) as a percentage in the reader's locale with set decimals: the
    locale's own pattern, so "12.5%" in English and "12,5 %" in French. ``decimals``
    is the pattern's fraction part: ".0" for exactly one digit, ".#" for at most one."""
    pattern = get_locale().percent_formats[None].pattern
    # The last 0 ends the integer part ("#,##0%", "#,##0\u00a0%", "%#,##0").
    return format_percent(value, re.sub(r"0(?!.*0)", "0" + decimals, pattern, count=1))


def localised_language_names() -> dict[str, str]:
    """The supported languages named in the current one, capitalised as a value on its
    own: {"en": "English", "fr": "French"} in English, "Anglais", "Français" in French."""
    names = get_locale().languages
    return {
        code: names.get(code, code)[:1].upper() + names.get(code, code)[1:]
        for code in LANGUAGE_NAMES
    }


# Facet values arrive as raw strings; these turn them into translated labels.
FACET_LABELLERS = {
    "discipline": lambda raw: label_of(Discipline, raw),
    "level": lambda raw: label_of(Level, raw),
    "programme": lambda raw: label_of(Programme, raw),
    "mode": lambda raw: label_of(DeliveryMode, raw),
    "region": lambda raw: label_of(Region, raw),
    "country": country_name,
}


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(label=label, zoned=zoned, date_range=date_range)
    # {{ offering.country|country_name }}, {{ code|country_name(default=stored) }}: in
    # the reader's language, never the stored English name on a French page.
    app.jinja_env.filters.update(country_name=country_name)
    # {% set text = course|in_language %}: the course's words in the reader's language;
    # <h1{{ text.title_language|lang_attr }}> marks a title left untranslated.
    app.jinja_env.filters.update(in_language=course_text, lang_attr=lang_attribute)
    from catalog.feeds.links import subscribe_links

    app.jinja_env.globals.update(time_span=time_span, subscribe_links=subscribe_links)
    app.jinja_env.globals.update(facet_labellers=FACET_LABELLERS)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def globals_for_templates():
        return {
            # Each language in its own name, for the switch in the header...
            "language_endonyms": LANGUAGE_NAMES,
            # ...and in the reader's language everywhere else ("anglais" in French).
            "language_names": localised_language_names(),
            "current_language": str(get_locale() or "en"),
            "viewer_timezone": str(get_timezone()),
            # False for a visitor whose browser has not said its zone (no JavaScript,
            # or the first page): times are then shown in UTC, never as "your time".
            "viewer_timezone_known": select_timezone() is not None,
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
