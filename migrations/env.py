"""Alembic environment: runs against the Flask app's database and models."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from catalog.migration_support import include_name

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    # Tests configure logging themselves; only the CLI gets Alembic's handlers.
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=db.metadata,
        include_name=include_name,
        compare_type=True,
        # SQLite cannot ALTER most things in place; batch mode copies the table.
        render_as_batch=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=db.engine.url.render_as_string(hide_password=False), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
