"""Home page and language switch."""

from datetime import UTC, datetime

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from catalog.extensions import db
from catalog.main import bp
from catalog.main.services import upcoming_offerings_query
from catalog.urls import safe_next


@bp.route("/")
def index():
    page = request.args.get("page", 1, type=int)
    offerings = db.paginate(
        upcoming_offerings_query(datetime.now(UTC).date()),
        page=page,
        per_page=current_app.config["CATALOGUE_PAGE_SIZE"],
        error_out=False,
    )
    return render_template("main/index.html", offerings=offerings)


@bp.route("/language", methods=["POST"])
def set_language():
    """Remember the language picked in the header (in the profile when logged in)."""
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated:
            current_user.language = language
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))
