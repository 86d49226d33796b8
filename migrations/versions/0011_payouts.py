"""payouts: workers' payout methods (encrypted), weekly payouts, and the ledger's payout moves

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 09:00:00.000000

The ledger learns three kinds of entry (payout, payout_paid, payout_failed), each allowed only
between the accounts it moves. SQLite changes a check constraint by copying the table, which
loses its triggers: they are dropped first and created again afterwards, as 0009 made them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.crypto
import core.dbtypes

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("answer", "practice", "bonus", "adjustment", "top_up", "release")
NEW_KINDS = (*OLD_KINDS, "payout", "payout_paid", "payout_failed")
MOVES = {
    "payout": ("available", "in_payout"),
    "payout_paid": ("in_payout", "paid"),
    "payout_failed": ("in_payout", "available"),
}
PAYOUT_MOVES = " AND ".join(
    f"(kind <> '{kind}' OR (from_account = '{source}' AND to_account = '{target}'))"
    for kind, (source, target) in MOVES.items()
)
FIXED = (
    "from_account, to_account, amount_minor, currency, kind, source_key, related_id, "
    "release_at, reason, created_at"
)
METHODS = ("mobile_money", "bank", "wallet", "cash")
STATES = ("in_payout", "paid", "failed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite_triggers(create: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL alters the table in place: its triggers stay
    if not create:
        op.execute("DROP TRIGGER ledger_entries_no_update")
        op.execute("DROP TRIGGER ledger_entries_no_delete")
        return
    op.execute(
        f"CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OF {FIXED} ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'ledger entries are never changed'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END"
    )


def _ledger_kinds(kinds: tuple[str, ...], moves: bool) -> None:
    _sqlite_triggers(create=False)
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.drop_constraint("kind_known", type_="check")
        batch_op.create_check_constraint("kind_known", _one_of("kind", kinds))
        if moves:
            batch_op.create_check_constraint("payout_moves", PAYOUT_MOVES)
        else:
            batch_op.drop_constraint("payout_moves", type_="check")
    _sqlite_triggers(create=True)


def upgrade() -> None:
    _ledger_kinds(NEW_KINDS, moves=True)
    op.create_table(
        "payout_methods",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("details", core.crypto.EncryptedText(length=512), nullable=True),
        sa.Column("updated_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_one_of("kind", METHODS), name="method_known"),
        sa.CheckConstraint("(kind = 'cash') = (details IS NULL)", name="details_iff_not_cash"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("method_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("details", core.crypto.EncryptedText(length=512), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency", name="currency_code"
        ),
        sa.CheckConstraint(_one_of("state", STATES), name="state_known"),
        sa.CheckConstraint(_one_of("method_kind", METHODS), name="method_known"),
        sa.CheckConstraint("state <> 'failed' OR reason IS NOT NULL", name="failure_reason"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "period", "currency"),
    )
    op.create_index("payouts_period", "payouts", ["period", "state"])
    op.create_index("payouts_worker", "payouts", ["user_id", "created_at"])


def downgrade() -> None:
    """Refused while the ledger holds payout entries: they cannot be deleted (append-only),
    and the older schema has no kind for them."""
    found = op.get_bind().execute(
        sa.text(
            "SELECT count(*) FROM ledger_entries WHERE kind IN "
            "('payout', 'payout_paid', 'payout_failed')"
        )
    )
    if found.scalar_one():
        raise RuntimeError("the ledger holds payout entries; 0011 cannot be downgraded")
    op.drop_index("payouts_worker", table_name="payouts")
    op.drop_index("payouts_period", table_name="payouts")
    op.drop_table("payouts")
    op.drop_table("payout_methods")
    _ledger_kinds(OLD_KINDS, moves=False)
