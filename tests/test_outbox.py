"""The outbox on the database: a message is written once per (kind, dedup key), in the caller's
transaction, and goes with the person when they erase their data."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import Runtime
from core import outbox
from core.outbox import OutboxMessage
from people import accounts, privacy

WORKER = 710


async def _person(rt: Runtime) -> None:
    async with rt.sessions() as session:
        await accounts.accept_consent(
            session, user_id=WORKER, locale="en", invite_code=None, is_admin=False, clock=rt.clock
        )
        await session.commit()


async def _rows(rt: Runtime) -> list[OutboxMessage]:
    async with rt.sessions() as session:
        found = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(found.scalars())


async def test_a_dedup_key_is_written_once_and_the_rest_of_the_transaction_stays(
    runtime: Runtime,
) -> None:
    await _person(runtime)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        first = await outbox.enqueue(
            session,
            chat_id=WORKER,
            user_id=WORKER,
            kind="payout",
            text="Paid",
            now=now,
            dedup_key="payout:1",
        )
        again = await outbox.enqueue(
            session,
            chat_id=WORKER,
            user_id=WORKER,
            kind="payout",
            text="Paid again",
            now=now,
            dedup_key="payout:1",
        )
        other_kind = await outbox.enqueue(
            session,
            chat_id=WORKER,
            user_id=WORKER,
            kind="reminder",
            text="Hi",
            now=now,
            dedup_key="payout:1",
        )
        plain = [
            await outbox.enqueue(session, chat_id=WORKER, kind="notice", text=t, now=now)
            for t in ("a", "b")
        ]
        await session.commit()
    assert first is not None and again is None and other_kind is not None
    assert all(p is not None for p in plain)
    rows = await _rows(runtime)
    assert [(r.kind, r.text, r.state, r.attempts) for r in rows] == [
        ("payout", "Paid", "waiting", 0),
        ("reminder", "Hi", "waiting", 0),
        ("notice", "a", "waiting", 0),
        ("notice", "b", "waiting", 0),
    ]
    assert all(r.not_before == now for r in rows)


async def test_nothing_is_written_when_the_caller_rolls_back(runtime: Runtime) -> None:
    await _person(runtime)
    async with runtime.sessions() as session:
        await outbox.enqueue(
            session,
            chat_id=WORKER,
            kind="payout",
            text="Paid",
            now=runtime.clock.now(),
            dedup_key="payout:2",
        )
        await session.rollback()
    assert await _rows(runtime) == []


async def test_erasure_takes_the_persons_messages(runtime: Runtime) -> None:
    await _person(runtime)
    async with runtime.sessions() as session:
        await outbox.enqueue(
            session,
            chat_id=WORKER,
            user_id=WORKER,
            kind="notice",
            text="x",
            now=runtime.clock.now(),
        )
        await session.commit()
    async with runtime.sessions() as session:
        await privacy.erase(session, WORKER, SQLModel.metadata)
        await session.commit()
    assert await _rows(runtime) == []
