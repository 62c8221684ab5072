"""Home page and language switch."""

from datetime import UTC, datetime

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalog.catalogue.search import CatalogueFilters, search_offerings, shared_facet_counts
from catalog.extensions import db
from catalog.main import bp
from catalog.urls import safe_next

HOME_PAGE_OFFERINGS = 6


@bp.route("/")
def index():
    """The soonest offerings, and ways into the catalogue by discipline."""
    moment = datetime.now(UTC)
    filters = CatalogueFilters()
    facets = shared_facet_counts(filters, moment)
    results = search_offerings(filters, moment, per_page=HOME_PAGE_OFFERINGS, total=facets.total)
    disciplines = facets["discipline"]
    return render_template("main/index.html", results=results, disciplines=disciplines)


@bp.route("/language", methods=["POST"])
def set_language():
    """Remember the language picked in the header (in the profile when logged in)."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400, _("This site is available in English and French only."))
    session["language"] = language
    if current_user.is_authenticated:
        current_user.language = language
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))
