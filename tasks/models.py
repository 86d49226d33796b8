"""Work: labelling projects, their items and assignments, and the ledger of what workers earn."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from core.dbtypes import UTCDateTime


class ProjectState(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class ItemState(StrEnum):
    OPEN = "open"  # wants answers
    COMPLETE = "complete"  # aggregated with enough agreement
    REVIEW = "review"  # agreement stayed low at the maximum overlap: a coordinator decides
    SETTLED = "settled"  # a coordinator decided


class AssignmentState(StrEnum):
    LEASED = "leased"  # the worker holds the item until expires_at
    ANSWERED = "answered"  # answered in time: counts toward the item's overlap
    LATE = "late"  # answered after the lease expired: not counted, paid within the grace
    SKIPPED = "skipped"
    REPORTED = "reported"  # a problem with the item (unclear, broken image, offensive)
    EXPIRED = "expired"  # the lease ran out unanswered; the item went back to the pool
    # (answered_at set: an answer came after the grace period and was refused)


class WorkProject(SQLModel, table=True):
    """A labelling project: its spec (the validated project.yaml, as JSON) and its state."""

    __tablename__ = "work_projects"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'paused', 'closed')", name="state_known"),
        CheckConstraint(
            "kind IN ('classification', 'tagging', 'verification', 'comparison')",
            name="kind_known",
        ),
        CheckConstraint("reward_minor >= 0", name="reward_not_negative"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
    )

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    state: str = Field(default=ProjectState.OPEN, max_length=8)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    spec_digest: str = Field(max_length=64)
    reward_minor: int
    currency: str = Field(max_length=3)
    created_at: datetime = Field(sa_type=UTCDateTime)
    state_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WorkImage(SQLModel, table=True):
    """An item's picture after the image pipeline: upright, no metadata, small."""

    __tablename__ = "work_images"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)  # sha256 of `data`; the file_id cache key
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    width: int
    height: int
    source_bytes: int  # size of the file as imported, before the pipeline


class WorkItem(SQLModel, table=True):
    """One thing to label. `answered + leased` never exceeds `needed` (gold items excepted)."""

    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        CheckConstraint("answered >= 0 AND leased >= 0", name="counts_not_negative"),
        CheckConstraint("is_gold OR answered + leased <= needed", name="within_overlap"),
        CheckConstraint("state IN ('open', 'complete', 'review', 'settled')", name="state_known"),
        Index("work_items_queue", "project_id", "is_gold", "state", "queue_rank", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: str = Field(foreign_key="work_projects.id", max_length=64)
    external_id: str = Field(max_length=128)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    image_id: int | None = Field(default=None, foreign_key="work_images.id")
    image_b_id: int | None = Field(default=None, foreign_key="work_images.id")
    language: str | None = Field(default=None, max_length=8)  # only for workers who read it
    is_gold: bool = False
    gold: list[str] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    priority: int = 0
    queue_rank: int = 0  # -priority: the claim takes the lowest rank, then the oldest item
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    needed: int
    answered: int = 0
    leased: int = 0
    state: str = Field(default=ItemState.OPEN, max_length=8)
    label: list[str] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    confidence: float | None = None
    settled_by: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    )
    created_at: datetime = Field(sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """One worker's turn at one item: a lease, then an answer, a skip, a report or expiry."""

    __tablename__ = "work_assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),  # never the same item twice to one worker
        CheckConstraint(
            "state IN ('leased', 'answered', 'late', 'skipped', 'reported', 'expired')",
            name="state_known",
        ),
        CheckConstraint(
            "(state IN ('answered', 'late')) = (answer IS NOT NULL)", name="answer_iff_answered"
        ),
        Index("work_assignments_expiry", "state", "expires_at"),
        Index("work_assignments_worker", "user_id", "project_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="work_items.id")
    project_id: str = Field(foreign_key="work_projects.id", max_length=64)
    user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    )
    state: str = Field(default=AssignmentState.LEASED, max_length=8)
    is_gold: bool = False
    leased_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answer: list[str] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    answer_ms: int | None = None  # from the item being shown to the answer
    correct: bool | None = None  # gold items only
    too_fast: bool = False  # faster than the project's honest minimum: flagged, not paid
    report_reason: str | None = Field(default=None, max_length=16)


class WorkerStanding(SQLModel, table=True):
    """A worker's record on one project: gold answers seen and right, and a pause."""

    __tablename__ = "work_standing"
    __table_args__ = (
        CheckConstraint("0 <= gold_correct AND gold_correct <= gold_answered", name="gold_counts"),
    )

    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    project_id: str = Field(foreign_key="work_projects.id", primary_key=True, max_length=64)
    gold_answered: int = 0
    gold_correct: int = 0
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The ledger. A worker's accounts are (user_id, name); the platform's are named "platform:...".
WORKER_ACCOUNTS = ("pending", "available", "in_payout", "paid")
PLATFORM_ACCOUNTS = (
    "platform:work_expense",
    "platform:training_expense",
    "platform:adjustments",
)
ACCOUNTS = WORKER_ACCOUNTS + PLATFORM_ACCOUNTS
CREDIT_KINDS = ("answer", "practice", "bonus", "adjustment", "top_up")
# A payout moves a worker's money: available -> in_payout, then in_payout -> paid, or back to
# available when it failed (tasks.payouts).
PAYOUT_KINDS = ("payout", "payout_paid", "payout_failed")
PAYOUT_MOVES = {
    "payout": ("available", "in_payout"),
    "payout_paid": ("in_payout", "paid"),
    "payout_failed": ("in_payout", "available"),
}
ENTRY_KINDS = (*CREDIT_KINDS, "release", *PAYOUT_KINDS)
# The columns no one may change: only user_id and author_id, set to NULL by an erasure, may be.
LEDGER_FIXED_COLUMNS = (
    "from_account",
    "to_account",
    "amount_minor",
    "currency",
    "kind",
    "source_key",
    "related_id",
    "release_at",
    "reason",
    "created_at",
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


PAYOUT_MOVES_CHECK = " AND ".join(
    f"(kind <> '{kind}' OR (from_account = '{source}' AND to_account = '{target}'))"
    for kind, (source, target) in PAYOUT_MOVES.items()
)


class LedgerEntry(SQLModel, table=True):
    """One journal entry: `amount_minor` moves from one account to another, so every entry
    balances to zero by construction. Entries are never updated or deleted; a correction is a
    new entry. A credit to a worker names its source by (kind, source_key), unique, so the same
    source is never credited twice; a release (pending to available) names the credit it moves.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("kind", "source_key"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency", name="currency_code"
        ),
        CheckConstraint("from_account <> to_account", name="two_accounts"),
        CheckConstraint(_one_of("from_account", ACCOUNTS), name="from_known"),
        CheckConstraint(_one_of("to_account", ACCOUNTS), name="to_known"),
        CheckConstraint(_one_of("kind", ENTRY_KINDS), name="kind_known"),
        CheckConstraint("kind <> 'adjustment' OR reason IS NOT NULL", name="adjustment_reason"),
        CheckConstraint(
            "kind <> 'release' OR (related_id IS NOT NULL AND from_account = 'pending' "
            "AND to_account = 'available')",
            name="release_moves_pending",
        ),
        CheckConstraint(PAYOUT_MOVES_CHECK, name="payout_moves"),
        Index("ledger_entries_worker", "user_id", "kind", "created_at"),
        Index("ledger_entries_related", "related_id"),
        Index("ledger_entries_due", "to_account", "release_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    )
    from_account: str = Field(max_length=32)
    to_account: str = Field(max_length=32)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    kind: str = Field(max_length=16)
    source_key: str = Field(max_length=128)
    related_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    release_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # pending until then
    reason: str | None = Field(default=None, max_length=500)
    author_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
