"""The sender's statements on the outbox table: claim, mark, send again after a crash, prune.

Each is one short transaction of its own (the sender is outside any update), holding the SQLite
write gate. A claim marks rows `sending` and commits before Telegram is called; the answer is
marked right after, row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from core import outbox
from core.db import SessionFactory, WriteGate
from core.outbox import OutboxMessage
from people import reachability
from people.models import User

UNKNOWN = "unknown: claimed, never marked"  # the error of a row a crash left in doubt too often

Row = OutboxMessage


@dataclass
class Picks:
    """What a claim decided for the due rows it looked at."""

    take: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)  # their person blocked the bot
    later: dict[int, float] = field(default_factory=dict)  # row id -> not before (timestamp)


async def claim(
    sessions: SessionFactory,
    gate: WriteGate,
    now: datetime,
    scan: int,
    pick: Callable[[list[tuple[int, int, bool]]], Picks],
    *,
    postgres: bool,
) -> list[Row]:
    """Claim due rows, in priority then id order: `pick` chooses among the first `scan` of them
    (id, chat_id, unreachable). PostgreSQL locks the rows it looks at and skips rows another
    process holds, so two senders never claim one row; SQLite has one writer at a time."""
    query = (
        select(OutboxMessage.id, OutboxMessage.chat_id, User.unreachable_since)
        .outerjoin(User, User.id == OutboxMessage.chat_id)
        .where(OutboxMessage.state == outbox.WAITING, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(scan)
    )
    if postgres:
        query = query.with_for_update(of=OutboxMessage, skip_locked=True)  # type: ignore[arg-type]
    async with gate.held(), sessions() as session:
        candidates = [
            (row_id, chat_id, unreachable is not None)
            for row_id, chat_id, unreachable in (await session.execute(query)).all()
        ]
        picks = pick(candidates)
        claimed: list[Row] = []
        if picks.take:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(picks.take))  # type: ignore[union-attr]
                .values(state=outbox.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
            )
            found = await session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(picks.take))  # type: ignore[union-attr]
                .order_by(OutboxMessage.priority, OutboxMessage.id)
            )
            claimed = list(found.scalars())
        if picks.blocked:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(picks.blocked))  # type: ignore[union-attr]
                .values(state=outbox.UNREACHABLE, error=reachability.BLOCKED)
            )
        if picks.later:
            await session.execute(
                update(OutboxMessage),
                [
                    {"id": row_id, "not_before": _at(now, due)}
                    for row_id, due in picks.later.items()
                ],
            )
        await session.commit()
    return claimed


def _at(now: datetime, timestamp: float) -> datetime:
    return now + timedelta(seconds=timestamp - now.timestamp())


async def _finish(sessions: SessionFactory, gate: WriteGate, row_id: int, **values: object) -> None:
    async with gate.held(), sessions() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.state == outbox.SENDING)
            .values(**values)
        )
        await session.commit()


async def mark_sent(
    sessions: SessionFactory, gate: WriteGate, row_id: int, now: datetime, message_id: int
) -> None:
    await _finish(
        sessions,
        gate,
        row_id,
        state=outbox.SENT,
        sent_at=now,
        telegram_message_id=message_id,
        error=None,
    )


async def mark_again(
    sessions: SessionFactory,
    gate: WriteGate,
    row_id: int,
    not_before: datetime,
    error: str | None,
    *,
    counts: bool = True,
) -> None:
    """Back to waiting until `not_before`; a 429 (`counts=False`) gives the try back."""
    values: dict[str, object] = {
        "state": outbox.WAITING,
        "not_before": not_before,
        "claimed_at": None,
        "error": error,
    }
    if not counts:
        values["attempts"] = OutboxMessage.attempts - 1
    await _finish(sessions, gate, row_id, **values)


async def mark_failed(sessions: SessionFactory, gate: WriteGate, row_id: int, error: str) -> None:
    await _finish(sessions, gate, row_id, state=outbox.FAILED, error=error)


async def mark_unreachable(
    sessions: SessionFactory, gate: WriteGate, row: Row, now: datetime, error: str
) -> None:
    """Telegram refused the chat (403): the row, the person, and their other waiting rows."""
    async with gate.held(), sessions() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.state == outbox.SENDING)
            .values(state=outbox.UNREACHABLE, error=error)
        )
        await reachability.mark_unreachable(session, row.chat_id, now)
        await session.commit()


async def send_again_stale(
    sessions: SessionFactory, gate: WriteGate, now: datetime, older: timedelta, max_attempts: int
) -> int:
    """Rows claimed longer than `older` ago and never marked (their process died mid-send) go
    out again; one that has used up its tries is parked as failed instead. Returns how many."""
    stale = (OutboxMessage.state == outbox.SENDING) & (
        OutboxMessage.claimed_at < now - older  # type: ignore[operator]
    )
    async with gate.held(), sessions() as session:
        again = await session.execute(
            update(OutboxMessage)
            .where(stale, OutboxMessage.attempts < max_attempts)
            .values(state=outbox.WAITING, claimed_at=None)
        )
        parked = await session.execute(
            update(OutboxMessage)
            .where(stale, OutboxMessage.attempts >= max_attempts)
            .values(state=outbox.FAILED, error=UNKNOWN)
        )
        await session.commit()
    return int(again.rowcount or 0) + int(parked.rowcount or 0)  # type: ignore[attr-defined]


async def next_due(sessions: SessionFactory, gate: WriteGate) -> datetime | None:
    """When the next waiting row is due (None: nothing waits)."""
    async with gate.held(), sessions() as session:
        return await session.scalar(
            select(func.min(OutboxMessage.not_before)).where(OutboxMessage.state == outbox.WAITING)
        )


async def prune_outbox(
    sessions: SessionFactory, gate: WriteGate, now: datetime, keep_days: int
) -> int:
    """Delete sent rows older than `keep_days` (the scheduler may call this); how many."""
    cutoff = now - timedelta(days=keep_days)
    async with gate.held(), sessions() as session:
        result = await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.state == outbox.SENT,
                OutboxMessage.sent_at < cutoff,  # type: ignore[operator]
            )
        )
        await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
