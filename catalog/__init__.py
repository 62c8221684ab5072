"""Peacekeeping Training Catalogue: the application factory."""

from pathlib import Path

from flask import Flask

from config import Config, ProductionConfig, config_from_environment

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the web application. The scheduler is a separate process
    (``flask --app wsgi scheduler run``, see ``catalog/scheduler.py``) and is never
    started here."""
    config_class = config_class or config_from_environment()
    app = Flask(
        __name__,
        instance_path=str(PROJECT_DIR / "instance"),
        template_folder=str(PROJECT_DIR / "templates"),
    )
    app.config.from_object(config_class)
    if issubclass(config_class, ProductionConfig):
        config_class.check(app.config)

    register_logging(app)
    register_extensions(app)
    register_input_checks(app)
    register_blueprints(app)
    register_static_files(app)
    register_security(app)
    register_cli(app)
    register_templating(app)
    register_access_policy(app)
    register_page_cache(app)
    return app


def register_logging(app: Flask) -> None:
    """First, so every request gets its id and access line whatever later hooks do."""
    from catalog.logs import init_logging

    init_logging(app)


def register_extensions(app: Flask) -> None:
    from catalog import models  # noqa: F401  (every table on the metadata)
    from catalog.database import take_write_lock_for_changes
    from catalog.extensions import babel, csrf, db, login_manager, migrate
    from catalog.i18n import select_locale, select_timezone

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    take_write_lock_for_changes(app)  # before any other hook reads
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)


def register_input_checks(app: Flask) -> None:
    """Refuse control characters and JSON-for-a-form before any view runs."""
    from catalog.inputs import init_input_checks

    init_input_checks(app)


def register_blueprints(app: Flask) -> None:
    from catalog.api import bp as api_bp
    from catalog.auth import bp as auth_bp
    from catalog.catalogue import bp as catalogue_bp
    from catalog.enrolment import bp as enrolment_bp
    from catalog.errors import register_error_handlers
    from catalog.feeds import bp as feeds_bp
    from catalog.health import bp as health_bp
    from catalog.main import bp as main_bp
    from catalog.manage import bp as manage_bp
    from catalog.records import bp as records_bp
    from catalog.reports import bp as reports_bp
    from catalog.security.admin import bp as admin_bp
    from catalog.sessions import bp as sessions_bp
    from catalog.transfer import bp as transfer_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(enrolment_bp)
    app.register_blueprint(transfer_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)
    register_error_handlers(app)


def register_static_files(app: Flask) -> None:
    from catalog.static_files import init_static_files

    init_static_files(app)


def register_security(app: Flask) -> None:
    """Trusted proxies, security headers and rate limits (after the blueprints: the
    limits wrap their views)."""
    from catalog.security import init_security

    init_security(app)


def register_cli(app: Flask) -> None:
    from catalog.cli import countries_cli, demo_cli, users_cli
    from catalog.scheduler import scheduler_cli
    from catalog.transfer.cli import catalogue_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(catalogue_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(countries_cli)


def register_templating(app: Flask) -> None:
    from catalog.templating import init_templating

    init_templating(app)


def register_access_policy(app: Flask) -> None:
    """Last, so every endpoint is registered and the other request hooks (which may
    log a stale session out) have run before access is decided."""
    from catalog.security.policy import init_policy

    init_policy(app)


def register_page_cache(app: Flask) -> None:
    """After the access policy: only what everyone may see is ever kept."""
    from catalog.pagecache import init_page_cache

    init_page_cache(app)
