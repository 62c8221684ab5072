"""Friendly error pages; no stack trace ever reaches a visitor."""

from flask import Flask, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from catalog.api.errors import is_api_request, json_error
from catalog.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Check what you entered and try again."),
    403: _l("You do not have permission to do this."),
    404: _l("We could not find that page. It may have moved, or the address may be wrong."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This conflicts with something that already exists."),
    422: _l("Some of what you entered could not be used."),
    500: _l("Something went wrong on our side. It has been logged; please try again later."),
    503: _l("The site is busy. Please try again in a moment."),
}


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

    @app.errorhandler(500)
    def server_error(error):
        # Flask logs the exception; nothing half-written survives a failed request.
        db.session.rollback()
        return _render(500)
