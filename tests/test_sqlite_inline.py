"""SQLite statements run on the loop's thread; a BEGIN that must wait for the lock waits off it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from core import db


async def test_begin_waits_for_another_connections_lock_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lock.sqlite3"
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        holder.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock

        async def write() -> None:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (1)"))

        writing = asyncio.create_task(write())
        ticks = 0
        for _ in range(20):  # the loop keeps running while the BEGIN waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not writing.done()
        holder.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=5)
        assert ticks == 20
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
    finally:
        holder.close()
        await engine.dispose()


async def test_a_lock_that_is_free_is_taken_at_once_and_the_busy_timeout_stays(
    tmp_path: Path,
) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'free.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
            timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
        assert timeout == db.SQLITE_BUSY_TIMEOUT_MS
    finally:
        await engine.dispose()
