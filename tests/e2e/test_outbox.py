"""The outbox through the real bot and the stand-in: a broadcast to 2,000 people in four
languages with Telegram's limits on, and a person blocking and unblocking the bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import PollingBot, Runtime
from core import outbox
from core.clock import ManualClock, SystemClock
from core.outbox import OutboxMessage
from people.models import User
from standin.client import SimUser
from standin.server import StandIn
from standin.state import PendingUpdate
from tests.e2e.conftest import TOKEN, Onboard
from tests.outbox_helpers import (
    ANNOUNCEMENT,
    CallLog,
    SimulatedTime,
    add_people,
    enqueue_broadcast,
    received,
    states,
)

PEOPLE = 2000
BLOCKED_EVERY = 20  # 5% blocked the bot
DEADLINE = 300.0


async def _until_sent(runtime: Runtime) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while loop.time() < deadline:
        counted = await states(runtime.sessions)
        if not counted["waiting"] and not counted["sending"]:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"the outbox still holds {await states(runtime.sessions)}")


@pytest.fixture
async def limited(clock: ManualClock) -> AsyncIterator[tuple[StandIn, SimulatedTime, CallLog]]:
    """The stand-in with Telegram's limits (30/s, one a second to a chat) on the test's clock."""
    sim = SimulatedTime(clock)
    server = StandIn(clock=sim.timestamp)
    await server.start()
    yield server, sim, CallLog(server, sim.timestamp)
    await server.stop()


async def test_a_broadcast_reaches_two_thousand_people_once_in_their_language(
    runtime: Runtime, limited: tuple[StandIn, SimulatedTime, CallLog]
) -> None:
    server, sim, log = limited
    ids = list(range(10_000, 10_000 + PEOPLE))
    locales = await add_people(runtime.sessions, server, ids, runtime.clock.now())
    blocked = ids[::BLOCKED_EVERY]
    for uid in blocked:
        server.block(uid)
    await enqueue_broadcast(runtime.sessions, locales, runtime.clock.now())
    runtime.sleep = sim.sleep
    polling = PollingBot(runtime, TOKEN, server.api_base)
    started = time.monotonic()
    await polling.start()
    sim.sender = polling.sender
    try:
        await _until_sent(runtime)
    finally:
        await polling.stop()
    print(
        f"\n{PEOPLE} people, {len(blocked)} blocked: {sim.elapsed:.1f} s simulated "
        f"({PEOPLE / 30:.1f} s at 30/s), {time.monotonic() - started:.1f} s real, "
        f"busiest second {log.busiest_second()} messages, 429s: {len(log.sends(429))}"
    )

    assert log.sends(429) == []
    assert log.busiest_second() <= 30
    reachable = [uid for uid in ids if uid not in set(blocked)]
    for uid in reachable:
        assert received(server, uid) == [ANNOUNCEMENT[locales[uid]]]
    for uid in blocked:
        assert received(server, uid) == []
    assert await states(runtime.sessions) == {"sent": len(reachable), "unreachable": len(blocked)}
    async with runtime.sessions() as session:
        marked = await session.execute(select(User.id).where(User.unreachable_since.is_not(None)))
        assert sorted(marked.scalars()) == blocked
    assert PEOPLE / 30 <= sim.elapsed <= PEOPLE / 30 * 1.1


def _membership(server: StandIn, user: SimUser, status: str) -> PendingUpdate:
    """The my_chat_member update Telegram sends when a person blocks ("kicked") or unblocks
    ("member") the bot."""
    bot = server.current_bot()
    assert bot is not None
    old = "member" if status == "kicked" else "kicked"
    member = {"user": bot.sender_json(), "until_date": 0}
    body = {
        "chat": user.profile.chat_json(),
        "from": user.profile.user_json(),
        "date": int(time.time()),
        "old_chat_member": {"status": old, **member},
        "new_chat_member": {"status": status, **member},
    }
    return server.enqueue_update(bot, "my_chat_member", body, status)  # type: ignore[arg-type]


async def _notice(runtime: Runtime, polling: PollingBot, user_id: int, text: str) -> None:
    async with runtime.sessions() as session:
        await outbox.enqueue(
            session,
            chat_id=user_id,
            user_id=user_id,
            kind="notice",
            text=text,
            now=runtime.clock.now(),
        )
        await session.commit()  # its commit wakes the sender


async def test_blocking_and_unblocking_the_bot(
    runtime: Runtime, standin: StandIn, polling: PollingBot, onboard: Onboard, clock: ManualClock
) -> None:
    user = await onboard(11, "uk")
    await _notice(runtime, polling, user.id, "First")
    await user.wait_for(lambda m: m.text == "First")

    await asyncio.wait_for(_membership(standin, user, "kicked").done, 10)
    standin.block(user.id)
    async with runtime.sessions() as session:
        member = await session.get(User, user.id)
        assert member is not None and member.unreachable_since == clock.now()
    clock.advance(timedelta(seconds=2))
    await _notice(runtime, polling, user.id, "While blocked")
    await _until_sent(runtime)
    async with runtime.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.text == "While blocked")
        )
        assert row is not None and row.state == "unreachable"
    assert "While blocked" not in [m.text for m in user.messages]

    standin.unblock(user.id)
    await asyncio.wait_for(_membership(standin, user, "member").done, 10)
    async with runtime.sessions() as session:
        member = await session.get(User, user.id)
        assert member is not None and member.unreachable_since is None
    clock.advance(timedelta(seconds=2))
    await _notice(runtime, polling, user.id, "Welcome back")
    await user.wait_for(lambda m: m.text == "Welcome back")


async def test_a_reply_is_not_slowed_by_a_broadcast_going_out(runtime: Runtime) -> None:
    """Real time, Telegram's limits on: a person chats (a message a second, within their chat's
    limit) while 450 others get a broadcast."""
    runtime.clock = SystemClock()
    server = StandIn()
    await server.start()
    polling = PollingBot(runtime, TOKEN, server.api_base, on_handled=server.handled_reporter(TOKEN))
    await polling.start()
    try:
        await add_people(runtime.sessions, server, [12], runtime.clock.now())
        user = server.user(12)
        await user.send("/help")
        ids = list(range(30_000, 30_450))
        locales = await add_people(runtime.sessions, server, ids, runtime.clock.now())
        await enqueue_broadcast(runtime.sessions, locales, runtime.clock.now())
        assert polling.sender is not None
        polling.sender.wake()
        waits = []
        while (await states(runtime.sessions))["waiting"] > 30:
            started = time.monotonic()
            await user.send("/help")
            waits.append(time.monotonic() - started)
            await asyncio.sleep(1.0)
        await _until_sent(runtime)
    finally:
        await polling.stop()
        await server.stop()
    waits.sort()
    p50, p99 = waits[len(waits) // 2], waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    print(f"\n{len(waits)} replies during the broadcast: p50 {p50:.3f} s, p99 {p99:.3f} s")
    assert len(waits) >= 10
    assert p99 < 1.0
    assert all(received(server, uid) == [ANNOUNCEMENT[locales[uid]]] for uid in ids)
