"""Feed addresses. Every answer is the whole calendar or a 304, never an HTML page."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.catalogue.search import CatalogueFilters, FilterError, offering_is_listed
from catalog.extensions import db
from catalog.feeds import bp
from catalog.feeds.services import (
    Feed,
    catalogue_feed,
    issue_token,
    offering_feed,
    personal_feed,
    revoke_token,
    single_session_file,
    user_for_token,
)
from catalog.models import Offering, TrainingSession

PUBLIC_MAX_AGE = 600
FEED_PARAMETERS = ("discipline", "mode", "country", "language")


def _calendar_response(feed: Feed, public: bool) -> Response:
    response = Response(feed.body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.headers["Referrer-Policy"] = "no-referrer"
    return response.make_conditional(request)


@bp.get("/feeds/offerings/<int(max=2147483647):offering_id>.ics")
def offering_feed_view(offering_id: int):
    offering = db.session.get(Offering, offering_id)
    if offering is None or not offering_is_listed(offering):
        abort(404)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _calendar_response(offering_feed(offering), public=True)


@bp.get("/feeds/catalogue.ics")
def catalogue_feed_view():
    unknown = sorted(set(request.args) - set(FEED_PARAMETERS))
    if unknown:
        abort(400, _("Unknown parameter: %(name)s.", name=", ".join(unknown)))
    try:
        filters = CatalogueFilters.from_args(request.args, current_app.config["LANGUAGES"])
    except FilterError as error:
        abort(400, f"{error.parameter}: {error.message}")
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _calendar_response(catalogue_feed(filters), public=True)


@bp.get("/feeds/me/<token>.ics")
def personal_feed_view(token: str):
    user = user_for_token(token)
    if user is None:
        abort(404)  # the same as any missing feed: nothing says the token existed
    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _calendar_response(personal_feed(user), public=False)


@bp.get("/sessions/<int(max=2147483647):session_id>.ics")
def session_file(session_id: int):
    """"Add to calendar": one session as a downloadable file."""
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
@login_required
def create_token():
    label = request.form.get("label", "")
    issue_token(current_user, label)
    db.session.commit()
    flash(_("Your new calendar address is ready below."), "success")
    return redirect(url_for("auth.profile") + "#calendar-feeds")


@bp.post("/account/feeds/<int(max=2147483647):token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not revoke_token(current_user, token_id):
        abort(404)
    db.session.commit()
    flash(_("That calendar address no longer works."), "success")
    return redirect(url_for("auth.profile") + "#calendar-feeds")
