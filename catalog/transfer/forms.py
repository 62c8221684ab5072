"""The training plan upload form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField

# A plan of several thousand offerings is well under this.
MAX_UPLOAD_MEGABYTES = 2
MAX_UPLOAD_BYTES = MAX_UPLOAD_MEGABYTES * 1024 * 1024


class ImportForm(FlaskForm):
    plan = FileField(
        _l("Training plan (CSV file)"),
        validators=[
            FileRequired(_l("Choose the CSV file to import.")),
            FileAllowed(["csv"], _l("Choose a file whose name ends in .csv.")),
        ],
        description=_l(
            "UTF-8, comma-separated, at most %(megabytes)d MB, with the columns listed below.",
            megabytes=MAX_UPLOAD_MEGABYTES,
        ),
        render_kw={"accept": ".csv,text/csv"},
    )
    submit = SubmitField(_l("Import"))
