"""broadcasts: an announcement's audience, texts per language, schedule and status message

Revision ID: 0013
Revises: 0015
Create Date: 2026-11-22 09:30:00.000000

Its messages are outbox rows (outbox.broadcast_id); that column keeps no foreign key, so the
outbox table is not rebuilt on SQLite for it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0013"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("fallback_locale", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("photo", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("scheduled_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')", name="state_known"
        ),
        sa.CheckConstraint("recipients >= 0", name="recipients_not_negative"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_broadcasts_organisation_id"), "broadcasts", ["organisation_id"])
    op.create_index(op.f("ix_broadcasts_state"), "broadcasts", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_broadcasts_state"), table_name="broadcasts")
    op.drop_index(op.f("ix_broadcasts_organisation_id"), table_name="broadcasts")
    op.drop_table("broadcasts")
