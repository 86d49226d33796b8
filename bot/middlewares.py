"""Per-update context: a database session, the member (if they consented) and their locale."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot import inbox
from core import unit_of_work
from core.clock import Clock
from core.db import SessionFactory, WriteGate
from core.i18n import use_locale
from core.locales import catalog_for
from core.unit_of_work import UnitOfWork
from people import accounts

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

log = logging.getLogger(__name__)


class ContextMiddleware(BaseMiddleware):
    """The boundary of an update: one session, one unit of work, the inbox's done mark with it.

    The update's changes commit once, before the first Telegram call (`CommitBeforeTelegram`) or
    at the end; a failure before that rolls all of it back and records the update as failed.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        default_locale: str,
        clock: Clock,
        gate: WriteGate | None = None,
    ):
        self.sessions = sessions
        self.default_locale = default_locale
        self.clock = clock
        self.gate = gate

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        telegram_user: User | None = data.get("event_from_user")
        chat_id = inbox.chat_of(event)
        async with self.sessions() as session:
            work = UnitOfWork(session, self.gate)
            token = unit_of_work.current.set(work)
            try:
                await work.begin_write()
                # The done mark comes first: a second delivery of this update, here or in
                # another process, finds it taken (PostgreSQL: waits on the row, then sees it).
                if not await inbox.settle(session, event.update_id, chat_id, self.clock.now()):
                    log.info("update %s: already handled, skipped", event.update_id)
                    await work.rollback()
                    return None
                member = None
                if telegram_user is not None:
                    member = await accounts.get_member(session, telegram_user.id)
                if member is not None:
                    locale = member.locale
                else:
                    code = telegram_user.language_code if telegram_user else None
                    locale = catalog_for(code, self.default_locale)
                data["session"] = session
                data["member"] = member
                data["locale"] = locale
                with use_locale(locale):
                    result = await handler(event, data)
                await work.finish()
                return result
            except BaseException as error:
                if not work.committed:
                    await work.rollback()
                    await self._record_failure(session, event.update_id, chat_id, error)
                raise
            finally:
                await work.rollback()  # ends whatever is still open and lets the next writer in
                unit_of_work.current.reset(token)

    async def _record_failure(
        self, session: AsyncSession, update_id: int, chat_id: int | None, error: BaseException
    ) -> None:
        gate = self.gate or WriteGate(enabled=False)
        try:
            async with gate.held():
                now, reason = self.clock.now(), type(error).__name__
                await inbox.settle(session, update_id, chat_id, now, inbox.FAILED, reason)
                await session.commit()
        except Exception:  # the database itself may be what failed
            log.warning("update %s: could not record the failure", update_id)
            await session.rollback()


Sleep = Callable[[float], Awaitable[None]]


class RetryAfterFloodWait(BaseRequestMiddleware):
    """On 429 wait the retry_after Telegram asks for, then try again (a few times, briefly).

    Longer waits are not worth holding an update for; those errors go to the error handler.
    """

    def __init__(self, sleep: Sleep = asyncio.sleep, attempts: int = 3, longest: float = 5):
        self.sleep = sleep
        self.attempts = attempts
        self.longest = longest

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.longest:
                    raise
                await self.sleep(error.retry_after)
        raise AssertionError("unreachable")


class CommitBeforeTelegram(BaseRequestMiddleware):
    """Before the bot says anything to Telegram, commit the update's unit of work.

    This is the one commit of an update's effects; later calls only end a read transaction (on
    SQLite every transaction holds the write lock, which must not wait on a slow network), and a
    change made after it is refused rather than silently lost.
    """

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        work = unit_of_work.current.get()
        if work is not None:
            await work.commit()
        return await make_request(bot, method)


class KeepResponseTypes(BaseRequestMiddleware):
    """Keep aiogram's `Response[T]` types alive.

    aiogram parametrises `Response[T]` for every call; pydantic caches such types weakly, so after
    each garbage collection the type is built again (milliseconds of CPU on every call under load,
    the largest single cost a profile of the bot showed). A strong reference per method ends that.
    """

    def __init__(self) -> None:
        self._types: dict[type, Any] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        kind = type(method)
        if kind not in self._types:
            self._types[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
