"""Money owed to people, recorded once per source so the ledger pays it exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey
from sqlmodel import Field, SQLModel

from core.dbtypes import UTCDateTime


class MoneyOwed(SQLModel, table=True):
    """An amount earned and not yet in the ledger (training pay for practice answers).

    `source_key` names what earned it (e.g. ``practice-answer:<answer id>``) and is
    unique, so the same answer can never be owed twice. Rows are never updated or deleted.
    """

    __tablename__ = "money_owed"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    )
    amount_minor: int
    currency: str = Field(max_length=3)
    kind: str = Field(max_length=16)
    source_key: str = Field(max_length=128, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
