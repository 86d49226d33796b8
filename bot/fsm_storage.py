"""aiogram FSM storage on the project's database (the default), or Redis when REDIS_URL is set.

Inside an update the state is read and written through the update's own session, so a prompt
opened by a handler commits (or rolls back) with everything else the update did, and survives a
restart. Outside one (aiogram reads the raw state before the update's session opens) it uses a
short transaction of its own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import Text, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Column, Field, SQLModel

from core import db, unit_of_work
from core.db import SessionFactory
from core.dbtypes import UTCDateTime


class FsmState(SQLModel, table=True):
    """One conversation's open prompt (state) and its data, by aiogram's storage key."""

    __tablename__ = "fsm_states"

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=100)
    data: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(sa_type=UTCDateTime)


_READ = select(FsmState.state, FsmState.data).where(FsmState.key == bindparam("key"))
_MEMO = "fsm"


class DatabaseStorage(BaseStorage):
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self.keys = DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        work = unit_of_work.current.get()
        if work is not None:
            yield work.session
            return
        async with self.sessions() as session, session.begin():
            yield session

    async def _row(self, session: AsyncSession, key: StorageKey) -> FsmState | None:
        return await session.get(FsmState, self.keys.build(key))

    async def _write(self, key: StorageKey, **values: Any) -> None:
        async with self._session() as session:
            row = await self._row(session, key)
            state = values.get("state", row.state if row else None)
            data = values.get("data", row.data if row else None)
            work = unit_of_work.current.get()
            if work is not None:
                work.memo[(_MEMO, self.keys.build(key))] = (
                    None if state is None and not data else (state, data)
                )
            if state is None and not data:
                if row is not None:
                    await session.delete(row)
                return
            now = datetime.now(UTC)
            if row is None:
                key_text = self.keys.build(key)
                session.add(FsmState(key=key_text, state=state, data=data, updated_at=now))
            else:
                row.state, row.data, row.updated_at = state, data, now

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def _read(self, key: StorageKey) -> tuple[str | None, str | None] | None:
        """(state, data) as stored: one Core statement, as aiogram reads it for every update;
        read again in the same update (a handler's get_data), it comes from the update's memo."""
        work = unit_of_work.current.get()
        memo_key = (_MEMO, self.keys.build(key))
        if work is not None and memo_key in work.memo:
            return work.memo[memo_key]  # type: ignore[return-value]
        async with self._session() as session:
            row = (await db.run(session, _READ, {"key": memo_key[1]})).first()
        found = (row[0], row[1]) if row is not None else None
        if work is not None:
            work.memo[memo_key] = found
        return found

    async def get_state(self, key: StorageKey) -> str | None:
        found = await self._read(key)
        return found[0] if found else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=json.dumps(dict(data)) if data else None)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        found = await self._read(key)
        return json.loads(found[1]) if found and found[1] else {}

    async def close(self) -> None:
        return None


def build_storage(sessions: SessionFactory, redis_url: str | None) -> BaseStorage:
    if redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(redis_url, key_builder=DefaultKeyBuilder(with_destiny=True))
    return DatabaseStorage(sessions)
