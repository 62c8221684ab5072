"""notifications: outbox delivery, reminders, watches, job states, preferences

Revision ID: f37a48dca70c
Revises: 5f5e54849992
Create Date: 2026-11-27 21:39:46.389617
"""

import sqlalchemy as sa
from alembic import op

import catalog.database

revision = "f37a48dca70c"
down_revision = "5f5e54849992"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice_marks",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notice_marks")),
    )
    op.create_table(
        "job_states",
        sa.Column("job_id", sa.String(length=60), nullable=False),
        sa.Column("last_started_at", catalog.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", catalog.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
        sa.Column("last_result", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_states")),
    )
    op.create_table(
        "enrolment_watches",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified_at", catalog.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["offerings.id"],
            name=op.f("fk_enrolment_watches_offering_id_offerings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_enrolment_watches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "offering_id", name=op.f("pk_enrolment_watches")),
    )
    with op.batch_alter_table("enrolment_watches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolment_watches_offering_id"), ["offering_id"], unique=False
        )

    op.create_table(
        "session_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("starts_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_reminders_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_reminders")),
        sa.UniqueConstraint(
            "session_id",
            "user_id",
            "offset_minutes",
            "starts_at",
            name=op.f("uq_session_reminders_session_id_user_id_offset_minutes_starts_at"),
        ),
    )
    with op.batch_alter_table("session_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_reminders_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "offer_expires_at", catalog.database.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_enrolments_offer_expires_at"), ["offer_expires_at"], unique=False
        )

    # Messages already queued keep their text and are due at once.
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("calendar", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("next_attempt_at", catalog.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("claimed_at", catalog.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_error", sa.String(length=500), nullable=False, server_default="")
        )
    op.execute("UPDATE outbox_messages SET next_attempt_at = created_at")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        for column in ("html_body", "calendar", "attempts", "last_error"):
            batch_op.alter_column(column, server_default=None)
        batch_op.alter_column(
            "next_attempt_at",
            existing_type=catalog.database.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.create_index(
            "ix_outbox_messages_due", ["sent_at", "next_attempt_at"], unique=False
        )

    # Everyone starts with reminders and the digest on; the profile turns them off.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("digest_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("reminders_enabled", server_default=None)
        batch_op.alter_column("digest_enabled", server_default=None)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("digest_enabled")
        batch_op.drop_column("reminders_enabled")

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.drop_column("last_error")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("calendar")
        batch_op.drop_column("html_body")

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolments_offer_expires_at"))
        batch_op.drop_column("offer_expires_at")

    with op.batch_alter_table("session_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_reminders_user_id"))

    op.drop_table("session_reminders")
    with op.batch_alter_table("enrolment_watches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_watches_offering_id"))

    op.drop_table("enrolment_watches")
    op.drop_table("job_states")
    op.drop_table("notice_marks")
