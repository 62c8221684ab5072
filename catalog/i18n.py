"""Language and time zone choice for each request (Flask-Babel selectors), and course
text in the reader's language."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from catalog.timeutil import is_valid_timezone

if TYPE_CHECKING:
    from catalog.models import Course

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def select_locale() -> str | None:
    """The profile's language, then the one picked in the header, then the browser's."""
    if not has_request_context():
        return None  # CLI commands and jobs: the default locale
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages)


# Set by static/js/timezone.js from the visitor's browser; never trusted unchecked.
TIMEZONE_COOKIE = "tz"


def browser_timezone() -> str | None:
    """The zone the visitor's browser reported (the ``tz`` cookie), when it is a real one."""
    zone = request.cookies.get(TIMEZONE_COOKIE)
    return zone if is_valid_timezone(zone) else None


def select_timezone() -> str | None:
    """The profile's zone for people who are logged in, the browser's for visitors whose
    browser ran the script; None otherwise, which Flask-Babel reads as UTC."""
    if not has_request_context():
        return None
    if current_user.is_authenticated and is_valid_timezone(current_user.timezone):
        return current_user.timezone
    return browser_timezone()


def current_language() -> str:
    """The language pages and messages are being written in now ("en", "fr"): the
    request's, or the one forced for an e-mail's recipient."""
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def other_language(language: str | None) -> str:
    """The first supported language that is not ``language``: with English and French,
    the one a course's translation is in."""
    languages = current_app.config["LANGUAGES"]
    return next((code for code in languages if code != language), languages[0])


class CourseText(NamedTuple):
    """A course's words as one reader sees them, with the language each is really in
    (the original's where there is no translation), so pages can mark it."""

    title: str
    summary: str
    description: str
    title_language: str
    summary_language: str
    description_language: str


def course_text(course: Course, language: str | None = None) -> CourseText:
    """Title, summary and description in ``language`` (the current one by default),
    each falling back to the original (``Course.text_in``)."""
    language = language or current_language()
    title, summary, description = course.text_in(language)
    original = course.content_language or current_app.config["BABEL_DEFAULT_LOCALE"]
    translation = None
    if language != original:
        translation = next((t for t in course.translations if t.language == language), None)

    def language_of(translated: str | None) -> str:
        return language if translation is not None and translated else original

    return CourseText(
        title,
        summary,
        description,
        language_of(translation and translation.title),
        language_of(translation and translation.summary),
        language_of(translation and translation.description),
    )


def lang_attribute(language: str) -> Markup:
    """` lang="en"` for words in another language than the page's (WCAG 3.1.2), so
    screen readers pronounce an untranslated title right; nothing otherwise."""
    if not language or language == current_language():
        return Markup("")
    return Markup(' lang="{}"').format(language)
