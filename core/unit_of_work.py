"""The update's one transaction: services change the session, this commits it, once.

The rule (docs/architecture.md): services and queries never commit. The boundary that owns the
update (the bot's middleware) commits the unit of work exactly once, before the first thing is
said to Telegram, or at the end of the update if nothing is said. After that commit an update may
only read, and write what it learned from Telegram's answer (a photo's file_id) through
`after_reply`, in a second small transaction the boundary owns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.db import WriteGate

Step = Callable[[AsyncSession], Awaitable[Any]]
T = TypeVar("T")

current: ContextVar[UnitOfWork | None] = ContextVar("unit_of_work", default=None)


_KEY = "unit_of_work"


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    # One listener for every session (listening per session costs more than the update's SQL).
    work = session.info.get(_KEY)
    if work is not None:
        work._on_flush()


class WriteAfterReply(RuntimeError):
    """A change reached the session after the unit of work was committed and Telegram spoken to."""


class UnitOfWork:
    def __init__(self, session: AsyncSession, gate: WriteGate | None = None) -> None:
        self.session = session
        self._gate = gate
        self._holding_gate = False
        self.committed = False
        self._flushed_after_commit = False
        self._after_reply: list[Step] = []
        # What the update read that only it changes while it runs (its conversation's FSM
        # state), so that a second read costs no statement; the writer keeps it current.
        self.memo: dict[object, object] = {}
        session.sync_session.info[_KEY] = self

    def _on_flush(self) -> None:
        if self.committed:
            self._flushed_after_commit = True

    async def begin_write(self) -> None:
        """Wait for this process's turn to write (SQLite); the commit or rollback ends it."""
        if self._gate is not None and not self._holding_gate:
            await self._gate.acquire()
            self._holding_gate = True

    def _release_gate(self) -> None:
        if self._holding_gate:
            self._holding_gate = False
            assert self._gate is not None
            self._gate.release()

    def after_reply(self, step: Step) -> None:
        """Run `step` after the update, in a transaction of its own (a cache from Telegram)."""
        self._after_reply.append(step)

    def _has_changes(self) -> bool:
        session = self.session
        return bool(session.new or session.dirty or session.deleted or self._flushed_after_commit)

    async def commit(self) -> None:
        """Commit the update's changes; later calls only end a read transaction."""
        if self.committed:
            await self.end_read()
            return
        try:
            await self.session.commit()
        finally:
            self._release_gate()
        self.committed = True

    async def end_read(self) -> None:
        """End a read-only transaction opened after the commit (SQLite holds its lock in one)."""
        if self._has_changes():
            raise WriteAfterReply("a change after the update's commit: it would be lost")
        if self.session.in_transaction():
            await self.session.commit()

    async def finish(self) -> None:
        """The end of the update: commit if nothing was said, then the after-reply steps."""
        await self.commit()
        if self._after_reply:
            steps, self._after_reply = self._after_reply, []
            await self.begin_write()
            try:
                for step in steps:
                    await step(self.session)
                await self.session.commit()
            finally:
                self._release_gate()
            self._flushed_after_commit = False

    async def separately(self, step: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a long job's writes in a transaction of their own, after the update's commit.

        For work that must first read from Telegram (an import downloads its file): the update
        is settled when it first calls Telegram; the job's writes commit here, all or nothing.
        """
        await self.commit()
        await self.begin_write()
        try:
            result = await step(self.session)
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise
        finally:
            self._release_gate()
            self._flushed_after_commit = False
        return result

    async def rollback(self) -> None:
        self.memo.clear()
        try:
            await self.session.rollback()
        finally:
            self._release_gate()
