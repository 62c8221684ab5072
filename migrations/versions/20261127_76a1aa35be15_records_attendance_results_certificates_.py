"""records: attendance, results, certificates, trainers, feedback

Revision ID: 76a1aa35be15
Revises: f37a48dca70c
Create Date: 2026-11-27 21:51:04.979310
"""

import sqlalchemy as sa
from alembic import op

import catalog.database

revision = "76a1aa35be15"
down_revision = "f37a48dca70c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attendance",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "present",
                "absent",
                "excused",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_attendance_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["users.id"],
            name=op.f("fk_attendance_marked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_attendance_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "enrolment_id", name=op.f("pk_attendance")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_enrolment_id"), ["enrolment_id"], unique=False
        )

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("issued_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("revoked_at", catalog.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_certificates_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_certificates_enrolment_id")),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_feedback_rating_range")),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_feedback_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_feedback_enrolment_id")),
    )
    op.create_table(
        "trainer_assignments",
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "assistant_trainer",
                "co_trainer",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("qualifying_enrolment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["offerings.id"],
            name=op.f("fk_trainer_assignments_offering_id_offerings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["qualifying_enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_trainer_assignments_qualifying_enrolment_id_enrolments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trainer_assignments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offering_id", "user_id", name=op.f("pk_trainer_assignments")),
    )
    with op.batch_alter_table("trainer_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trainer_assignments_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualification_valid_years", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_courses_validity_positive"),
            "qualification_valid_years IS NULL OR qualification_valid_years > 0",
        )

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("distinction", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "result_recorded_at", catalog.database.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.alter_column("distinction", server_default=None)


def downgrade():
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("result_recorded_at")
        batch_op.drop_column("distinction")

    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_courses_validity_positive"), type_="check")
        batch_op.drop_column("qualification_valid_years")

    with op.batch_alter_table("trainer_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trainer_assignments_user_id"))

    op.drop_table("trainer_assignments")
    op.drop_table("feedback")
    op.drop_table("certificates")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_enrolment_id"))

    op.drop_table("attendance")
