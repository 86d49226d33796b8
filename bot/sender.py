"""The sender: one loop that drains the outbox within Telegram's limits.

A row is claimed (`sending`, committed) only when a send slot and the rate allow it to go at once,
sent, and its answer marked right after in a transaction of its own. So at most `concurrency`
rows are in doubt at any moment: if the process dies, those may or may not have reached Telegram,
and they are sent again once their claim is older than the claim timeout (a live sender gives up
on a request after half of it). docs/architecture.md, "The outbox", says what a person may see.

- 429: the row waits `retry_after` (the try is given back); the chat pauses when it was its own
  limit, everything pauses when it was the bot's global one (bot/pacing.py tells which).
- 403: the row and the person are unreachable; nothing is sent to them until they unblock.
- 5xx, network errors: tried again after a doubling wait, parked as failed after the last try.
- anything else Telegram refuses (400...): parked as failed at once.
Errors are kept and logged as exception type and status code only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import outbox_claims
from bot.middlewares import KeepResponseTypes
from bot.pacing import Pace
from bot.settings import Settings
from core.clock import Clock
from core.db import SessionFactory, WriteGate
from core.pseudonym import pseudonym

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply

POLL_SECONDS = 1.0  # how often an idle sender looks for new rows (wake() is sooner)
SCAN = 4  # a claim looks at this many due rows per message it may send
LONGEST_BACKOFF = timedelta(minutes=15)
HOUSEKEEPING_EVERY = timedelta(seconds=60)
PRUNE_EVERY = timedelta(hours=1)

STATUS = {
    TelegramBadRequest: 400,
    TelegramUnauthorizedError: 401,
    TelegramForbiddenError: 403,
    TelegramNotFound: 404,
    TelegramConflictError: 409,
    TelegramEntityTooLarge: 413,
    TelegramRetryAfter: 429,
}
TRANSIENT = (
    TelegramServerError,
    TelegramNetworkError,
    TelegramUnauthorizedError,  # the deployment's token, not the message
    ClientDecodeError,  # a proxy's HTML error page
    TimeoutError,
    OSError,
)
MARKUPS: tuple[tuple[str, type[Markup]], ...] = (
    ("inline_keyboard", InlineKeyboardMarkup),
    ("keyboard", ReplyKeyboardMarkup),
    ("remove_keyboard", ReplyKeyboardRemove),
    ("force_reply", ForceReply),
)


def describe(error: BaseException) -> str:
    """An error as its type and status code: never its message (it may quote the text)."""
    if isinstance(error, TelegramServerError):
        return "TelegramServerError 5xx"
    code = next((c for kind, c in STATUS.items() if isinstance(error, kind)), None)
    name = type(error).__name__
    return f"{name} {code}" if code else name


def markup_of(data: dict[str, Any] | None) -> Markup | None:
    if data is None:
        return None
    for key, kind in MARKUPS:
        if key in data:
            return kind.model_validate(data)
    raise ValueError("unknown reply_markup")


def build_sender_bot(token: str, api_base: str | None = None) -> Bot:
    """The sender's own connection to Telegram: no waiting on 429 inside a request (the sender
    paces itself), no update's unit of work, and a connection pool apart from the replies'."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else None
    bot = Bot(token, session=session)
    bot.session.middleware(KeepResponseTypes())
    return bot


@dataclass(frozen=True)
class SenderConfig:
    rate: float = 29.0  # messages a second for the outbox: the bot's rate less the replies' share
    concurrency: int = 8
    max_attempts: int = 5
    backoff: float = 5.0
    claim_timeout: float = 60.0
    keep_sent_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderConfig:
        return cls(
            rate=settings.outbox_rate - settings.outbox_reply_reserve,
            concurrency=settings.outbox_concurrency,
            max_attempts=settings.outbox_max_attempts,
            backoff=settings.outbox_backoff_seconds,
            claim_timeout=settings.outbox_claim_timeout_seconds,
            keep_sent_days=settings.outbox_keep_sent_days,
        )


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        gate: WriteGate,
        bot: Bot,
        clock: Clock,
        config: SenderConfig,
        *,
        postgres: bool,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`sleep` waits out the pace, pauses and retries (tests move a ManualClock with it)."""
        self.sessions = sessions
        self.gate = gate
        self.bot = bot
        self.clock = clock
        self.config = config
        self.postgres = postgres
        self.sleep = sleep
        self.pace = Pace(clock, config.rate)
        self._marks = outbox_claims.Marks(sessions, gate)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.stop_listening: Callable[[], None] = lambda: None  # for rows committed elsewhere
        self._looked_after: datetime | None = None
        self._pruned: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._resting = False  # waiting, not in a database statement: stopping may cancel it
        self._until_empty = False

    @property
    def in_flight(self) -> set[asyncio.Task[None]]:
        """The sends under way (each a claimed row not yet marked)."""
        return self._in_flight

    @property
    def resting(self) -> bool:
        """Waiting for rows or for their time, not in a database statement."""
        return self._resting

    def wake(self) -> None:
        """Look for rows now rather than at the next poll or the next row's time (after
        enqueueing rows due now)."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        """Stop claiming, let the sends under way finish and be marked.

        The loop is cancelled only while it waits: cancelling a SQLite statement under way
        would close its connection while aiosqlite's thread still uses it."""
        self._stopping = True
        if self._task is not None:
            if self._resting:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def run(self, *, until_empty: bool = False) -> None:
        """Drain the outbox until cancelled (or, with `until_empty`, until nothing waits)."""
        self._until_empty = until_empty
        while not self._stopping:
            try:
                if not await self._turn() and until_empty:
                    if self._in_flight:
                        await self._rest(lambda: asyncio.wait(set(self._in_flight)))
                    if await outbox_claims.next_due(self.sessions, self.gate) is None:
                        return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away: try again in a while
                log.warning("outbox: sender turn failed (%s); trying again", describe(error))
                await self._rest(lambda: asyncio.sleep(POLL_SECONDS))

    async def _turn(self) -> bool:
        """Claim and start what may go now, or wait; False when there was nothing to do."""
        await self._look_after()
        free = self.config.concurrency - len(self._in_flight)
        if free <= 0:
            await self._rest(
                lambda: asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            )
            return True
        room = self.pace.room(free)
        if room == 0:
            await self._rest(lambda: self.sleep(self.pace.next_room_in()))
            return True
        rows = await outbox_claims.claim(
            self.sessions,
            self.gate,
            self.clock.now(),
            room * SCAN,
            self._picker(room),
            postgres=self.postgres,
        )
        for row in rows:
            sent_at = self.pace.now()
            previous = await self.pace.take(row.chat_id)  # before the next turn counts the room
            self._start(row, previous, sent_at)
        if rows:
            return True
        return await self._wait_for_work()

    def _picker(self, room: int) -> Callable[[list[tuple[int, int, bool]]], outbox_claims.Picks]:
        def pick(candidates: list[tuple[int, int, bool]]) -> outbox_claims.Picks:
            picks = outbox_claims.Picks()
            taken: set[int] = set()
            waiting: dict[int, int] = {}  # chat -> rows of it already put off in this claim
            now = self.pace.now()
            for row_id, chat_id, unreachable in candidates:
                if unreachable:
                    picks.blocked.append(row_id)
                    continue
                fresh = chat_id not in taken and chat_id not in waiting
                if fresh and self.pace.chat_ready(chat_id):
                    if len(picks.take) < room:
                        picks.take.append(row_id)
                        taken.add(chat_id)
                    continue
                # the chat is at its limit: the row is put off until its turn comes round
                interval = self.pace.chat_interval(chat_id)
                first = now + interval if chat_id in taken else self.pace.chat_free_at(chat_id)
                ahead = waiting.get(chat_id, 0)
                picks.later[row_id] = first + ahead * interval
                waiting[chat_id] = ahead + 1
            return picks

        return pick

    def _start(self, row: outbox_claims.Row, previous: float | None, sent_at: float) -> None:
        task = asyncio.create_task(self._deliver(row, previous, sent_at))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _wait_for_work(self) -> bool:
        if self._in_flight:
            await self._rest(
                lambda: asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            )
            return True
        self._wake.clear()  # before looking: a row enqueued from here on wakes the wait below
        due = await outbox_claims.next_due(self.sessions, self.gate)
        if due is None:
            if self._until_empty:
                return False
            with contextlib.suppress(TimeoutError):
                await self._rest(lambda: asyncio.wait_for(self._wake.wait(), POLL_SECONDS))
            return False
        wait = (due - self.clock.now()).total_seconds()
        await self._rest(lambda: self._sleep_unless_woken(min(max(wait, 0.001), POLL_SECONDS)))
        return True

    async def _sleep_unless_woken(self, seconds: float) -> None:
        """Wait for the next row that is due later, or less: `wake` says one is due now."""
        waits = {
            asyncio.ensure_future(self.sleep(seconds)),
            asyncio.ensure_future(self._wake.wait()),
        }
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _rest(self, wait: Callable[[], Awaitable[object]]) -> None:
        """Wait where `stop` may cancel the loop (never inside a database statement)."""
        if self._stopping:
            raise asyncio.CancelledError
        self._resting = True
        try:
            await wait()
        finally:
            self._resting = False

    async def _look_after(self) -> None:
        """Now and then: send again what a crash left in doubt, prune old rows, forget chats."""
        now = self.clock.now()
        every = min(HOUSEKEEPING_EVERY, timedelta(seconds=self.config.claim_timeout / 4))
        if self._looked_after is not None and now - self._looked_after < every:
            return
        self._looked_after = now
        again = await outbox_claims.send_again_stale(
            self.sessions,
            self.gate,
            now,
            timedelta(seconds=self.config.claim_timeout),
            self.config.max_attempts,
        )
        if again:
            log.warning("outbox: %s messages in doubt after a restart, sent again", again)
        self.pace.forget_quiet()
        if self._pruned is None or now - self._pruned >= PRUNE_EVERY:
            self._pruned = now
            await outbox_claims.prune_outbox(
                self.sessions, self.gate, now, self.config.keep_sent_days
            )

    async def _deliver(
        self, row: outbox_claims.Row, previous: float | None, sent_at: float
    ) -> None:
        """Send one claimed row and mark the answer. `previous`: when this sender last wrote to
        the chat before (to tell a chat's 429 from the bot's)."""
        row_id = row.id
        assert row_id is not None
        try:
            message_id = await self._send(row)
        except TelegramRetryAfter as error:
            wait = error.retry_after
            everything = self.pace.pause(row.chat_id, wait, previous, sent_at)
            log.info(
                "outbox: 429, %s waits %ss",
                "everything" if everything else f"chat {pseudonym(row.chat_id)}",
                wait,
            )
            due = self.clock.now() + timedelta(seconds=wait)
            mark = outbox_claims.again(row_id, due, describe(error), counts=False)
        except TelegramForbiddenError as error:
            log.info("outbox: chat %s unreachable (403)", pseudonym(row.chat_id))
            mark = outbox_claims.unreachable(row_id, row.chat_id, self.clock.now(), describe(error))
        except TRANSIENT as error:
            mark = self._retry_or_park(row, describe(error))
        except Exception as error:  # refused (400...): trying again would not help
            log.warning("outbox: message %s parked (%s)", row_id, describe(error))
            mark = outbox_claims.failed(row_id, describe(error))
        else:
            mark = outbox_claims.sent(row_id, self.clock.now(), message_id)
        try:
            await self._marks.add(mark)
        except Exception as error:  # the row stays `sending`: sent again after the claim timeout
            log.warning("outbox: could not mark a message (%s)", describe(error))

    async def _send(self, row: outbox_claims.Row) -> int:
        markup = markup_of(row.reply_markup)
        timeout = max(1, int(self.config.claim_timeout / 2))
        method: SendMessage | SendPhoto
        if row.photo:
            method = SendPhoto(
                chat_id=row.chat_id, photo=row.photo, caption=row.text or None, reply_markup=markup
            )
        else:
            method = SendMessage(chat_id=row.chat_id, text=row.text, reply_markup=markup)
        sent = await self.bot(method, request_timeout=timeout)
        return sent.message_id

    def _retry_or_park(self, row: outbox_claims.Row, what: str) -> outbox_claims.Mark:
        assert row.id is not None
        if row.attempts >= self.config.max_attempts:
            log.warning("outbox: message %s parked after %s tries (%s)", row.id, row.attempts, what)
            return outbox_claims.failed(row.id, what)
        wait = min(
            timedelta(seconds=self.config.backoff * 2 ** (row.attempts - 1)), LONGEST_BACKOFF
        )
        log.info("outbox: message %s failed (%s), again in %s", row.id, what, wait)
        return outbox_claims.again(row.id, self.clock.now() + wait, what)


async def prune_outbox(
    sessions: SessionFactory, gate: WriteGate, now: datetime, keep_days: int
) -> int:
    """Delete sent rows older than `keep_days`; for the scheduler. Returns how many."""
    return await outbox_claims.prune_outbox(sessions, gate, now, keep_days)
