"""Input no view can use, refused before any view sees it.

Two kinds, the same for every address:

- control characters (NUL, escape, bell...) in the address, the query string, a
  form field or an uploaded file's name. No one types them; PostgreSQL refuses NUL
  in text (a 500 in the middle of a write), and calendar feeds and e-mail headers
  must not carry them. Tab, line feed and carriage return stay allowed: text areas
  send line breaks.
- a JSON body where a form is expected. Flask-WTF reads JSON as form data, so a
  field would arrive as an object, a number or a list and reach code that expects
  text. The site's only API is read-only.
"""

from __future__ import annotations

import re

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l

# C0 controls but tab, line feed and carriage return, and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTROL_MESSAGE = _l(
    "What you sent contains invisible control characters (such as a NUL byte), "
    "which cannot be stored. Remove them, for example by typing the text again, "
    "and try again."
)
JSON_MESSAGE = _l("This address takes a form, not JSON. Fill in the form on the page instead.")


def _has_control_characters() -> bool:
    if CONTROL_CHARACTERS.search(request.path):
        return True
    sources = []
    if request.query_string:
        sources.append(request.args)
    if request.method not in SAFE_METHODS:  # nobody reads the body of a GET
        sources.append(request.form)
    for values in sources:
        for key, value in values.items(multi=True):
            if CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS.search(value):
                return True
    return request.method not in SAFE_METHODS and any(
        CONTROL_CHARACTERS.search(upload.filename or "")
        for _name, upload in request.files.items(multi=True)
    )


def refuse_unusable_input() -> None:
    """``before_request``: 415 for JSON sent to a form, 400 for control characters."""
    if request.method not in SAFE_METHODS and request.is_json:
        abort(415, JSON_MESSAGE)
    if _has_control_characters():
        abort(400, CONTROL_MESSAGE)


def init_input_checks(app: Flask) -> None:
    app.before_request(refuse_unusable_input)
