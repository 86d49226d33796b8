"""the ledger: double-entry, append-only; every money_owed row becomes a credit, then it goes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000

money_owed is dropped, not kept read-only: after this revision the ledger is the only record of
what a worker earned, so nothing can read two places and add them up twice. Every row is copied
first (amount, currency, source key, created_at, the person): training pay lands in the
worker's available account, pay for work answers in pending until the default review window
(72 hours after it was earned) has passed. The downgrade recreates money_owed from the credits.

Triggers refuse any change to an entry, and its deletion, on both databases; only the person's
and the author's ids may be set to NULL (an erasure). A later migration that recreates the table
(SQLite batch mode) must create the triggers again.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNTS = (
    "pending",
    "available",
    "in_payout",
    "paid",
    "platform:work_expense",
    "platform:training_expense",
    "platform:adjustments",
)
KINDS = ("answer", "practice", "bonus", "adjustment", "top_up", "release")
FIXED = (
    "from_account, to_account, amount_minor, currency, kind, source_key, related_id, "
    "release_at, reason, created_at"
)
REVIEW_WINDOW = timedelta(hours=72)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _money_owed() -> sa.Table:
    return sa.table(
        "money_owed",
        sa.column("id", sa.Integer()),
        sa.column("user_id", sa.BigInteger()),
        sa.column("amount_minor", sa.Integer()),
        sa.column("currency", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("source_key", sa.String()),
        sa.column("created_at", core.dbtypes.UTCDateTime(timezone=True)),
    )


def _entries() -> sa.Table:
    return sa.table(
        "ledger_entries",
        sa.column("id", sa.Integer()),
        sa.column("user_id", sa.BigInteger()),
        sa.column("from_account", sa.String()),
        sa.column("to_account", sa.String()),
        sa.column("amount_minor", sa.BigInteger()),
        sa.column("currency", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("source_key", sa.String()),
        sa.column("release_at", core.dbtypes.UTCDateTime(timezone=True)),
        sa.column("created_at", core.dbtypes.UTCDateTime(timezone=True)),
    )


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("from_account", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("to_account", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=True),
        sa.Column("release_at", core.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency", name="currency_code"
        ),
        sa.CheckConstraint("from_account <> to_account", name="two_accounts"),
        sa.CheckConstraint(_one_of("from_account", ACCOUNTS), name="from_known"),
        sa.CheckConstraint(_one_of("to_account", ACCOUNTS), name="to_known"),
        sa.CheckConstraint(_one_of("kind", KINDS), name="kind_known"),
        sa.CheckConstraint("kind <> 'adjustment' OR reason IS NOT NULL", name="adjustment_reason"),
        sa.CheckConstraint(
            "kind <> 'release' OR (related_id IS NOT NULL AND from_account = 'pending' "
            "AND to_account = 'available')",
            name="release_moves_pending",
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["related_id"], ["ledger_entries.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "source_key"),
    )
    op.create_index("ledger_entries_worker", "ledger_entries", ["user_id", "kind", "created_at"])
    op.create_index("ledger_entries_related", "ledger_entries", ["related_id"])
    op.create_index("ledger_entries_due", "ledger_entries", ["to_account", "release_at"])
    _append_only()

    bind = op.get_bind()
    owed = _money_owed()
    rows = bind.execute(sa.select(owed).order_by(owed.c.id)).mappings().all()
    credits = []
    for row in rows:
        work = row["kind"] == "work"
        release_at = row["created_at"] + REVIEW_WINDOW if work else None
        credits.append(
            {
                "user_id": row["user_id"],
                "from_account": "platform:work_expense" if work else "platform:training_expense",
                "to_account": "pending" if work else "available",
                "amount_minor": row["amount_minor"],
                "currency": row["currency"],
                "kind": "answer" if work else "practice",
                "source_key": row["source_key"],
                "release_at": release_at,
                "created_at": row["created_at"],
            }
        )
    if credits:
        op.bulk_insert(_entries(), credits)

    with op.batch_alter_table("money_owed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_money_owed_user_id"))
    op.drop_table("money_owed")


def _append_only() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OF {FIXED} ON ledger_entries "
            "BEGIN SELECT RAISE(ABORT, 'ledger entries are never changed'); END"
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
            "BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'ledger entries are never changed or deleted'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OF {FIXED} ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
    )


def downgrade() -> None:
    op.create_table(
        "money_owed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    with op.batch_alter_table("money_owed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_money_owed_user_id"), ["user_id"], unique=False)
    entries = _entries()
    rows = (
        op.get_bind()
        .execute(
            sa.select(entries)
            .where(entries.c.kind.in_(("answer", "practice")))
            .order_by(entries.c.id)
        )
        .mappings()
        .all()
    )
    owed = [
        {
            "user_id": row["user_id"],
            "amount_minor": row["amount_minor"],
            "currency": row["currency"],
            "kind": "work" if row["kind"] == "answer" else "practice",
            "source_key": row["source_key"],
            "created_at": row["created_at"],
        }
        for row in rows
    ]
    if owed:
        op.bulk_insert(_money_owed(), owed)
    op.drop_table("ledger_entries")  # its indexes and triggers with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION ledger_entries_append_only()")
