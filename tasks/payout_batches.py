"""Payout batches: the payouts of one period (ISO week) in one currency, as finance pays them.

Coordinators see and confirm only payouts of workers in their own organisation's cohorts; admins
and the command line (organisation None) see every payout. Confirming a batch confirms each of
its payouts still on their way, one by one through `tasks.payouts.confirm` (ledger move, audit
entry with the author, notice to the worker), each in a savepoint: a payout confirmed meanwhile
by someone else is skipped, never moved twice. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from people.models import Cohort, User
from tasks.payout_models import Payout, PayoutState
from tasks.payouts import PayoutError, confirm

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Batch:
    period: str
    currency: str
    count: int
    total_minor: int
    in_payout: int
    paid: int
    failed: int
    waiting_minor: int  # the amount still on its way

    @property
    def key(self) -> str:
        return f"{self.period}:{self.currency}"


@dataclass
class BatchOutcome:
    moved: list[int] = field(default_factory=list)  # payout ids confirmed now
    skipped: int = 0  # confirmed meanwhile by someone else


def scoped(query: Select[Any], organisation_id: int | None) -> Select[Any]:
    """Only payouts of workers in the organisation's cohorts (None: every payout)."""
    if organisation_id is None:
        return query
    return (
        query.join(User, User.id == Payout.user_id)
        .join(Cohort, Cohort.id == User.cohort_id)
        .where(Cohort.organisation_id == organisation_id)
    )


def _count(state: str) -> Any:
    return func.sum(case((Payout.state == state, 1), else_=0))


def _summary(organisation_id: int | None) -> Select[Any]:
    waiting = func.sum(case((Payout.state == PayoutState.IN_PAYOUT, Payout.amount_minor), else_=0))
    query = select(
        Payout.period,
        Payout.currency,
        func.count(),
        func.sum(Payout.amount_minor),
        _count(PayoutState.IN_PAYOUT),
        _count(PayoutState.PAID),
        _count(PayoutState.FAILED),
        waiting,
    )
    return scoped(query, organisation_id).group_by(Payout.period, Payout.currency)


def _batches(rows: Any) -> list[Batch]:
    return [
        Batch(str(p), str(c), int(n), int(t), int(w), int(ok), int(bad), int(left))
        for p, c, n, t, w, ok, bad, left in rows
    ]


async def batches(
    session: AsyncSession, organisation_id: int | None, *, limit: int = 12
) -> list[Batch]:
    """The newest batches first, with how many payouts are on their way, paid and failed."""
    query = _summary(organisation_id).order_by(Payout.period.desc(), Payout.currency).limit(limit)
    return _batches((await session.execute(query)).all())


async def batch(
    session: AsyncSession, period: str, currency: str, organisation_id: int | None
) -> Batch | None:
    query = _summary(organisation_id).where(Payout.period == period, Payout.currency == currency)
    found = _batches((await session.execute(query)).all())
    return found[0] if found else None


async def payouts_in(
    session: AsyncSession,
    period: str,
    currency: str | None,
    organisation_id: int | None,
    *,
    state: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Payout]:
    """The batch's payouts by id (`currency` None: every currency of the period)."""
    query = select(Payout).where(Payout.period == period)
    if currency is not None:
        query = query.where(Payout.currency == currency)
    if state is not None:
        query = query.where(Payout.state == state)
    query = scoped(query, organisation_id).order_by(Payout.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


async def payout_in_scope(
    session: AsyncSession, payout_id: int, organisation_id: int | None
) -> Payout | None:
    """The payout, if it exists and the organisation may see it."""
    query = scoped(select(Payout).where(Payout.id == payout_id), organisation_id)
    return (await session.execute(query)).scalar_one_or_none()


async def confirm_in_scope(
    session: AsyncSession,
    payout_id: int,
    organisation_id: int | None,
    now: datetime,
    *,
    paid: bool,
    reason: str | None,
    actor: str,
    actor_id: int | None = None,
    zone: tzinfo = UTC,
) -> Payout:
    """`confirm` for a payout the organisation may see; another's is "unknown" to it."""
    if await payout_in_scope(session, payout_id, organisation_id) is None:
        raise PayoutError("unknown", payout_id)
    return await confirm(
        session,
        payout_id,
        now,
        paid=paid,
        reason=reason,
        actor=actor,
        actor_id=actor_id,
        zone=zone,
    )


async def confirm_batch(
    session: AsyncSession,
    period: str,
    currency: str | None,
    organisation_id: int | None,
    now: datetime,
    *,
    paid: bool,
    reason: str | None,
    actor: str,
    actor_id: int | None = None,
    zone: tzinfo = UTC,
    progress: Progress | None = None,
) -> BatchOutcome:
    """Mark every payout of the batch still on its way paid, or failed with `reason`."""
    if not paid and not (reason or "").strip():
        raise PayoutError("no_reason", 0)
    waiting = await payouts_in(
        session, period, currency, organisation_id, state=PayoutState.IN_PAYOUT
    )
    ids = [payout.id for payout in waiting if payout.id is not None]
    outcome = BatchOutcome()
    for done, payout_id in enumerate(ids, start=1):
        try:
            async with session.begin_nested():
                await confirm(
                    session,
                    payout_id,
                    now,
                    paid=paid,
                    reason=reason,
                    actor=actor,
                    actor_id=actor_id,
                    zone=zone,
                )
        except PayoutError:
            outcome.skipped += 1
        else:
            outcome.moved.append(payout_id)
        if progress is not None:
            progress(done, len(ids))
    return outcome
