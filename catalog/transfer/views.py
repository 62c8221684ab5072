"""Import and export pages for coordinators."""

import io
from datetime import UTC, datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from catalog.extensions import db
from catalog.security.policy import is_staff
from catalog.transfer import bp, exporter, importer
from catalog.transfer.forms import MAX_UPLOAD_BYTES, MAX_UPLOAD_MEGABYTES, ImportForm
from catalog.transfer.plan import COLUMN_HELP, COLUMNS, EXAMPLE_ROW, example_csv


@bp.url_value_preprocessor
def limit_upload_size(endpoint, values):
    """Cap the upload before anything reads the body. URL value preprocessors run
    ahead of every before_request hook, CSRFProtect's included, which parses the form."""
    if endpoint == "transfer.import_plan":
        request.max_content_length = MAX_UPLOAD_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    message = _(
        "The file is larger than %(megabytes)d MB. Split the plan into smaller files "
        "and import them one after another.",
        megabytes=MAX_UPLOAD_MEGABYTES,
    )
    if not is_staff(current_user):
        return render_template("errors/error.html", status=413, message=message), 413
    # The body was refused unread, so the form starts empty.
    form = ImportForm(formdata=None)
    form.plan.errors = [message]
    return _import_page(form, []), 413


@bp.route("/import", methods=["GET", "POST"])
def import_plan():
    """Upload a training plan: all of it is imported, or nothing and every problem shown."""
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        try:
            result = importer.import_plan(form.plan.data.stream)
        except importer.ImportRejected as rejected:
            db.session.rollback()
            problems = rejected.problems
        else:
            db.session.commit()
            flash(result.describe(), "success")
            return redirect(url_for("transfer.import_plan"))
    status = 422 if form.errors or problems else 200
    return _import_page(form, problems), status


def _import_page(form: ImportForm, problems: list):
    return render_template(
        "transfer/import.html",
        form=form,
        problems=problems,
        columns=COLUMNS,
        column_help=COLUMN_HELP,
        example=EXAMPLE_ROW,
        example_csv=example_csv(),
    )


@bp.route("/export.csv")
def export_plan():
    """The whole catalogue as a training plan, ready to edit and import again."""
    out = io.StringIO(newline="")
    exporter.export_plan(out)
    response = Response(out.getvalue(), mimetype="text/csv")
    # A name made of a date only: nothing a visitor controls reaches the header.
    filename = f"catalogue-{datetime.now(UTC):%Y-%m-%d}.csv"
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
