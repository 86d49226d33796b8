"""The real bot in a subprocess, killed with SIGKILL in the middle of a 2,000-person broadcast and
started again: every reachable person gets the message, and no more of them get it twice than
the window of doubt allows (OUTBOX_CONCURRENCY rows in flight at the kill)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core import db
from core.clock import SystemClock
from standin.chat import Event
from standin.ratelimit import RateLimits
from standin.server import StandIn
from tests import bot_process
from tests.bot_process import BotProcess
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.e2e.conftest import TOKEN
from tests.outbox_helpers import ANNOUNCEMENT, add_people, enqueue_broadcast, states

PEOPLE = 2000
BLOCKED_EVERY = 20
RATE = 600  # messages a second, the stand-in's global limit raised to match
CONCURRENCY = 8
CLAIM_TIMEOUT = 2
KILL_AFTER = 500  # messages delivered
DEADLINE = 120.0
OUR_SETTINGS = ("WEBHOOK_", "BOT_", "DATABASE_", "REDIS_", "TELEGRAM_", "ENCRYPTION_", "OUTBOX_")


def _start_bot(standin: StandIn, database_url: str, log: Path) -> BotProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(OUR_SETTINGS)}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=standin.api_base,
        DATABASE_URL=database_url,
        ENCRYPTION_KEYS=TEST_ENCRYPTION_KEY,
        OUTBOX_RATE=str(RATE),
        OUTBOX_CONCURRENCY=str(CONCURRENCY),
        OUTBOX_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT),
    )
    return bot_process.start(["run"], env, log)


@pytest.fixture
async def fast_standin() -> AsyncIterator[StandIn]:
    server = StandIn(rate_limits=RateLimits(global_per_second=RATE))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(database_url)
    yield engine
    await engine.dispose()


async def _until(condition: Callable[[], bool], process: BotProcess) -> None:
    """Poll until the condition holds, the deadline passes or the bot has exited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while loop.time() < deadline and process.poll() is None:
        if condition():
            return
        await asyncio.sleep(0.01)


async def test_sigkill_mid_broadcast_every_message_arrives_at_most_the_window_twice(
    fast_standin: StandIn, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    server = fast_standin
    sessions = db.session_factory(engine)
    ids = list(range(20_000, 20_000 + PEOPLE))
    now = SystemClock().now()
    locales = await add_people(sessions, server, ids, now)
    blocked = set(ids[::BLOCKED_EVERY])
    for uid in blocked:
        server.block(uid)
    await enqueue_broadcast(sessions, locales, now)
    copies: Counter[int] = Counter()

    def heard(user_id: int, event: Event) -> None:
        if event.kind == "message":
            copies[user_id] += 1

    server.add_listener(heard)
    log = tmp_path / "bot.log"
    first = _start_bot(server, database_url, log)
    second: BotProcess | None = None
    try:
        await _until(lambda: sum(copies.values()) >= KILL_AFTER, first)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = sum(copies.values())
        in_doubt = (await states(sessions))["sending"]
        print(f"\nkilled after {at_kill} messages, {in_doubt} rows claimed and not marked")
        assert KILL_AFTER <= at_kill < PEOPLE - len(blocked), log.read_text()[-3000:]

        second = _start_bot(server, database_url, log)
        reachable = [uid for uid in ids if uid not in blocked]
        await _until(lambda: all(copies[uid] for uid in reachable), second)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while loop.time() < deadline:  # the last answers are marked
            counted = await states(sessions)
            if not counted["waiting"] and not counted["sending"]:
                break
            await asyncio.sleep(0.05)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    twice = sorted(uid for uid in ids if copies[uid] > 1)
    print(f"{len(twice)} people got the message twice (window: {CONCURRENCY} in flight)")
    assert all(copies[uid] >= 1 for uid in reachable), log.read_text()[-3000:]
    assert all(copies[uid] <= 2 for uid in ids)
    assert len(twice) <= min(CONCURRENCY, in_doubt)
    assert not any(copies[uid] for uid in blocked)
    for uid in reachable[:50]:
        assert next(m.text for m in server.user(uid).messages) == ANNOUNCEMENT[locales[uid]]
    assert await states(sessions) == {
        "sent": len(reachable),
        "unreachable": len(blocked),
    }
