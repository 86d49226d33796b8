"""Per-update context: a database session, the member (if they consented) and their locale."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import SessionFactory
from core.i18n import use_locale
from core.locales import catalog_for
from people import accounts

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)


class ContextMiddleware(BaseMiddleware):
    def __init__(self, sessions: SessionFactory, admin_ids: frozenset[int], default_locale: str):
        self.sessions = sessions
        self.admin_ids = admin_ids
        self.default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        telegram_user: User | None = data.get("event_from_user")
        async with self.sessions() as session:
            member = None
            if telegram_user is not None:
                member = await accounts.get_member(session, telegram_user.id)
                if member and telegram_user.id in self.admin_ids and not member.is_admin:
                    member = await accounts.ensure_admin(session, telegram_user.id)
            if member is not None:
                locale = member.locale
            else:
                code = telegram_user.language_code if telegram_user else None
                locale = catalog_for(code, self.default_locale)
            data["session"] = session
            data["member"] = member
            data["locale"] = locale
            token = update_session.set(session)
            try:
                with use_locale(locale):
                    return await handler(event, data)
            finally:
                update_session.reset(token)


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


class EndReadTransaction(BaseRequestMiddleware):
    """Before the bot waits on Telegram, end the update's read transaction.

    On SQLite every transaction holds the write lock (BEGIN IMMEDIATE); it must not stay held
    while a slow network call runs. Services commit their own writes before handlers talk to
    Telegram, so only a read transaction can be open here.
    """

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        session = update_session.get()
        if session is not None and session.in_transaction():
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("a handler called Telegram in the middle of a unit of work")
            await session.commit()
        return await make_request(bot, method)
