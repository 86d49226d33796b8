"""Hands stored updates to the dispatcher: each chat's in arrival order, chats side by side.

Updates reach the inbox first (bot/inbox.py); this reads the pending ones and feeds them, so an
update stored before a crash is handled after the restart, and none is handled twice (the
middleware marks it done in the same transaction as its effects).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update

from bot import inbox
from core.clock import Clock
from core.db import SessionFactory, WriteGate

log = logging.getLogger(__name__)

Handled = Callable[[int], None]
BATCH = 500
PRUNE_EVERY = timedelta(hours=1)


_frozen = False


def freeze_startup_heap() -> None:
    """Once a process: what is alive when its first bot starts (modules, the course library,
    prebuilt statements, aiogram's models) lives as long as the process, so the garbage
    collector's older generations stop walking it again and again under load (a sixth of a page
    turn's CPU). Objects freed by their reference count still are; only cycles among these are
    kept, and these are not meant to die."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


class UpdateProcessor:
    def __init__(
        self,
        sessions: SessionFactory,
        gate: WriteGate,
        clock: Clock,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        concurrent: bool = True,
        on_handled: Handled | None = None,
    ) -> None:
        """`concurrent=False` handles one update at a time across all chats (tests, sandbox)."""
        self.sessions = sessions
        self.gate = gate
        self.clock = clock
        self._pruned_at: datetime | None = None
        self.dispatcher = dispatcher
        self.bot = bot
        self.concurrent = concurrent
        self.on_handled = on_handled
        self._wake = asyncio.Event()
        self._queues: dict[int | None, deque[inbox.Stored]] = defaultdict(deque)
        self._workers: dict[int | None, asyncio.Task[None]] = {}
        self._known: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def wake(self) -> None:
        """Read the inbox again (after an error); new updates normally come through submit."""
        self._wake.set()

    def submit(self, stored: list[inbox.Stored]) -> None:
        """Take up updates just stored in the inbox."""
        for item in stored:
            self._enqueue(item)

    async def take_up_stored(self) -> None:
        """Take up what the inbox holds from before (a restart): call before receiving."""
        freeze_startup_heap()
        await self._take_pending()

    async def run(self) -> None:
        """Until cancelled: prune the inbox now and then, read it again when woken."""
        while True:
            try:
                await self._prune_now_and_then()
                if self._wake.is_set():
                    self._wake.clear()
                    await self._take_pending()
            except Exception as error:
                log.warning("could not read the inbox (%s); retrying", type(error).__name__)
                self._wake.set()
                await asyncio.sleep(1)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), PRUNE_EVERY.total_seconds())

    async def _prune_now_and_then(self) -> None:
        now = self.clock.now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        async with self.gate.held(), self.sessions() as session:
            await inbox.prune(session, now - inbox.REDELIVERY_WINDOW)
            await session.commit()

    async def _take_pending(self) -> None:
        after = -1
        while True:
            async with self.sessions() as session:
                batch = await inbox.pending(session, BATCH, after, self.bot)
            for stored in batch:
                self._enqueue(stored)
            if len(batch) < BATCH:
                return
            after = batch[-1].update_id

    def _enqueue(self, stored: inbox.Stored) -> None:
        if stored.update_id in self._known:
            return
        self._known.add(stored.update_id)
        key = stored.chat_id if self.concurrent else None
        self._queues[key].append(stored)
        if key not in self._workers:
            self._idle.clear()
            self._workers[key] = asyncio.create_task(self._work(key))

    async def _work(self, key: int | None) -> None:
        queue = self._queues[key]
        try:
            while queue:
                stored = queue.popleft()
                try:
                    await self._handle(stored.update)
                finally:
                    self._known.discard(stored.update_id)
                if self.on_handled is not None:
                    self.on_handled(stored.update_id)
        finally:
            del self._workers[key]
            self._queues.pop(key, None)
            if not self._workers:
                self._idle.set()

    async def _handle(self, update: Update) -> None:
        try:
            response = await self.dispatcher.feed_update(self.bot, update)
            if isinstance(response, TelegramMethod):
                await self.bot(response)
        except Exception as error:  # the error handler failed too; the update is settled
            log.error("update %s: %s", update.update_id, type(error).__name__)

    async def idle(self) -> None:
        """Wait until every update taken up so far is handled."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Let the updates already taken up finish (each is one short transaction)."""
        if self._workers:
            await asyncio.wait(list(self._workers.values()), timeout=10)
