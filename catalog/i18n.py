"""Language and time zone choice for each request (Flask-Babel selectors)."""

from flask import current_app, has_request_context, request, session
from flask_login import current_user

from catalog.timeutil import is_valid_timezone

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


def select_timezone() -> str | None:
    """The profile's zone for people who are logged in; UTC otherwise."""
    if not has_request_context():
        return None
    if current_user.is_authenticated and is_valid_timezone(current_user.timezone):
        return current_user.timezone
    return None
