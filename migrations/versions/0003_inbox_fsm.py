"""inbox of updates (each acted on once) and conversation state that survives restarts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("received_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="status_known"),
        sa.CheckConstraint("status = 'pending' OR payload IS NULL", name="payload_only_pending"),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("ix_inbox_updates_pending", "inbox_updates", ["status", "update_id"])
    op.create_table(
        "fsm_states",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("updated_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("fsm_states")
    op.drop_index("ix_inbox_updates_pending", table_name="inbox_updates")
    op.drop_table("inbox_updates")
