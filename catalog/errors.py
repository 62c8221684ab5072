"""Friendly error pages; no stack trace ever reaches a visitor."""

import contextlib

from flask import (
    Flask,
    Response,
    current_app,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

from catalog.api.errors import is_api_request, json_error
from catalog.catalogue.search import FilterError
from catalog.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Check what you entered and try again."),
    403: _l("You do not have permission to do this."),
    404: _l("We could not find that page. It may have moved, or the address may be wrong."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This conflicts with something that already exists."),
    415: _l("This address does not accept data in that form."),
    422: _l("Some of what you entered could not be used."),
    500: _l("Something went wrong on our side. It has been logged; please try again later."),
    503: _l("The site is busy. Please try again in a moment."),
}
DATABASE_UNAVAILABLE = _l(
    "The site cannot reach its database just now, so this could not be done. "
    "Please try again in a minute."
)
# Seconds a client (or a calendar app) is asked to wait after a 503.
RETRY_AFTER = "30"
# The 503 page when the database is gone: not a template, since rendering one runs
# the context processors, which read the logged-in user (expired by the failed flush).
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<main id="content" class="wrap">
<h1>{title}</h1>
<p>{message}</p>
<p><a href="{home_url}">{home}</a></p>
</main>
</body>
</html>
"""


def _render(status: int, message=None):
    message = message or MESSAGES.get(status)
    if is_api_request():
        # API clients parse the body: they get JSON, never the HTML page.
        return json_error(status, str(message)), status
    if request.path.startswith("/feeds/") or request.path.endswith(".ics"):
        # Calendar apps show or log the body as it is: plain text, never a page.
        return Response(f"{status}: {message}\n", status=status, mimetype="text/plain"), status
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, _l("This form has expired. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        # A view that aborts with its own description (abort(409, "...")) says why.
        own = error.description if error.description != type(error).description else None
        body, status = _render(error.code, own or MESSAGES.get(error.code) or error.description)
        # Keep the headers the error carries, such as Allow on a 405.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(FilterError)
    def bad_filter(error: FilterError):
        # A query parameter a page reads with the catalogue's parsers (page=...).
        return _render(400, f"{error.parameter}: {error.message}")

    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    def database_unavailable(error):
        # The database went away, timed out or stayed locked: the request's open
        # transaction is rolled back, so none of it is written, and the visitor is
        # asked to come back. The pool's pre-ping replaces dead connections on the
        # next request.
        app.logger.error("Database unavailable: %s", error, exc_info=error)
        _discard_session()
        response = make_response(_database_unavailable_body(), 503)
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    @app.errorhandler(500)
    def server_error(error):
        # Flask logs the exception; nothing half-written survives a failed request.
        db.session.rollback()
        return _render(500)


def _discard_session() -> None:
    """Roll back and drop the request's session, even when its connection is dead."""
    # A dead connection may refuse even the rollback; the session goes anyway.
    with contextlib.suppress(Exception):
        db.session.rollback()
    db.session.remove()


def _database_unavailable_body():
    """The 503 in the reader's format, made without the database, in the language
    of the visitor's cookie or browser (the profile's would need the database)."""
    languages = current_app.config["LANGUAGES"]
    language = session.get("language")
    if language not in languages:
        language = request.accept_languages.best_match(languages) or languages[0]
    with force_locale(language):
        message = str(DATABASE_UNAVAILABLE)
        title = gettext("Error %(status)d", status=503)
        home = gettext("Go to the list of courses")
    if is_api_request():
        return json_error(503, message)
    if request.path.startswith("/feeds/") or request.path.endswith(".ics"):
        return Response(f"503: {message}\n", mimetype="text/plain")
    page = UNAVAILABLE_PAGE.format(
        language=language,
        title=escape(title),
        message=escape(message),
        css=url_for("static", filename="css/site.css"),
        home_url=url_for("main.index"),
        home=escape(home),
    )
    return Response(page, mimetype="text/html")
