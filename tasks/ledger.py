"""The ledger: what workers earned, as double-entry journal entries that are only ever added.

Each entry moves a positive amount from one account to another (`tasks.models.LedgerEntry`), so
every entry balances to zero per currency by construction. A worker's accounts are pending,
available, in_payout and paid; balances are sums over the entries, never stored. A credit names
its source, (kind, source key), and the database refuses a second credit of the same source.
Earnings from answers wait in pending until their release time (the project's review window) or
a coordinator's acceptance; `release_due` moves each due credit to available once.

This module only inserts: nothing here updates or deletes an entry (the ORM and database
triggers refuse it too). Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import db
from tasks.models import CREDIT_KINDS, WORKER_ACCOUNTS, LedgerEntry

PENDING, AVAILABLE, IN_PAYOUT, PAID = WORKER_ACCOUNTS
# The platform account each kind of credit is paid from.
EXPENSE = {
    "answer": "platform:work_expense",
    "top_up": "platform:work_expense",
    "bonus": "platform:work_expense",
    "practice": "platform:training_expense",
    "adjustment": "platform:adjustments",
}
RELEASE = "release"
RELEASE_PREFIX = "release:"


class LedgerError(Exception):
    """Refused: `reason` is bad_kind, bad_amount, no_reason, insufficient or not_pending."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AppendOnly(Exception):
    """An attempt to change or delete a ledger entry through the ORM."""


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: LedgerEntry) -> None:
    raise AppendOnly(f"ledger entry {target.id} cannot be changed or deleted")


@dataclass
class Balance:
    """A worker's accounts in one currency, in minor units."""

    pending: int = 0
    available: int = 0
    in_payout: int = 0
    paid: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.available + self.in_payout + self.paid


def new_credit(
    *,
    user_id: int,
    kind: str,
    source_key: str,
    amount_minor: int,
    currency: str,
    now: datetime,
    release_at: datetime | None = None,
    reason: str | None = None,
    author_id: int | None = None,
) -> LedgerEntry:
    """A credit from the platform to the worker: to pending until `release_at` if that is later
    than `now`, else straight to available. Not added to any session."""
    return LedgerEntry(
        **_credit_row(
            user_id=user_id,
            kind=kind,
            source_key=source_key,
            amount_minor=amount_minor,
            currency=currency,
            now=now,
            release_at=release_at,
            reason=reason,
            author_id=author_id,
        )
    )


def _credit_row(
    *,
    user_id: int,
    kind: str,
    source_key: str,
    amount_minor: int,
    currency: str,
    now: datetime,
    release_at: datetime | None = None,
    reason: str | None = None,
    author_id: int | None = None,
) -> dict[str, Any]:
    if kind not in CREDIT_KINDS:
        raise LedgerError("bad_kind")
    if amount_minor <= 0:
        raise LedgerError("bad_amount")
    if kind == "adjustment" and not (reason and reason.strip() and author_id is not None):
        raise LedgerError("no_reason")
    pending = release_at is not None and release_at > now
    return {
        "user_id": user_id,
        "from_account": EXPENSE[kind],
        "to_account": PENDING if pending else AVAILABLE,
        "amount_minor": amount_minor,
        "currency": currency,
        "kind": kind,
        "source_key": source_key,
        "related_id": None,
        "release_at": release_at if pending else None,
        "reason": reason,
        "author_id": author_id,
        "created_at": now,
    }


def credit(session: AsyncSession, **values: Any) -> LedgerEntry:
    """`new_credit` added to the session, not flushed: for a caller that already refuses a
    second credit of the source (its own savepoint, or a conditional update before it); a
    second credit still fails at the flush (IntegrityError)."""
    entry = new_credit(**values)
    session.add(entry)
    return entry


_NEW_ENTRY = insert(LedgerEntry)


async def record_credit(session: AsyncSession, **values: Any) -> None:
    """`credit` as one Core INSERT in the session's transaction, no entity built or flushed:
    the work loop's way, once an answer. A second credit of the source fails here at once
    (IntegrityError)."""
    await db.run(session, _NEW_ENTRY, _credit_row(**values))


async def _exists(session: AsyncSession, kind: str, source_key: str) -> bool:
    found = await session.execute(
        select(LedgerEntry.id).where(LedgerEntry.kind == kind, LedgerEntry.source_key == source_key)
    )
    return found.first() is not None


async def _insert_once(session: AsyncSession, entry: LedgerEntry) -> LedgerEntry | None:
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        if entry in session:
            session.expunge(entry)
        if await _exists(session, entry.kind, entry.source_key):
            return None
        raise
    return entry


async def credit_once(session: AsyncSession, **values: Any) -> LedgerEntry | None:
    """A credit inserted in a savepoint: the entry, or None when its source was credited
    already (a double tap, a redelivered update, a job run twice)."""
    return await _insert_once(session, new_credit(**values))


async def adjust(
    session: AsyncSession,
    *,
    user_id: int,
    amount_minor: int,
    currency: str,
    source_key: str,
    reason: str,
    author_id: int,
    now: datetime,
) -> LedgerEntry | None:
    """A manual correction by `author_id`, with its reason: a positive amount is credited to
    available, a negative one taken from available (never below zero). None if `source_key`
    was used for an adjustment before."""
    if not reason.strip():
        raise LedgerError("no_reason")
    if amount_minor >= 0:
        return await credit_once(
            session,
            user_id=user_id,
            kind="adjustment",
            source_key=source_key,
            amount_minor=amount_minor,
            currency=currency,
            now=now,
            reason=reason,
            author_id=author_id,
        )
    if await _exists(session, "adjustment", source_key):
        return None
    have = (await balances(session, user_id)).get(currency, Balance()).available
    if have < -amount_minor:
        raise LedgerError("insufficient")
    entry = LedgerEntry(
        user_id=user_id,
        from_account=AVAILABLE,
        to_account=EXPENSE["adjustment"],
        amount_minor=-amount_minor,
        currency=currency,
        kind="adjustment",
        source_key=source_key,
        reason=reason,
        author_id=author_id,
        created_at=now,
    )
    return await _insert_once(session, entry)


def _release_of(pending: LedgerEntry, now: datetime) -> dict[str, Any]:
    return dict(
        user_id=pending.user_id,
        from_account=PENDING,
        to_account=AVAILABLE,
        amount_minor=pending.amount_minor,
        currency=pending.currency,
        kind=RELEASE,
        source_key=f"{RELEASE_PREFIX}{pending.id}",
        related_id=pending.id,
        created_at=now,
    )


_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_CHUNK = 500


async def _release(session: AsyncSession, pending: list[LedgerEntry], now: datetime) -> int:
    """Insert the releases of these credits, skipping any released already; how many moved."""
    dialect = session.bind.dialect.name
    moved = 0
    for start in range(0, len(pending), _CHUNK):
        rows = [_release_of(each, now) for each in pending[start : start + _CHUNK]]
        statement = (
            _INSERT[dialect](LedgerEntry)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["kind", "source_key"])
            .returning(LedgerEntry.id)
        )
        moved += len((await session.execute(statement)).all())
    return moved


def _unreleased() -> Select[tuple[LedgerEntry]]:
    """Pending credits that have no release yet."""
    released = aliased(LedgerEntry)
    return select(LedgerEntry).where(
        LedgerEntry.to_account == PENDING,
        ~select(released.id)
        .where(released.kind == RELEASE, released.related_id == LedgerEntry.id)
        .exists(),
    )


def unreleased() -> Select[tuple[LedgerEntry]]:
    """Pending credits that have not moved to available yet (to narrow with `where`)."""
    return _unreleased()


async def accept_all(session: AsyncSession, credits: list[LedgerEntry], now: datetime) -> int:
    """A coordinator accepts these pending credits at once; how many moved (each once)."""
    return await _release(session, credits, now)


async def accept(session: AsyncSession, credit_id: int, now: datetime) -> bool:
    """A coordinator accepts a pending credit before its review window ends: it moves to
    available now. False if it was released already; LedgerError("not_pending") if it is not a
    pending credit."""
    found = await session.get(LedgerEntry, credit_id)
    if found is None or found.to_account != PENDING:
        raise LedgerError("not_pending")
    return await _release(session, [found], now) == 1


async def release_due(session: AsyncSession, now: datetime, *, user_id: int | None = None) -> int:
    """Move every pending credit whose release time has come to available, each once (a
    release is keyed by its credit); how many moved. `user_id`: only that worker's."""
    query = _unreleased().where(LedgerEntry.release_at <= now).order_by(LedgerEntry.id)
    if user_id is not None:
        query = query.where(LedgerEntry.user_id == user_id)
    return await _release(session, list((await session.execute(query)).scalars()), now)


async def balances(session: AsyncSession, user_id: int) -> dict[str, Balance]:
    """The worker's accounts per currency, summed from the entries."""
    found: dict[str, Balance] = defaultdict(Balance)
    for column, sign in ((LedgerEntry.to_account, 1), (LedgerEntry.from_account, -1)):
        rows = await session.execute(
            select(column, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.user_id == user_id, column.in_(WORKER_ACCOUNTS))
            .group_by(column, LedgerEntry.currency)
        )
        for account, currency, total in rows.all():
            balance = found[currency]
            setattr(balance, account, getattr(balance, account) + sign * int(total))
    return dict(found)


async def credited(
    session: AsyncSession, user_id: int, since: datetime | None = None
) -> dict[tuple[str, str], int]:
    """(kind, currency) -> what was credited to the worker, net of negative adjustments (since
    `since`, if given). Releases are moves between the worker's accounts, not credits."""
    found: dict[tuple[str, str], int] = defaultdict(int)
    for column, sign in ((LedgerEntry.from_account, 1), (LedgerEntry.to_account, -1)):
        query = (
            select(LedgerEntry.kind, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.user_id == user_id, column.startswith("platform:"))
            .group_by(LedgerEntry.kind, LedgerEntry.currency)
        )
        if since is not None:
            query = query.where(LedgerEntry.created_at >= since)
        for kind, currency, total in (await session.execute(query)).all():
            found[(kind, currency)] += sign * int(total)
    return {key: total for key, total in found.items() if total}


async def next_release(session: AsyncSession, user_id: int) -> datetime | None:
    """When the worker's next pending credit becomes available."""
    query = _unreleased().where(LedgerEntry.user_id == user_id)
    first = select(func.min(query.subquery().c.release_at))
    return (await session.execute(first)).scalar_one_or_none()
