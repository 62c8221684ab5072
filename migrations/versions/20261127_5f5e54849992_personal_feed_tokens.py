"""personal feed tokens

Revision ID: 5f5e54849992
Revises: 5dc8df73a7ab
Create Date: 2026-11-27 21:35:15.419113
"""

import sqlalchemy as sa
from alembic import op

import catalog.database

revision = "5f5e54849992"
down_revision = "5dc8df73a7ab"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("created_at", catalog.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", catalog.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_feed_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_tokens_token_hash")),
    )
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_tokens_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_tokens_user_id"))

    op.drop_table("feed_tokens")
