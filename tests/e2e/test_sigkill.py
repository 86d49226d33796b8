"""The real bot in a subprocess, killed with SIGKILL in the middle of a burst and started again:
every update the stand-in delivered is applied exactly once, in order per chat."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox import InboxUpdate
from core import db
from people.models import Cohort, Invite, Organisation, Role, User
from standin.client import SimUser
from standin.server import StandIn
from tests import bot_process
from tests.bot_process import BotProcess
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.e2e.conftest import TOKEN

COORDINATORS = (501, 502, 503, 504)
PER_USER = 5  # 4 users x 5 = 20 updates
DEADLINE = 60.0
OUR_SETTINGS = ("WEBHOOK_", "BOT_", "DATABASE_", "REDIS_", "TELEGRAM_", "ENCRYPTION_")


def _start_bot(standin: StandIn, database_url: str, log: Path) -> BotProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(OUR_SETTINGS)}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=standin.api_base,
        DATABASE_URL=database_url,
        ENCRYPTION_KEYS=TEST_ENCRYPTION_KEY,
    )
    return bot_process.start(["run"], env, log)


async def _seed(engine: AsyncEngine) -> None:
    sessions = db.session_factory(engine)
    now = datetime.now(UTC)
    async with sessions() as session:
        organisation = Organisation(name="Hope NGO", created_at=now)
        session.add(organisation)
        await session.flush()
        for user_id in COORDINATORS:
            session.add(
                User(
                    id=user_id,
                    locale="en",
                    role=Role.COORDINATOR,
                    organisation_id=organisation.id,
                    consented_at=now,
                )
            )
        await session.commit()


async def _count(engine: AsyncEngine, model: type) -> int:
    async with db.session_factory(engine)() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _until(engine: AsyncEngine, model: type, at_least: int, process: BotProcess) -> int:
    """Poll the database until `at_least` rows (or the deadline, or the bot has exited)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while True:
        count = await _count(engine, model)
        if count >= at_least or loop.time() > deadline or process.poll() is not None:
            return count
        await asyncio.sleep(0.005)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_sigkill_mid_burst_loses_nothing_and_repeats_nothing(
    standin: StandIn, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    await _seed(engine)
    users: list[SimUser] = [standin.user(uid, language_code="en") for uid in COORDINATORS]
    for user in users:
        user.timeout = DEADLINE  # a cold subprocess start on a busy machine
    log = tmp_path / "bot.log"
    first = _start_bot(standin, database_url, log)
    second: BotProcess | None = None
    try:
        wave = [
            await user.send_later(f"/cohort_new T{user.id}-{n}")
            for n in range(1, 3)
            for user in users
        ]
        seen = await _until(engine, Cohort, 1, first)
        assert seen >= 1, log.read_text()[-3000:]
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = await _count(engine, Cohort)
        delivered = sum(1 for pending in wave if pending.done.done())
        print(f"killed with {at_kill} of {len(wave)} applied, {delivered} acknowledged")
        assert at_kill < len(COORDINATORS) * PER_USER

        rest = [
            await user.send_later(f"/cohort_new T{user.id}-{n}")
            for n in range(3, PER_USER + 1)
            for user in users
        ]
        second = _start_bot(standin, database_url, log)
        total = len(COORDINATORS) * PER_USER
        assert await _until(engine, Cohort, total, second) == total, log.read_text()[-3000:]
        await asyncio.wait_for(asyncio.gather(*(p.done for p in wave + rest)), DEADLINE)
        async with db.session_factory(engine)() as session:
            cohorts = (await session.execute(select(Cohort.name).order_by(Cohort.id))).scalars()
            names = list(cohorts)
            statuses = (
                await session.execute(
                    select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
                )
            ).all()
        assert sorted(names) == sorted(
            f"T{uid}-{n}" for uid in COORDINATORS for n in range(1, PER_USER + 1)
        )
        for uid in COORDINATORS:  # each chat's updates applied in the order they were sent
            mine = [name for name in names if name.startswith(f"T{uid}-")]
            assert mine == [f"T{uid}-{n}" for n in range(1, PER_USER + 1)]
        assert await _count(engine, Invite) == total
        assert dict(statuses) == {"done": total}
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)
