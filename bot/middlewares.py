"""Per-update context: a database session, the member (if they consented) and their locale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot import accounts
from bot.db import SessionFactory
from bot.i18n import use_locale
from bot.locales import catalog_for

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


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
            with use_locale(locale):
                return await handler(event, data)
