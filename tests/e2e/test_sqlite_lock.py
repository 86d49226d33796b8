"""On SQLite the bot does not hold the write lock while it waits on Telegram."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.app import Runtime
from standin.server import StandIn
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import open_course


def _can_take_write_lock(path: str) -> bool:
    connection = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_write_lock_is_free_during_a_slow_telegram_call(
    onboard: Onboard, runtime: Runtime, standin: StandIn, database_url: str
) -> None:
    course = runtime.library.get("annotation-basics")
    user = await onboard(110, "en")
    await open_course(user, course, "en")
    assert course.lessons[0].pages[1].image is not None  # the next page sends a photo
    editing = asyncio.Event()
    original = standin.call

    async def call(bot: object, method: str, params: object) -> object:
        if method.lower() == "sendphoto":
            editing.set()
        return await original(bot, method, params)

    standin.call = call  # type: ignore[method-assign]
    standin.latency = 0.5
    press = asyncio.create_task(user.press(t("en", "Next ➡️")))
    await asyncio.wait_for(editing.wait(), timeout=10)
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    free = await asyncio.to_thread(_can_take_write_lock, path)
    await press
    standin.latency = 0
    assert free
