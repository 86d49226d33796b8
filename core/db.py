"""Database engine, sessions and migrations. Nothing is built at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Executable, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from core import sqlite_inline

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Enough connections for the updates handled side by side, all kept: connections beyond the
# pool's size are closed when given back, so under load new ones were opened and closed all the
# time (a fresh connection costs a handshake, a server process and its prepared statements).
# No overflow: at most as many connections as before (20 + 20 overflow); more updates wait.
POSTGRES_POOL_SIZE = 40

SessionFactory = async_sessionmaker[AsyncSession]


def _prepare_sqlite_file(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix):
        path = url[len(prefix) :]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout, foreign keys and BEGIN IMMEDIATE.

    Statement parameters are hidden from error messages: they carry personal data.
    """
    _prepare_sqlite_file(url)
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", 0)
        return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)

    engine = create_async_engine(
        url,
        connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "async_creator_fn": sqlite_inline.connect,
        },
        hide_parameters=True,
        **kwargs,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted or overwritten content is zeroed, not left in free space: an update's payload
        # (a typed account number) leaves no trace once handled, whatever the build's default.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def run(
    session: AsyncSession, statement: Executable, params: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """Run a Core statement (no ORM entities) in the session's transaction, after flushing its
    pending changes as `session.execute` would, at a fraction of the cost: the ORM's execution
    layer is skipped. For the statements every update runs; rows come back as tuples."""
    return await session.run_sync(_run, statement, params)


def _run(session: Session, statement: Executable, params: dict[str, Any] | None) -> Any:
    session._autoflush()
    return session.connection().execute(statement, params)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def _upgrade(url: str, revision: str) -> None:
    _prepare_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)


def _downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Run Alembic in a worker thread: its env.py drives its own event loop."""
    await asyncio.to_thread(_upgrade, url, revision)


async def downgrade(url: str, revision: str = "base") -> None:
    await asyncio.to_thread(_downgrade, url, revision)


class WriteGate:
    """SQLite allows one writer at a time. This process's writers queue here, in order and
    without delay, instead of in SQLite's busy handler (which sleeps and retries). PostgreSQL
    needs no gate: it locks rows, not the database."""

    def __init__(self, enabled: bool) -> None:
        self._lock = asyncio.Lock() if enabled else None

    async def acquire(self) -> None:
        if self._lock is not None:
            await self._lock.acquire()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()


def write_gate(url: str) -> WriteGate:
    return WriteGate(url.startswith("sqlite"))
