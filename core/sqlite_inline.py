"""aiosqlite, with statements run on the event loop's own thread.

aiosqlite sends every call to a worker thread and awaits the answer; under load the answer then
waits for the busy event loop to come round, and a SQLite transaction (which holds the one write
lock) lasts as many loop turns as it has statements. SQLite calls on a local file take
microseconds, so this connection runs them inline. Only BEGIN, which may wait for another
process's write lock (busy_timeout), still goes to the worker thread, so the loop never waits
on a lock.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

import aiosqlite

_BUSY = object()


class InlineConnection(aiosqlite.Connection):
    busy_timeout_ms = 5000

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if args and isinstance(args[0], str) and args[0].lstrip()[:5].upper() == "BEGIN":
            result = self._begin_at_once(partial(fn, *args, **kwargs))
            if result is _BUSY:
                result = await super()._execute(fn, *args, **kwargs)
            return result
        return partial(fn, *args, **kwargs)()

    def _begin_at_once(self, begin: Any) -> Any:
        """Run BEGIN inline unless another connection holds the lock (then `_BUSY`)."""
        connection = self._connection
        assert connection is not None
        connection.execute("PRAGMA busy_timeout=0")
        try:
            return begin()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            return _BUSY
        finally:
            connection.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")


def connect(database: str, **kwargs: Any) -> InlineConnection:
    """As aiosqlite.connect; the sqlite3 connection may be used from the loop's thread."""

    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = InlineConnection(connector, 64)
    if "timeout" in kwargs:
        connection.busy_timeout_ms = round(kwargs["timeout"] * 1000)
    connection._thread.daemon = True
    return connection
