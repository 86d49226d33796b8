"""Conversation state (aiogram FSM) kept in the database, or in Redis when REDIS_URL is set."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import event, select

from bot.app import Runtime
from bot.fsm_storage import DatabaseStorage, FsmState, build_storage
from core import unit_of_work
from core.unit_of_work import UnitOfWork

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def test_state_and_data_survive_a_new_storage_on_the_same_database(
    runtime: Runtime,
) -> None:
    storage = DatabaseStorage(runtime.sessions)
    await storage.set_state(KEY, "Certificate:name")
    await storage.update_data(KEY, {"course": "annotation-basics"})

    after_restart = DatabaseStorage(runtime.sessions)
    assert await after_restart.get_state(KEY) == "Certificate:name"
    assert await after_restart.get_data(KEY) == {"course": "annotation-basics"}
    assert await after_restart.get_state(StorageKey(bot_id=1, chat_id=7, user_id=7)) is None

    await after_restart.set_state(KEY, None)
    await after_restart.set_data(KEY, {})
    async with runtime.sessions() as session:
        assert (await session.execute(select(FsmState))).first() is None


async def test_inside_an_update_the_state_commits_or_rolls_back_with_the_update(
    runtime: Runtime,
) -> None:
    storage = DatabaseStorage(runtime.sessions)
    async with runtime.sessions() as session:
        work = UnitOfWork(session)
        token = unit_of_work.current.set(work)
        try:
            await storage.set_state(KEY, "Certificate:name")
            assert await storage.get_state(KEY) == "Certificate:name"
            await work.rollback()  # the update failed
        finally:
            unit_of_work.current.reset(token)
    assert await storage.get_state(KEY) is None

    async with runtime.sessions() as session:
        work = UnitOfWork(session)
        token = unit_of_work.current.set(work)
        try:
            await storage.set_state(KEY, "Certificate:name")
            await work.finish()
        finally:
            unit_of_work.current.reset(token)
    assert await storage.get_state(KEY) == "Certificate:name"


async def test_an_update_reads_its_state_once_and_then_sees_its_own_writes(
    runtime: Runtime,
) -> None:
    storage = DatabaseStorage(runtime.sessions)
    await storage.set_state(KEY, "Certificate:name")
    statements: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if "fsm_states" in statement:
            statements.append(statement.split()[0])

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with runtime.sessions() as session:
            work = UnitOfWork(session)
            token = unit_of_work.current.set(work)
            try:
                assert await storage.get_state(KEY) == "Certificate:name"
                assert await storage.get_data(KEY) == {}
                assert statements == ["SELECT"]  # the second read came from the update's memo
                await storage.update_data(KEY, {"place": "course:basics"})
                await storage.set_state(KEY, None)
                assert await storage.get_state(KEY) is None
                assert await storage.get_data(KEY) == {"place": "course:basics"}
                await work.finish()
            finally:
                unit_of_work.current.reset(token)
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    fresh = DatabaseStorage(runtime.sessions)
    assert await fresh.get_state(KEY) is None
    assert await fresh.get_data(KEY) == {"place": "course:basics"}


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(
    not (os.environ.get("CI") or _redis_answers()), reason="no Redis on 127.0.0.1:6379"
)
async def test_redis_url_selects_aiogram_redis_storage_and_it_keeps_state(runtime: Runtime) -> None:
    storage = build_storage(runtime.sessions, "redis://127.0.0.1:6379/0")
    assert isinstance(storage, RedisStorage)
    key = StorageKey(bot_id=1, chat_id=int(uuid.uuid4().int % 10**9), user_id=5)
    try:
        await storage.set_state(key, "Certificate:name")
        again = build_storage(runtime.sessions, "redis://127.0.0.1:6379/0")
        assert await again.get_state(key) == "Certificate:name"
        await again.set_state(key, None)
        await again.close()
    finally:
        await storage.close()


def test_without_redis_url_the_database_is_the_storage(runtime: Runtime) -> None:
    assert isinstance(build_storage(runtime.sessions, None), DatabaseStorage)
