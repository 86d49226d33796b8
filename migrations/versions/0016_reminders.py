"""reminders: each person's time zone, quiet hours and reminder kinds switched off; a group's
default time zone

Revision ID: 0016
Revises: 0012
Create Date: 2026-11-22 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("quiet_from", sa.SmallInteger(), nullable=False, server_default="21")
        )
        batch.add_column(
            sa.Column("quiet_until", sa.SmallInteger(), nullable=False, server_default="8")
        )
        batch.create_check_constraint(
            "quiet_hours_in_day", "quiet_from BETWEEN 0 AND 23 AND quiet_until BETWEEN 0 AND 23"
        )
    with op.batch_alter_table("cohorts") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=40), nullable=True))
    op.create_table(
        "reminders_off",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(length=16), primary_key=True),
        sa.CheckConstraint("kind IN ('lesson', 'quiz', 'work', 'payout')", name="kind_known"),
    )


def downgrade() -> None:
    op.drop_table("reminders_off")
    with op.batch_alter_table("cohorts") as batch:
        batch.drop_column("time_zone")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("quiet_hours_in_day", type_="check")
        batch.drop_column("quiet_until")
        batch.drop_column("quiet_from")
        batch.drop_column("time_zone")
