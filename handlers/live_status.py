"""One message that shows how far a long job has got, edited as it goes.

A job reports `(done, total)` from any thread; the message is edited at most once every
`EVERY` by the injected clock (Telegram limits how often one message may change), always for
the first report, and `finish` puts the outcome in the same message once the edits under way
are through. A failed edit (the user deleted the message, a flood limit) only costs the
progress line, never the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message

from core.clock import Clock
from core.i18n import current_locale, embed

log = logging.getLogger(__name__)

EVERY = timedelta(seconds=2)


class LiveStatus:
    def __init__(self, message: Message, clock: Clock) -> None:
        self.message = message
        self.clock = clock
        self.locale = current_locale()
        self._loop = asyncio.get_running_loop()
        self._shown_at: datetime | None = None
        self._shown = message.text or ""
        self._edits: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, bot: Bot, chat_id: int, text: str, clock: Clock) -> LiveStatus:
        """Send the status message without committing the update (as edits do): for a job that
        writes inside the update's own transaction, which commits when the job is done."""
        task = asyncio.get_running_loop().create_task(
            bot.send_message(chat_id, text), context=contextvars.Context()
        )
        return cls(await task, clock)

    def reporter(self, template: str) -> Callable[[int, int], None]:
        """A progress callback, safe to call from a worker thread: `template` is a translated
        message with `{done}` and `{total}`."""

        def report(done: int, total: int) -> None:
            now = self.clock.now()
            if self._shown_at is not None and now - self._shown_at < EVERY and done < total:
                return
            self._shown_at = now
            text = template.format(done=embed(done, self.locale), total=embed(total, self.locale))
            self._loop.call_soon_threadsafe(self._show, text)

        return report

    def _show(self, text: str) -> None:
        previous = self._edits

        async def edit() -> None:
            if previous is not None:
                await previous
            await self._edit(text)

        # outside the update's context: an edit must not commit the job's unfinished writes
        # (bot.middlewares.CommitBeforeTelegram commits the unit of work it finds there)
        self._edits = self._loop.create_task(edit(), context=contextvars.Context())

    async def _edit(self, text: str) -> bool:
        if text == self._shown:
            return True
        try:
            await self.message.edit_text(text)
        except TelegramAPIError as error:
            log.info("progress message not edited (%s)", type(error).__name__)
            return False
        self._shown = text
        return True

    async def finish(self, text: str) -> None:
        """The outcome, in the same message (a new one if it cannot be edited), after the
        progress edits already asked for."""
        await asyncio.sleep(0)  # let reports posted from a thread reach the loop
        if self._edits is not None:
            with contextlib.suppress(Exception):
                await self._edits
        if not await self._edit(text):
            await self.message.answer(text)
