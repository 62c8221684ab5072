"""enrolment workflow: allocation, quota release, history, invitations, outbox

Revision ID: 5dc8df73a7ab
Revises: c2b7e7cc28a1
Create Date: 2026-11-27 21:27:19.664951
"""

import sqlalchemy as sa
from alembic import op

import catalog.database

revision = "5dc8df73a7ab"
down_revision = "c2b7e7cc28a1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("offering_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", catalog.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_invitations_email_lower_case")),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_invitations_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_invitations_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["offerings.id"],
            name=op.f("fk_invitations_offering_id_offerings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_email"), ["email"], unique=False)
        batch_op.create_index(
            "uq_invitations_open_email_offering",
            ["email", "offering_id"],
            unique=True,
            sqlite_where=sa.text("accepted_at IS NULL"),
            postgresql_where=sa.text("accepted_at IS NULL"),
        )

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", catalog.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["users.id"], name=op.f("fk_outbox_messages_recipient_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_messages_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "enrolment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "applied",
                "nominated",
                "confirmed",
                "waitlisted",
                "declined",
                "withdrawn",
                "completed",
                "failed",
                "no_show",
                name="from_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "applied",
                "nominated",
                "confirmed",
                "waitlisted",
                "declined",
                "withdrawn",
                "completed",
                "failed",
                "no_show",
                name="to_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_enrolment_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_enrolment_events_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_events")),
    )
    with op.batch_alter_table("enrolment_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolment_events_enrolment_id"), ["enrolment_id"], unique=False
        )

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waitlisted_at", catalog.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "prerequisite_override", sa.String(length=500), nullable=False, server_default=""
            )
        )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.alter_column("prerequisite_override", server_default=None)
    # Existing waiting lists keep their order: joined when last changed.
    op.execute("UPDATE enrolments SET waitlisted_at = updated_at WHERE status = 'waitlisted'")

    with op.batch_alter_table("offerings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "seat_allocation",
                sa.Enum(
                    "nomination",
                    "first_come",
                    name="seat_allocation",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=False,
                server_default="nomination",
            )
        )
        batch_op.add_column(sa.Column("quota_release_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "quota_release_at", catalog.database.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "quotas_released_at", catalog.database.UTCDateTime(timezone=True), nullable=True
            )
        )
    # Nomination and selection is the TPP way; other programmes are first come, first served.
    op.execute(
        "UPDATE offerings SET seat_allocation = 'first_come' WHERE course_id IN "
        "(SELECT id FROM courses WHERE programme <> 'tpp')"
    )
    # Without a release date, quotas are released when enrolment closes.
    op.execute("UPDATE offerings SET quota_release_at = enrolment_closes_at")
    with op.batch_alter_table("offerings", schema=None) as batch_op:
        batch_op.alter_column("seat_allocation", server_default=None)
        batch_op.alter_column(
            "quota_release_at",
            existing_type=catalog.database.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.create_index(
            batch_op.f("ix_offerings_quota_release_at"), ["quota_release_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("offerings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offerings_quota_release_at"))
        batch_op.drop_constraint(batch_op.f("ck_offerings_seat_allocation"), type_="check")
        batch_op.drop_column("quotas_released_at")
        batch_op.drop_column("quota_release_at")
        batch_op.drop_column("quota_release_on")
        batch_op.drop_column("seat_allocation")

    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("prerequisite_override")
        batch_op.drop_column("waitlisted_at")

    with op.batch_alter_table("enrolment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_events_enrolment_id"))

    op.drop_table("enrolment_events")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_sent_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_recipient_id"))

    op.drop_table("outbox_messages")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invitations_open_email_offering",
            sqlite_where=sa.text("accepted_at IS NULL"),
            postgresql_where=sa.text("accepted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_invitations_email"))

    op.drop_table("invitations")
