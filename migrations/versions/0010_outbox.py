"""the outbox: messages the bot sends on its own, one row each, drained by one sender

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("reply_markup", sa.JSON(), nullable=True),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("not_before", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.CheckConstraint(
            "state IN ('waiting', 'sending', 'sent', 'failed', 'unreachable', 'cancelled')",
            name="state_known",
        ),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "dedup_key"),
    )
    op.create_index("outbox_due", "outbox", ["state", "priority", "not_before", "id"])
    op.create_index(op.f("ix_outbox_user_id"), "outbox", ["user_id"])
    op.create_index(op.f("ix_outbox_broadcast_id"), "outbox", ["broadcast_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_broadcast_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_user_id"), table_name="outbox")
    op.drop_index("outbox_due", table_name="outbox")
    op.drop_table("outbox")
