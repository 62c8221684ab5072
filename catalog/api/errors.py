"""Errors as API clients read them: JSON, never the HTML error page.

``catalog.errors`` calls these for every request under ``/api/``. The app-level
handlers are the only ones that see routing errors (an unknown address, a POST
where only GET is allowed), which are raised before any blueprint is chosen.
"""

from flask import Response, jsonify, request

API_PATH_PREFIX = "/api/"


def is_api_request() -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def json_error(status: int, message: str, parameter: str | None = None) -> Response:
    """``{"error": {"message": ..., "parameter": ...}}`` with ``status``; ``parameter``
    names the query parameter at fault, when one is."""
    error = {"message": message}
    if parameter:
        error["parameter"] = parameter
    response = jsonify(error=error)
    response.status_code = status
    # Browsers on other sites may read the error too, not just the successful answer.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
