"""JSON API views: published offerings, read-only, filtered exactly as the catalogue
page filters them (both go through ``catalog.catalogue.search``)."""

from collections.abc import Mapping

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from catalog.api import bp
from catalog.api.errors import json_error
from catalog.api.serialize import offering_json, session_json
from catalog.catalogue.search import (
    MAX_PAGE,
    MAX_PER_PAGE,
    CatalogueFilters,
    FilterError,
    offering_is_listed,
    search_offerings,
    seats_left,
    whole_number,
)
from catalog.database import utcnow
from catalog.extensions import db
from catalog.models import Offering

DEFAULT_PER_PAGE = 20
CACHE_CONTROL = "public, max-age=60"


def pagination(args: Mapping[str, str]) -> tuple[int, int]:
    """``page`` and ``per_page`` from the query string; bad values raise FilterError."""
    page = whole_number(args, "page", 1, MAX_PAGE)
    per_page = whole_number(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    return page, per_page


def content_language(args: Mapping[str, str]) -> str | None:
    """``lang``: the language wanted for course titles (one of LANGUAGES), or None
    for each course's original; a bad value raises FilterError."""
    raw = (args.get("lang") or "").strip().lower()
    languages = current_app.config["LANGUAGES"]
    if raw and raw not in languages:
        raise FilterError("lang", _("must be one of %(values)s", values=", ".join(languages)))
    return raw or None


@bp.errorhandler(FilterError)
def bad_parameter(error: FilterError) -> Response:
    return json_error(400, error.message, parameter=error.parameter)


@bp.after_request
def public_headers(response: Response) -> Response:
    # Public, read-only data: any site may read it, and caches may keep it a minute.
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code == 200:
        response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.get("/offerings")
def offerings():
    """Published offerings that have not ended, soonest first, one page at a time."""
    filters = CatalogueFilters.from_args(request.args, current_app.config["LANGUAGES"])
    page, per_page = pagination(request.args)
    language = content_language(request.args)
    now = utcnow()
    results = search_offerings(filters, now, page=page, per_page=per_page)
    return {
        "items": [
            offering_json(offering, results.seats_left[offering.id], now, language)
            for offering in results.items
        ],
        "total": results.total,
        "page": results.page,
        "per_page": results.per_page,
        "pages": results.pages,
    }


# The bound keeps ids that no table can hold from reaching the database (SQLite
# cannot bind integers beyond 64 bits); they get the 404 any unknown id gets.
@bp.get("/offerings/<int(max=2147483647):offering_id>")
def offering(offering_id: int):
    """One offering with its sessions; cancelled ones too, so clients learn of it."""
    language = content_language(request.args)
    offering = db.session.scalar(
        select(Offering)
        .where(Offering.id == offering_id)
        .options(joinedload(Offering.course), selectinload(Offering.sessions))
    )
    if offering is None or not offering_is_listed(offering):
        abort(404, _("There is no published offering with id %(id)d.", id=offering_id))
    item = offering_json(offering, seats_left([offering])[offering.id], utcnow(), language)
    item["sessions"] = [session_json(session) for session in offering.sessions]
    return item
