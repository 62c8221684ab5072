"""Command-line groups: ``flask --app wsgi users|demo|countries ...``."""

import click
from flask.cli import AppGroup

from catalog.auth.services import AccountError, create_user
from catalog.extensions import db
from catalog.models import Role

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demonstration data.")
countries_cli = AppGroup("countries", help="ISO 3166 country reference data.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([role.value for role in Role]),
    default=[Role.TRAINEE.value],
    show_default=True,
    help="Role to grant; repeat for several.",
)
@click.option("--country", help="ISO 3166 alpha-2 code, e.g. KE.")
@click.option("--name", default="", help="Full name (defaults to the e-mail's local part).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone.")
@click.option("--language", default="en", show_default=True)
def create_user_command(email, password, roles, country, name, timezone, language):
    """Create an account with EMAIL."""
    try:
        user = create_user(
            email=email,
            password=password,
            name=name,
            roles=[Role(role) for role in roles],
            country_code=country,
            timezone=timezone,
            language=language,
        )
    except AccountError as error:
        db.session.rollback()
        hint = "EMAIL" if error.field == "email" else f"--{error.field}"
        raise click.BadParameter(error.message, param_hint=hint) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(user.roles))}).")


@countries_cli.command("sync")
def sync_countries_command():
    """Add or update countries from the shipped ISO 3166 list."""
    from catalog.geo.services import sync_countries

    added, updated = sync_countries()
    db.session.commit()
    click.echo(f"Countries: {added} added, {updated} updated.")


@demo_cli.command("load")
def load_demo_command():
    """Load the demonstration catalogue, once (a second run changes nothing)."""
    from catalog.demo.services import load_demo

    summary = load_demo()
    click.echo(summary.describe())
