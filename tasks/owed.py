"""What is owed to a worker so far: training pay and pay for work, per currency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasks.models import MoneyOwed


async def owed_totals(
    session: AsyncSession, user_id: int, since: datetime | None = None
) -> dict[tuple[str, str], int]:
    """(kind, currency) -> minor units recorded for the worker (since `since`, if given)."""
    query = (
        select(MoneyOwed.kind, MoneyOwed.currency, func.sum(MoneyOwed.amount_minor))
        .where(MoneyOwed.user_id == user_id)
        .group_by(MoneyOwed.kind, MoneyOwed.currency)
    )
    if since is not None:
        query = query.where(MoneyOwed.created_at >= since)
    rows = await session.execute(query)
    return {(kind, currency): int(total) for kind, currency, total in rows.all()}
