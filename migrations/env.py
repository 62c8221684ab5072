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


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds tables by copy and drop, which enforced foreign keys
        # forbid for referenced tables. The pragma only works outside a
        # transaction, so it goes straight to the driver before Alembic begins.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        # SQLite runs DDL inside transactions too: all of a migration or none of it.
        _configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            # Never hand the pool a connection without foreign keys: drop it, and
            # the next one is configured afresh.
            connection.invalidate()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with db.engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
