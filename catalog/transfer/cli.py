"""``flask --app wsgi catalogue import|export``."""

import io

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from catalog.extensions import db
from catalog.transfer import exporter, importer

catalogue_cli = AppGroup("catalogue", help="Import and export the catalogue as CSV.")


@catalogue_cli.command("import")
@click.argument("file", type=click.File("rb"))
def import_command(file):
    """Import the training plan FILE (CSV): all of it, or nothing and every problem."""
    try:
        result = importer.import_plan(file)
    except importer.ImportRejected as rejected:
        db.session.rollback()
        lines = [
            _(
                "%(file)s was not imported; nothing was changed. Problems found: %(count)d.",
                file=click.format_filename(file.name),
                count=len(rejected.problems),
            ),
            *(str(problem) for problem in rejected.problems),
        ]
        raise click.ClickException("\n".join(lines)) from None
    db.session.commit()
    click.echo(result.describe())


@catalogue_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True), required=False)
def export_command(file):
    """Write the catalogue as a training plan to FILE, or to standard output."""
    # Built in memory first, so a failure never leaves a half-written file.
    out = io.StringIO(newline="")
    count = exporter.export_plan(out)
    if file is None:
        click.echo(out.getvalue(), nl=False)
        return
    with open(file, "w", encoding="utf-8", newline="") as target:
        target.write(out.getvalue())
    click.echo(
        _(
            "Exported %(count)d offerings to %(file)s.",
            count=count,
            file=click.format_filename(file),
        )
    )
