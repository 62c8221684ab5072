"""Command-line groups: ``flask --app wsgi users|demo|countries ...``."""

import click
from flask.cli import AppGroup

from catalog.auth.services import (
    AccountError,
    create_user,
    find_user_by_email,
    roles_change_detail,
    set_roles,
)
from catalog.extensions import db
from catalog.models import Role
from catalog.security.audit import EventKind, record

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
    db.session.flush()
    # Roles granted from the command line are in the audit log like any others.
    record(EventKind.ROLES_CHANGED, user, detail=roles_change_detail(set(), user.roles))
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(user.roles))}).")


@users_cli.command("roles")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="Role the account is to hold; repeat for several. Others are revoked.",
)
def set_roles_command(email, roles):
    """Give the account with EMAIL exactly these roles (and log it out everywhere)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.BadParameter("No account has this e-mail address.", param_hint="EMAIL")
    try:
        changed = set_roles(None, user, [Role(role) for role in roles])
    except AccountError as error:
        db.session.rollback()
        raise click.BadParameter(error.message, param_hint="--role") from None
    db.session.commit()
    verb = "now holds" if changed else "already holds"
    click.echo(f"{user.email} {verb}: {', '.join(sorted(user.roles))}.")


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
