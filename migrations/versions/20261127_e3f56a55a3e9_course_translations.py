"""course translations

Revision ID: e3f56a55a3e9
Revises: 76a1aa35be15
Create Date: 2026-11-27 22:12:02.544944
"""

import sqlalchemy as sa
from alembic import op

import catalog.database

revision = "e3f56a55a3e9"
down_revision = "76a1aa35be15"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_translations",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_translations_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", "language", name=op.f("pk_course_translations")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        # Courses written so far are in English.
        batch_op.add_column(
            sa.Column("content_language", sa.String(length=8), nullable=False, server_default="en")
        )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.alter_column("content_language", server_default=None)


def downgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("content_language")

    op.drop_table("course_translations")
