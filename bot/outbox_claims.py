"""The sender's statements on the outbox table: claim, mark, send again after a crash, prune.

Each is one short transaction of its own (the sender is outside any update), holding the SQLite
write gate. A claim marks rows `sending` and commits before Telegram is called; the answer is
marked right after, row by row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import db, outbox
from core.db import SessionFactory, WriteGate
from core.outbox import OutboxMessage
from people import reachability
from people.models import User

UNKNOWN = "unknown: claimed, never marked"  # the error of a row a crash left in doubt too often


@dataclass(frozen=True, slots=True)
class Row:
    """A claimed message: what the sender needs to send it and mark the answer."""

    id: int
    chat_id: int
    text: str
    photo: str | None
    reply_markup: dict[str, object] | None
    attempts: int
    priority: int


_TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]
_CLAIMED = (
    _TABLE.c.id,
    _TABLE.c.chat_id,
    _TABLE.c.text,
    _TABLE.c.photo,
    _TABLE.c.reply_markup,
    _TABLE.c.attempts,
    _TABLE.c.priority,
)


@dataclass
class Picks:
    """What a claim decided for the due rows it looked at."""

    take: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)  # their person blocked the bot
    later: dict[int, float] = field(default_factory=dict)  # row id -> not before (timestamp)


# The claim's statements, built once: it runs many times a second at the paid rate.
_CANDIDATES = (
    select(_TABLE.c.id, _TABLE.c.chat_id, User.unreachable_since)  # type: ignore[call-overload]
    .outerjoin(User, User.id == _TABLE.c.chat_id)
    .where(_TABLE.c.state == outbox.WAITING, _TABLE.c.not_before <= bindparam("now"))
    # the index outbox_due gives this order: no sort, however many rows wait
    .order_by(_TABLE.c.priority, _TABLE.c.not_before, _TABLE.c.id)
    .limit(bindparam("scan"))
)
_CANDIDATES_FOR_UPDATE = _CANDIDATES.with_for_update(of=_TABLE, skip_locked=True)
_TAKE = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))
    .values(state=outbox.SENDING, claimed_at=bindparam("now"), attempts=_TABLE.c.attempts + 1)
    .returning(*_CLAIMED)
)


async def claim(
    sessions: SessionFactory,
    gate: WriteGate,
    now: datetime,
    scan: int,
    pick: Callable[[list[tuple[int, int, bool]]], Picks],
    *,
    postgres: bool,
) -> list[Row]:
    """Claim due rows, by priority, then when they fell due, then id: `pick` chooses among the
    first `scan` of them (id, chat_id, unreachable). PostgreSQL locks the rows it looks at and
    skips rows another process holds, so two senders never claim one row; SQLite has one writer
    at a time."""
    query = _CANDIDATES_FOR_UPDATE if postgres else _CANDIDATES
    async with gate.held(), sessions() as session:
        candidates = [
            (row_id, chat_id, unreachable is not None)
            for row_id, chat_id, unreachable in (
                await db.run(session, query, {"now": now, "scan": scan})
            ).all()
        ]
        picks = pick(candidates)
        claimed: list[Row] = []
        if picks.take:
            found = await db.run(session, _TAKE, {"ids": picks.take, "now": now})
            claimed = sorted(
                (Row(*values) for values in found.all()), key=lambda r: (r.priority, r.id)
            )
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


_SENDING_ROW = (_TABLE.c.id == bindparam("row_id")) & (_TABLE.c.state == outbox.SENDING)
# One statement per kind of answer, run for every answer of that kind at once (executemany).
_MARKS = {
    outbox.SENT: update(_TABLE)
    .where(_SENDING_ROW)
    .values(
        state=outbox.SENT,
        sent_at=bindparam("at"),
        telegram_message_id=bindparam("message_id"),
        error=None,
    ),
    outbox.WAITING: update(_TABLE)
    .where(_SENDING_ROW)
    .values(
        state=outbox.WAITING,
        not_before=bindparam("due"),
        claimed_at=None,
        error=bindparam("why"),
        attempts=_TABLE.c.attempts - bindparam("given_back"),
    ),
    outbox.FAILED: update(_TABLE)
    .where(_SENDING_ROW)
    .values(state=outbox.FAILED, error=bindparam("why")),
    outbox.UNREACHABLE: update(_TABLE)
    .where(_SENDING_ROW)
    .values(state=outbox.UNREACHABLE, error=bindparam("why")),
}


@dataclass(frozen=True)
class Mark:
    """Telegram's answer for one claimed row: its new state and what goes with it."""

    state: str
    row_id: int
    values: dict[str, object]
    blocked: tuple[int, datetime] | None = None  # a 403: this chat is unreachable from then on


def sent(row_id: int, at: datetime, message_id: int) -> Mark:
    return Mark(outbox.SENT, row_id, {"at": at, "message_id": message_id})


def again(row_id: int, due: datetime, why: str, *, counts: bool = True) -> Mark:
    """Back to waiting until `due`; a 429 (`counts=False`) gives the try back."""
    return Mark(outbox.WAITING, row_id, {"due": due, "why": why, "given_back": 0 if counts else 1})


def failed(row_id: int, why: str) -> Mark:
    return Mark(outbox.FAILED, row_id, {"why": why})


def unreachable(row_id: int, chat_id: int, at: datetime, why: str) -> Mark:
    """Telegram refused the chat (403): the row, the person, and their other waiting rows."""
    return Mark(outbox.UNREACHABLE, row_id, {"why": why}, blocked=(chat_id, at))


class Marks:
    """Marks answers as they come: the first waits for nobody, and the answers that come while
    one is being committed are committed together right after it (a group commit: no answer
    waits for others to gather, and one transaction serves many when sends are quick)."""

    def __init__(self, sessions: SessionFactory, gate: WriteGate) -> None:
        self.sessions = sessions
        self.gate = gate
        self._queue: list[tuple[Mark, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def add(self, mark: Mark) -> None:
        done = asyncio.get_running_loop().create_future()
        self._queue.append((mark, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self.gate.held(), self.sessions() as session:
                    await _apply(session, [mark for mark, _ in batch])
                    await session.commit()
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


async def _apply(session: AsyncSession, marks: list[Mark]) -> None:
    by_state: dict[str, list[dict[str, object]]] = {}
    for mark in marks:
        by_state.setdefault(mark.state, []).append({"row_id": mark.row_id, **mark.values})
    for state, rows in by_state.items():
        await session.execute(_MARKS[state], rows)
    for mark in marks:
        if mark.blocked is not None:
            await reachability.mark_unreachable(session, *mark.blocked)


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
