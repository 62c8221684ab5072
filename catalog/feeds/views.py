"""Feed addresses. Every answer is the whole calendar or a 304, never an HTML page."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from urllib.parse import parse_qsl

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from werkzeug.http import http_date

from catalog.catalogue.search import CatalogueFilters, FilterError, offering_is_listed
from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds import bp
from catalog.feeds.services import (
    Feed,
    catalogue_feed,
    feed_owner_for_token,
    issue_token,
    offering_feed,
    personal_feed,
    revoke_token,
    single_session_file,
)
from catalog.models import Offering, TrainingSession
from catalog.security.audit import EventKind, record

PUBLIC_MAX_AGE = 600
FEED_PARAMETERS = ("discipline", "mode", "country", "language")
# The language of a public feed's words (its calendar's name, "Where:"), not a filter:
# "language" filters offerings by their language of instruction.
LANGUAGE_PARAMETER = "lang"


PUBLIC_CACHE = f"public, max-age={PUBLIC_MAX_AGE}"
PRIVATE_CACHE = "private, no-cache"


def _public_language() -> tuple[str, bool]:
    """The language of a public feed and whether it was asked for by name: ``?lang=fr``,
    else the subscriber's calendar app's Accept-Language, else the default."""
    languages = current_app.config["LANGUAGES"]
    asked = (request.args.get(LANGUAGE_PARAMETER) or "").strip().lower()
    if asked:
        if asked not in languages:
            abort(
                400,
                f"{LANGUAGE_PARAMETER}: "
                + _("must be one of %(values)s", values=", ".join(languages)),
            )
        return asked, True
    chosen = request.accept_languages.best_match(languages)
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"], False


def _calendar_response(feed: Feed, public: bool, negotiated: bool = False) -> Response:
    """The feed, or a 304. ``negotiated``: its language came from Accept-Language,
    which shared caches must then key on too."""
    # Header values are written as strings: a repeat request for a large feed costs
    # little more than a hello-world response, so every microsecond shows.
    etag = f'"{feed.etag}"'
    caching = PUBLIC_CACHE if public else PRIVATE_CACHE
    if request.headers.get("If-None-Match") == etag:
        # The usual revalidation, a client echoing the ETag it was given, answered
        # directly with what make_conditional's 304 would carry; every other
        # validator goes through make_conditional below.
        response = Response(status=304)
        response.headers.remove("Content-Type")
        response.headers["Date"] = http_date()
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = caching
        if not public:
            response.headers["Referrer-Policy"] = "no-referrer"
        if negotiated:
            response.vary.add("Accept-Language")
        return response
    response = Response(feed.body, content_type="text/calendar; charset=utf-8")
    headers = response.headers
    headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    headers["ETag"] = etag
    # HTTP dates count whole seconds: a date in the second that is still running is a
    # weak validator (RFC 9110 8.8.2.2), since a second change in the same second would
    # carry the same date and a client sending it back would be told nothing changed.
    # Until that second has passed only the ETag is offered.
    if feed.last_modified.replace(microsecond=0) + timedelta(seconds=1) <= utcnow():
        headers["Last-Modified"] = http_date(feed.last_modified)
    headers["Cache-Control"] = caching
    if not public:
        headers["Referrer-Policy"] = "no-referrer"
    if negotiated:
        response.vary.add("Accept-Language")
    return response.make_conditional(request)


@bp.get("/feeds/offerings/<int(max=2147483647):offering_id>.ics")
def offering_feed_view(offering_id: int):
    # One query for the offering and its course, and nothing the feed does not use:
    # a repeat request should cost little more than a hello-world response.
    offering = db.session.get(
        Offering, offering_id, options=[joinedload(Offering.course).lazyload("*")]
    )
    if offering is None or not offering_is_listed(offering):
        abort(404)
    language, asked = _public_language()
    with force_locale(language):
        feed = offering_feed(offering, lang=language if asked else None)
        return _calendar_response(feed, public=True, negotiated=not asked)


@lru_cache(maxsize=512)
def _catalogue_filters(query: bytes, languages: tuple[str, ...]) -> CatalogueFilters:
    """The filters of a feed address, remembered: subscribers repeat a few addresses
    all day, and parsing them is a tenth of a repeat request. Raises ValueError for
    an unknown parameter and FilterError for a bad value (neither is remembered)."""
    args = MultiDict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
    unknown = sorted(set(args) - {*FEED_PARAMETERS, LANGUAGE_PARAMETER})
    if unknown:
        raise ValueError(", ".join(unknown))
    return CatalogueFilters.from_args(args, languages)


@bp.get("/feeds/catalogue.ics")
def catalogue_feed_view():
    try:
        filters = _catalogue_filters(request.query_string, current_app.config["LANGUAGES"])
    except FilterError as error:
        abort(400, f"{error.parameter}: {error.message}")
    except ValueError as error:
        abort(400, _("Unknown parameter: %(name)s.", name=str(error)))
    language, asked = _public_language()
    with force_locale(language):
        feed = catalogue_feed(filters, lang=language if asked else None)
        return _calendar_response(feed, public=True, negotiated=not asked)


@bp.get("/feeds/me/<token>.ics")
def personal_feed_view(token: str):
    owner = feed_owner_for_token(token)
    if owner is None:
        abort(404)  # the same as any missing feed: nothing says the token existed
    with force_locale(owner.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _calendar_response(personal_feed(owner), public=False)


@bp.get("/sessions/<int(max=2147483647):session_id>.ics")
def session_file(session_id: int):
    """ "Add to calendar": one session as a downloadable file."""
    session = db.session.get(TrainingSession, session_id)
    if session is None or not offering_is_listed(session.offering):
        abort(404)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = single_session_file(session)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session.id}.ics"'
    return response


@bp.post("/account/feeds")
def create_token():
    label = request.form.get("label", "")
    token = issue_token(current_user, label)
    db.session.flush()
    record(
        EventKind.FEED_TOKEN_CREATED,
        current_user._get_current_object(),
        detail=f"#{token.id} {token.label}",
    )
    db.session.commit()
    flash(_("Your new calendar address is ready below."), "success")
    return redirect(url_for("auth.profile") + "#calendar-feeds")


@bp.post("/account/feeds/<int(max=2147483647):token_id>/revoke")
def revoke(token_id: int):
    if not revoke_token(current_user, token_id):
        abort(404)
    record(EventKind.FEED_TOKEN_REVOKED, current_user._get_current_object(), detail=f"#{token_id}")
    db.session.commit()
    flash(_("That calendar address no longer works."), "success")
    return redirect(url_for("auth.profile") + "#calendar-feeds")
