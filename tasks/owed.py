"""What a worker's Earnings screen shows, read from the ledger: balances, this week, sources."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tasks.ledger import Balance, balances, credited, next_release, release_due
from tasks.payout_models import Payout, PayoutMethod
from tasks.payouts import recent_payouts


@dataclass(frozen=True)
class Earnings:
    """Per currency: the worker's accounts and what was credited this week; per (kind,
    currency): everything credited so far; when the next pending amount becomes available;
    the worker's payout method and last payouts, newest first."""

    balances: dict[str, Balance]
    this_week: dict[str, int]
    by_kind: dict[tuple[str, str], int]
    next_release: datetime | None
    method: PayoutMethod | None = None
    payouts: list[Payout] = field(default_factory=list)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of `now`'s week, in `now`'s time zone."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


async def earnings(session: AsyncSession, user_id: int, now: datetime) -> Earnings:
    """Releases what is due to the worker (no scheduler needed to see it), then reads."""
    await release_due(session, now, user_id=user_id)
    week: dict[str, int] = defaultdict(int)
    for (_kind, currency), amount in (await credited(session, user_id, week_start(now))).items():
        week[currency] += amount
    return Earnings(
        balances=await balances(session, user_id),
        this_week={currency: total for currency, total in week.items() if total},
        by_kind=await credited(session, user_id),
        next_release=await next_release(session, user_id),
        method=await session.get(PayoutMethod, user_id),
        payouts=await recent_payouts(session, user_id),
    )
