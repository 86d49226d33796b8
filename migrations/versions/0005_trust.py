"""trust: invites that expire, run out or are revoked; an audit log; room for encrypted names

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:35:00

Display names and certificate names are stored encrypted (a Fernet token is longer than the
name): their columns grow to 512 characters. Existing plain names are encrypted by the bot's
`python -m bot keys rotate`, which re-encrypts every name with the newest key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.add_column(
            sa.Column("expires_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("max_uses", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("revoked_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_check_constraint("uses_not_negative", "uses >= 0")
        batch.create_check_constraint("max_uses_positive", "max_uses IS NULL OR max_uses > 0")
        batch.create_check_constraint("uses_within_limit", "max_uses IS NULL OR uses <= max_uses")
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "display_name",
            type_=sqlmodel.sql.sqltypes.AutoString(length=512),
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=True,
        )
    with op.batch_alter_table("certificates") as batch:
        batch.alter_column(
            "name",
            type_=sqlmodel.sql.sqltypes.AutoString(length=512),
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=False,
        )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("object", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("certificates") as batch:
        batch.alter_column(
            "name",
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=512),
            existing_nullable=False,
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "display_name",
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=512),
            existing_nullable=True,
        )
    with op.batch_alter_table("invites") as batch:
        batch.drop_constraint("uses_within_limit", type_="check")
        batch.drop_constraint("max_uses_positive", type_="check")
        batch.drop_constraint("uses_not_negative", type_="check")
        batch.drop_column("revoked_at")
        batch.drop_column("max_uses")
        batch.drop_column("expires_at")
