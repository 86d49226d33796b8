"""How workers are paid: each worker's payout method, and the payouts of each weekly run.

A method's details (a phone number, an account, a wallet) are encrypted at rest
(core.crypto.EncryptedText); a payout keeps the details it was made with, encrypted too, so a
later change of method does not change what finance was asked to pay. A payout is unique per
(worker, period, currency): a run repeated, or two runs at once, create it once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedText
from core.dbtypes import UTCDateTime

METHOD_KINDS = ("mobile_money", "bank", "wallet", "cash")


class PayoutState(StrEnum):
    IN_PAYOUT = "in_payout"  # created by a run; finance has it in the batch file
    PAID = "paid"
    FAILED = "failed"  # the money went back to available


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PayoutMethod(SQLModel, table=True):
    """The one way a worker is paid now; `details` is None for cash."""

    __tablename__ = "payout_methods"
    __table_args__ = (
        CheckConstraint(_one_of("kind", METHOD_KINDS), name="method_known"),
        CheckConstraint("(kind = 'cash') = (details IS NULL)", name="details_iff_not_cash"),
    )

    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(max_length=16)
    details: str | None = Field(default=None, sa_type=EncryptedText(512))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Payout(SQLModel, table=True):
    """One worker's payout for one period (an ISO week, "2026-W48") in one currency."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("user_id", "period", "currency"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency", name="currency_code"
        ),
        CheckConstraint(_one_of("state", tuple(PayoutState)), name="state_known"),
        CheckConstraint(_one_of("method_kind", METHOD_KINDS), name="method_known"),
        CheckConstraint("state <> 'failed' OR reason IS NOT NULL", name="failure_reason"),
        Index("payouts_period", "period", "state"),
        Index("payouts_worker", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    )
    period: str = Field(max_length=8)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    method_kind: str = Field(max_length=16)
    details: str | None = Field(default=None, sa_type=EncryptedText(512))
    state: str = Field(default=PayoutState.IN_PAYOUT, max_length=16)
    reason: str | None = Field(default=None, max_length=500)  # why it failed
    created_at: datetime = Field(sa_type=UTCDateTime)
    state_changed_at: datetime = Field(sa_type=UTCDateTime)
