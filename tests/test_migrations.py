"""The migrations build the schema the models describe, and undo it cleanly."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from catalog import create_app
from catalog.extensions import db
from catalog.migration_support import include_name
from config import TestingConfig


@contextmanager
def scratch_database_url(tmp_path):
    """A brand-new empty database of the same kind as the suite's."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    server = make_url(url)
    name = f"catalog_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_downgrade_upgrade_on_a_fresh_database(tmp_path):
    with scratch_database_url(tmp_path) as url:

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url

        app = create_app(Config)
        with app.app_context():
            upgrade()
            created = table_names()
            assert {t.name for t in db.metadata.sorted_tables} <= created

            downgrade(revision="base")
            assert table_names() <= {"alembic_version"}

            upgrade()
            assert table_names() == created
            db.engine.dispose()


def test_models_and_migrations_agree():
    """Autogenerate against the migrated test database finds nothing to do."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.parametrize("table", ["offerings", "sessions", "enrolments", "users"])
def test_check_constraints_exist_in_the_database(table):
    names = {ck["name"] for ck in inspect(db.engine).get_check_constraints(table)}
    assert any(name.startswith(f"ck_{table}_") for name in names), names


def test_publication_and_search_migration_keeps_existing_rows(tmp_path):
    """Rows written before the course-status revision come through it intact."""
    with scratch_database_url(tmp_path) as url:

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url

        app = create_app(Config)
        with app.app_context():
            upgrade(revision="af99978ca77c")
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO countries (code, name, region)"
                        " VALUES ('KE', 'Kenya', 'Africa')"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO courses (id, code, title, discipline, level, programme,"
                        " summary, description, created_at, updated_at) VALUES (1, 'ENG-1',"
                        " 'Génie civil', 'engineering', 'basic', 'tpp', 'Résumé', '',"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO offerings (id, course_id, status, delivery_mode, venue,"
                        " country_code, timezone, language, interpretation, starts_on, ends_on,"
                        " enrolment_opens_on, enrolment_closes_on, capacity,"
                        " health_requirements, travel_requirements, created_at, updated_at)"
                        " VALUES (1, 1, 'published', 'in_person', 'Nairobi', 'KE',"
                        " 'Africa/Nairobi', 'en', '', '2027-03-01', '2027-04-09', '2027-01-01',"
                        " '2027-02-14', 20, '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
            upgrade()
            from catalog.models import Course, CourseStatus, Offering

            course = db.session.get(Course, 1)
            assert course.status == CourseStatus.PUBLISHED
            assert course.search_text == "eng-1 genie civil resume"
            offering = db.session.get(Offering, 1)
            # Midnight in Nairobi (UTC+3) on the opening day; end of the closing day.
            assert offering.enrolment_opens_at.isoformat() == "2026-12-31T21:00:00+00:00"
            assert offering.enrolment_closes_at.isoformat() == "2027-02-14T21:00:00+00:00"
            db.session.remove()
            downgrade(revision="base")
            db.engine.dispose()
