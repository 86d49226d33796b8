"""Where a measured period's CPU goes: the whole process, the database layer within it, and
SQLite's own share of that.

The database layer is every call SQLAlchemy's asyncio extension makes into its synchronous core
(`greenlet_spawn`): the ORM, Core, the driver and SQLite itself. On SQLite the project runs
statements on the event loop's own thread without waiting (core/sqlite_inline.py), so the time
inside those calls is CPU the loop spends on the database. On PostgreSQL that time also holds the
waits for the server's answers (the loop runs other updates meanwhile), so it is not CPU and the
benchmarks report the database layer on SQLite only. SQLite's own share is the time inside the
sqlite3 calls the inline connection makes (executing statements and fetching rows); the rest of
the database layer is SQLAlchemy's Python.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import engine, result, session

from core.sqlite_inline import InlineConnection

_MODULES = (engine, result, session)  # each imported greenlet_spawn by name


@dataclass(frozen=True)
class CpuSample:
    process: float  # CPU seconds of the whole process (every thread) in the period
    database: float  # seconds inside the database layer (CPU on SQLite; see above)
    sqlite: float  # seconds inside sqlite3 itself

    def per(self, count: int) -> tuple[float, float, float]:
        """Milliseconds per counted action: (process, database layer, sqlite3)."""
        if count <= 0:
            return float("nan"), float("nan"), float("nan")
        return tuple(x / count * 1000 for x in (self.process, self.database, self.sqlite))  # type: ignore[return-value]


class CpuMeter:
    def __init__(self) -> None:
        self.database = 0.0
        self.sqlite = 0.0
        self._depth = 0

    def _timed(self, spawn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            started = time.perf_counter()
            try:
                return await spawn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.database += time.perf_counter() - started

        return timed

    def _timed_sqlite(self, execute: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def timed(connection: InlineConnection, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await execute(connection, *args, **kwargs)
            finally:
                self.sqlite += time.perf_counter() - started

        return timed

    @contextmanager
    def measuring(self) -> Iterator[list[CpuSample]]:
        """Meter the block; the list it yields holds the sample once the block ends."""
        originals = [module.greenlet_spawn for module in _MODULES]
        for module, spawn in zip(_MODULES, originals, strict=True):
            module.greenlet_spawn = self._timed(spawn)  # type: ignore[attr-defined]
        execute = InlineConnection._execute
        InlineConnection._execute = self._timed_sqlite(execute)  # type: ignore[method-assign]
        self.database = self.sqlite = 0.0
        sample: list[CpuSample] = []
        started = time.process_time()
        try:
            yield sample
        finally:
            sample.append(CpuSample(time.process_time() - started, self.database, self.sqlite))
            InlineConnection._execute = execute  # type: ignore[method-assign]
            for module, spawn in zip(_MODULES, originals, strict=True):
                module.greenlet_spawn = spawn  # type: ignore[attr-defined]
