"""micro-tasks: projects, items, images, assignments (leases), worker standing per project

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 06:05:06.740140
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("source_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_table(
        "work_projects",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("spec_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reward_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('classification', 'tagging', 'verification', 'comparison')", name="kind_known"
        ),
        sa.CheckConstraint("state IN ('open', 'paused', 'closed')", name="state_known"),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
        sa.CheckConstraint("reward_minor >= 0", name="reward_not_negative"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "work_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("image_b_id", sa.Integer(), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("is_gold", sa.Boolean(), nullable=False),
        sa.Column("gold", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("queue_rank", sa.Integer(), nullable=False),
        sa.Column("deadline", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("leased", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("label", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("settled_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'complete', 'review', 'settled')", name="state_known"
        ),
        sa.CheckConstraint("answered >= 0 AND leased >= 0", name="counts_not_negative"),
        sa.CheckConstraint("is_gold OR answered + leased <= needed", name="within_overlap"),
        sa.ForeignKeyConstraint(
            ["image_b_id"],
            ["work_images.id"],
        ),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["work_images.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["work_projects.id"],
        ),
        sa.ForeignKeyConstraint(["settled_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "external_id"),
    )
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.create_index(
            "work_items_queue", ["project_id", "is_gold", "state", "queue_rank", "id"], unique=False
        )

    op.create_table(
        "work_standing",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gold_answered", sa.Integer(), nullable=False),
        sa.Column("gold_correct", sa.Integer(), nullable=False),
        sa.Column("paused_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "0 <= gold_correct AND gold_correct <= gold_answered", name="gold_counts"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["work_projects.id"],
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "project_id"),
    )
    op.create_table(
        "work_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("is_gold", sa.Boolean(), nullable=False),
        sa.Column("leased_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("answer_ms", sa.Integer(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("too_fast", sa.Boolean(), nullable=False),
        sa.Column("report_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.CheckConstraint(
            "(state IN ('answered', 'late')) = (answer IS NOT NULL)", name="answer_iff_answered"
        ),
        sa.CheckConstraint(
            "state IN ('leased', 'answered', 'late', 'skipped', 'reported', 'expired')",
            name="state_known",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["work_items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["work_projects.id"],
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "user_id"),
    )
    with op.batch_alter_table("work_assignments", schema=None) as batch_op:
        batch_op.create_index("work_assignments_expiry", ["state", "expires_at"], unique=False)
        batch_op.create_index(
            "work_assignments_worker", ["user_id", "project_id", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("work_assignments", schema=None) as batch_op:
        batch_op.drop_index("work_assignments_worker")
        batch_op.drop_index("work_assignments_expiry")

    op.drop_table("work_assignments")
    op.drop_table("work_standing")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index("work_items_queue")

    op.drop_table("work_items")
    op.drop_table("work_projects")
    op.drop_table("work_images")
