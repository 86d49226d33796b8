"""Weekly payouts: a run pays each worker's available money, once per week and currency.

A run (`run_payouts`) takes every worker whose available balance in a currency reaches the
minimum and who has a payout method, and creates one payout for the period (the ISO week in the
deployment's time zone), moving the amount from available to in_payout in the ledger (an entry
keyed by the payout). The payout row is unique per (worker, period, currency), inserted in a
savepoint: a run repeated, or two at once, pays nobody twice. Workers below the minimum or
without a method keep their money in available and are told why, once per period.

Each worker is one step; `after_each` lets the caller commit after every step, so a run killed
half-way leaves a consistent prefix that the next run completes. A payout then moves forward
only: paid (in_payout -> paid) or failed (in_payout -> available, with the reason). Every change
writes a notice to the worker's outbox in their language and an audit entry naming who made it.
Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.clock import ManualClock
from core.i18n import use_locale
from people import audit, reminders
from people.models import User
from people.time_zones import next_waking
from tasks import payout_notices
from tasks.ledger import AVAILABLE, IN_PAYOUT, PAID, Balance, balances, release_due
from tasks.models import LedgerEntry
from tasks.payout_models import Payout, PayoutMethod, PayoutState

PAYOUT_NOTICE = "payout"  # outbox kind: a payout's state changed
HELD_NOTICE = "payout_held"  # outbox kind: available money stays there this period, and why
_PERIOD = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class PayoutTerms:
    """When payouts are made and the least paid, per currency in minor units (a currency not
    named: any amount above zero)."""

    minimum: Mapping[str, int] = field(default_factory=dict)
    weekday: int = 0  # Monday
    hour: int = 9
    zone: tzinfo = UTC

    def minimum_for(self, currency: str) -> int:
        return max(1, self.minimum.get(currency, 1))

    def next_payout(self, now: datetime) -> datetime:
        """The next scheduled run after `now`, in the deployment's time zone."""
        local = now.astimezone(self.zone)
        day = local.replace(hour=self.hour, minute=0, second=0, microsecond=0)
        day += timedelta(days=(self.weekday - local.weekday()) % 7)
        return day if day > local else day + timedelta(days=7)


def period_of(now: datetime, zone: tzinfo) -> str:
    """The ISO week of `now` in `zone`: "2026-W48"."""
    year, week, _day = now.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def parse_period(text: str) -> str | None:
    """A period written as YYYY-Www, if it is a real ISO week."""
    found = _PERIOD.match(text.strip())
    if not found:
        return None
    year, week = int(found[1]), int(found[2])
    try:
        datetime.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return f"{year}-W{week:02d}"


@dataclass
class RunReport:
    period: str
    created: list[int] = field(default_factory=list)  # payout ids made by this run
    already: int = 0  # payouts of this period that existed (an earlier or a parallel run)
    below_minimum: int = 0
    no_method: int = 0


async def available_by_worker(session: AsyncSession) -> list[tuple[int, str, int]]:
    """(worker, currency, available) for every available balance above zero."""
    signed = case(
        (LedgerEntry.to_account == AVAILABLE, LedgerEntry.amount_minor),
        else_=-LedgerEntry.amount_minor,
    )
    total = func.sum(signed)
    query = (
        select(LedgerEntry.user_id, LedgerEntry.currency, total)
        .where(
            LedgerEntry.user_id.is_not(None),
            (LedgerEntry.to_account == AVAILABLE) | (LedgerEntry.from_account == AVAILABLE),
        )
        .group_by(LedgerEntry.user_id, LedgerEntry.currency)
        .having(total > 0)
        .order_by(LedgerEntry.user_id, LedgerEntry.currency)
    )
    return [(int(u), c, int(a)) for u, c, a in (await session.execute(query)).all()]


async def _payout_id(session: AsyncSession, user_id: int, period: str, currency: str) -> int | None:
    found = await session.execute(
        select(Payout.id).where(
            Payout.user_id == user_id, Payout.period == period, Payout.currency == currency
        )
    )
    return found.scalar_one_or_none()


def _move(payout: Payout, kind: str, source: str, target: str, now: datetime) -> LedgerEntry:
    return LedgerEntry(
        user_id=payout.user_id,
        from_account=source,
        to_account=target,
        amount_minor=payout.amount_minor,
        currency=payout.currency,
        kind=kind,
        source_key=f"payout:{payout.id}",
        reason=payout.reason,
        created_at=now,
    )


async def _notify(
    session: AsyncSession,
    user: User | None,
    kind: str,
    key: str,
    text: Callable[[], str],
    now: datetime,
    zone: tzinfo,
) -> None:
    """Tell the worker, in their language, outside their quiet hours, unless they switched
    payout messages off in Settings (people.reminders)."""
    if user is None:  # erased: nobody to tell
        return
    person = (await reminders.recipients(session, [user.id], "payout", zone)).get(user.id)
    if person is None and user.unreachable_since is None:
        return  # switched off
    with use_locale(user.locale):
        body = text()
    when = now
    if person is not None:
        when = next_waking(now, person.zone, person.quiet_from, person.quiet_until)
    await outbox.enqueue(
        session,
        chat_id=user.id,
        user_id=user.id,
        kind=kind,
        text=body,
        now=now,
        dedup_key=key,
        not_before=when,
    )


def _audit(
    session: AsyncSession,
    now: datetime,
    action: str,
    payout: Payout,
    actor: str,
    actor_id: int | None = None,
) -> None:
    audit.record(
        session,
        ManualClock(now),
        actor_id=actor_id,
        action=action,
        object=f"payout:{payout.id}",
        detail=f"by {actor}",
    )


async def _pay_one(
    session: AsyncSession,
    user: User,
    currency: str,
    amount: int,
    method: PayoutMethod,
    period: str,
    now: datetime,
    actor: str,
    zone: tzinfo,
) -> Payout | None:
    """The worker's payout for the period, or None when it exists already."""
    payout = Payout(
        user_id=user.id,
        period=period,
        amount_minor=amount,
        currency=currency,
        method_kind=method.kind,
        details=method.details,
        created_at=now,
        state_changed_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(payout)
            await session.flush()
            session.add(_move(payout, "payout", AVAILABLE, IN_PAYOUT, now))
            await session.flush()
    except IntegrityError:
        if await _payout_id(session, user.id, period, currency) is None:
            raise
        return None
    _audit(session, now, "payout_created", payout, actor)
    await _notify(
        session,
        user,
        PAYOUT_NOTICE,
        f"{payout.id}:{PayoutState.IN_PAYOUT}",
        lambda: payout_notices.payout_created(amount, currency, method.kind, method.details),
        now,
        zone,
    )
    return payout


async def run_payouts(
    session: AsyncSession,
    now: datetime,
    terms: PayoutTerms,
    *,
    period: str | None = None,
    actor: str = "scheduler",
    after_each: Callable[[], Awaitable[object]] | None = None,
) -> RunReport:
    """Pay every worker whose available balance reaches the minimum and who has a method.

    Due pending pay is released first. `after_each` is awaited after every worker's step
    (the caller's commit, so a kill leaves a consistent prefix)."""
    report = RunReport(period or period_of(now, terms.zone))
    await release_due(session, now)
    if after_each is not None:
        await after_each()
    for user_id, currency, _seen in await available_by_worker(session):
        if await _payout_id(session, user_id, report.period, currency) is not None:
            report.already += 1
            continue
        # Read again in this worker's own transaction: the bot may have moved money since.
        amount = (await balances(session, user_id)).get(currency, Balance()).available
        user = await session.get(User, user_id)
        method = await session.get(PayoutMethod, user_id)
        if user is None or amount <= 0:
            continue
        minimum = terms.minimum_for(currency)
        key = f"{user_id}:{report.period}:{currency}"
        if method is None:
            report.no_method += 1
            await _notify(
                session,
                user,
                HELD_NOTICE,
                key,
                lambda a=amount, c=currency: payout_notices.held_no_method(a, c),
                now,
                terms.zone,
            )
        elif amount < minimum:
            report.below_minimum += 1
            await _notify(
                session,
                user,
                HELD_NOTICE,
                key,
                lambda a=amount, c=currency, m=minimum: payout_notices.held_below_minimum(a, c, m),
                now,
                terms.zone,
            )
        else:
            payout = await _pay_one(
                session, user, currency, amount, method, report.period, now, actor, terms.zone
            )
            if payout is None:
                report.already += 1
            else:
                report.created.append(payout.id or 0)
        if after_each is not None:
            await after_each()
    return report


class PayoutError(Exception):
    """Refused: `reason` is unknown, not_in_payout (paid or failed already) or no_reason."""

    def __init__(self, reason: str, payout_id: int) -> None:
        super().__init__(f"payout {payout_id}: {reason}")
        self.reason = reason
        self.payout_id = payout_id


async def confirm(
    session: AsyncSession,
    payout_id: int,
    now: datetime,
    *,
    paid: bool,
    reason: str | None = None,
    actor: str,
    actor_id: int | None = None,
    zone: tzinfo = UTC,
) -> Payout:
    """Mark a payout paid, or failed with its reason (the money goes back to available).
    `actor` names who did it in the audit log (`actor_id`: the member, when done in the bot).

    Only a payout in payout moves, once: a second confirmation raises PayoutError."""
    reason = (reason or "").strip() or None
    if not paid and reason is None:
        raise PayoutError("no_reason", payout_id)
    state = PayoutState.PAID if paid else PayoutState.FAILED
    moved = await session.execute(
        update(Payout)
        .where(Payout.id == payout_id, Payout.state == PayoutState.IN_PAYOUT)
        .values(state=state, reason=None if paid else reason[:500], state_changed_at=now)
        .returning(Payout.id)
    )
    if moved.first() is None:
        known = await session.get(Payout, payout_id)
        raise PayoutError("not_in_payout" if known else "unknown", payout_id)
    payout = await session.get(Payout, payout_id, populate_existing=True)
    assert payout is not None
    if paid:
        session.add(_move(payout, "payout_paid", IN_PAYOUT, PAID, now))
    else:
        session.add(_move(payout, "payout_failed", IN_PAYOUT, AVAILABLE, now))
    await session.flush()
    _audit(session, now, f"payout_{state}", payout, actor, actor_id)
    user = await session.get(User, payout.user_id) if payout.user_id is not None else None
    amount, currency = payout.amount_minor, payout.currency
    if paid:
        kind, details = payout.method_kind, payout.details

        def text() -> str:
            return payout_notices.payout_paid(amount, currency, kind, details)
    else:
        failure = payout.reason or ""

        def text() -> str:
            return payout_notices.payout_failed(amount, currency, failure)

    await _notify(session, user, PAYOUT_NOTICE, f"{payout.id}:{state}", text, now, zone)
    return payout


async def payouts_of(
    session: AsyncSession, *, period: str | None = None, state: str | None = None
) -> list[Payout]:
    """Payouts, newest period first, then by id."""
    query = select(Payout).order_by(Payout.period.desc(), Payout.id)
    if period is not None:
        query = query.where(Payout.period == period)
    if state is not None:
        query = query.where(Payout.state == state)
    return list((await session.execute(query)).scalars())


async def recent_payouts(session: AsyncSession, user_id: int, limit: int = 3) -> list[Payout]:
    query = (
        select(Payout)
        .where(Payout.user_id == user_id)
        .order_by(Payout.created_at.desc(), Payout.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
