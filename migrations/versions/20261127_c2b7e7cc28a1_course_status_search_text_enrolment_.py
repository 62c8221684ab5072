"""course status, search text, enrolment instants

Revision ID: c2b7e7cc28a1
Revises: af99978ca77c
Create Date: 2026-11-27 21:13:47.167480
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import catalog.database
from catalog.text import fold

revision = "c2b7e7cc28a1"
down_revision = "af99978ca77c"
branch_labels = None
depends_on = None

STATUS = sa.Enum(
    "draft", "published", "cancelled", name="status", native_enum=False, create_constraint=True
)


def _midnight_utc(day, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def upgrade():
    # Courses that existed before publication states were all visible: keep them so.
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", STATUS, nullable=False, server_default="published"))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_courses_status"), ["status"], unique=False)
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("search_text", server_default=None)

    with op.batch_alter_table("offerings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("enrolment_opens_at", catalog.database.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("enrolment_closes_at", catalog.database.UTCDateTime(), nullable=True)
        )

    connection = op.get_bind()
    courses = sa.table(
        "courses",
        sa.column("id"),
        sa.column("code"),
        sa.column("title"),
        sa.column("summary"),
        sa.column("search_text"),
    )
    for row in connection.execute(sa.select(courses)).all():
        connection.execute(
            courses.update()
            .where(courses.c.id == row.id)
            .values(search_text=fold(f"{row.code} {row.title} {row.summary}"))
        )
    offerings = sa.table(
        "offerings",
        sa.column("id"),
        sa.column("timezone"),
        sa.column("enrolment_opens_on", sa.Date()),
        sa.column("enrolment_closes_on", sa.Date()),
        sa.column("enrolment_opens_at", catalog.database.UTCDateTime()),
        sa.column("enrolment_closes_at", catalog.database.UTCDateTime()),
    )
    for row in connection.execute(sa.select(offerings)).all():
        connection.execute(
            offerings.update()
            .where(offerings.c.id == row.id)
            .values(
                enrolment_opens_at=_midnight_utc(row.enrolment_opens_on, row.timezone),
                enrolment_closes_at=_midnight_utc(
                    row.enrolment_closes_on + timedelta(days=1), row.timezone
                ),
            )
        )

    with op.batch_alter_table("offerings", schema=None) as batch_op:
        batch_op.alter_column(
            "enrolment_opens_at", existing_type=catalog.database.UTCDateTime(), nullable=False
        )
        batch_op.alter_column(
            "enrolment_closes_at", existing_type=catalog.database.UTCDateTime(), nullable=False
        )
        batch_op.create_index(
            batch_op.f("ix_offerings_enrolment_closes_at"), ["enrolment_closes_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offerings_enrolment_opens_at"), ["enrolment_opens_at"], unique=False
        )

    if connection.dialect.name == "postgresql":
        # Full-text search over the folded text; SQLite searches with LIKE instead.
        op.execute(
            "CREATE INDEX ix_courses_search_fts ON courses "
            "USING gin (to_tsvector('simple', search_text))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_courses_search_fts")
    with op.batch_alter_table("offerings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offerings_enrolment_opens_at"))
        batch_op.drop_index(batch_op.f("ix_offerings_enrolment_closes_at"))
        batch_op.drop_column("enrolment_closes_at")
        batch_op.drop_column("enrolment_opens_at")

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_status"))
        batch_op.drop_constraint(batch_op.f("ck_courses_status"), type_="check")
        batch_op.drop_column("search_text")
        batch_op.drop_column("status")
