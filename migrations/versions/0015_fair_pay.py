"""fair pay and disputes: a cohort's country (its minimum hourly wage), and disputes of answers

Revision ID: 0015
Revises: 0011
Create Date: 2026-11-22 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0015"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
        )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.CheckConstraint("reason IN ('late', 'too_fast', 'gold')", name="reason_known"),
        sa.CheckConstraint("state IN ('open', 'upheld', 'reversed')", name="state_known"),
        sa.CheckConstraint("(state = 'open') = (decided_at IS NULL)", name="decided_iff_not_open"),
        sa.ForeignKeyConstraint(["assignment_id"], ["work_assignments.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assignment_id"),
    )
    op.create_index("disputes_state", "disputes", ["state", "id"])


def downgrade() -> None:
    op.drop_index("disputes_state", table_name="disputes")
    op.drop_table("disputes")
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("country")
