"""An aiogram 3 echo bot: the yardstick the throughput benchmark compares the real bot with.

Per button press it makes the same Telegram calls as the real bot's lesson page turn
(answerCallbackQuery, then editMessageText with an inline keyboard); a text message gets a reply.
No database and no update middlewares: only aiogram's own dispatch, polling updates
concurrently. It is written as well as aiogram allows, so the yardstick is not slowed by what
the real bot avoids: its filters are coroutines (aiogram runs any other filter, `F.text` say,
in a worker thread) and it keeps aiogram's `Response[T]` types alive as the bot does
(bot.middlewares.KeepResponseTypes; without it pydantic rebuilds them after every garbage
collection, which cost this echo bot about a sixth of its rate), and it freezes its start-up
heap out of the garbage collector's reach as the bot does (bot.processing.freeze_startup_heap).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
)

from bot.middlewares import KeepResponseTypes

Handled = Callable[[int], None]

NEXT = "Next ➡️"
BACK = "⬅️ Back"


def page_keyboard(page: int) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton(text=NEXT, callback_data=f"page:{page + 1}")]
    if page > 0:
        row.insert(0, InlineKeyboardButton(text=BACK, callback_data=f"page:{page - 1}"))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def build_router() -> Router:
    router = Router()

    async def has_text(message: Message) -> bool:
        return bool(message.text)

    async def is_page(query: CallbackQuery) -> bool:
        return (query.data or "").startswith("page:")

    @router.message(has_text)
    async def reply(message: Message) -> None:
        await message.answer(f"Page 0: {message.text}", reply_markup=page_keyboard(0))

    @router.callback_query(is_page)
    async def turn_page(query: CallbackQuery) -> None:
        page = int((query.data or "page:0").removeprefix("page:"))
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(f"Page {page}", reply_markup=page_keyboard(page))

    return router


class ReportHandled(BaseMiddleware):
    """Tells the stand-in an update is handled, as the real bot's processor does."""

    def __init__(self, on_handled: Handled) -> None:
        self.on_handled = on_handled

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            if isinstance(event, Update):
                self.on_handled(event.update_id)


class EchoBot:
    """Long-polls in the background, each update handled as its own task (aiogram's default)."""

    def __init__(self, token: str, api_base: str, on_handled: Handled | None = None) -> None:
        self.token = token
        self.api_base = api_base
        self.on_handled = on_handled
        self._task: asyncio.Task[None] | None = None
        self._bot: Bot | None = None
        self._dispatcher: Dispatcher | None = None

    async def start(self) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.api_base))
        session.middleware(KeepResponseTypes())
        self._bot = Bot(self.token, session=session)
        self._dispatcher = dispatcher = Dispatcher()
        if self.on_handled is not None:
            dispatcher.update.outer_middleware(ReportHandled(self.on_handled))
        dispatcher.include_router(build_router())
        gc.collect()
        gc.freeze()
        self._task = asyncio.create_task(
            dispatcher.start_polling(
                self._bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=30,
                handle_as_tasks=True,
            )
        )

    async def stop(self) -> None:
        if self._task is not None and self._dispatcher is not None:
            # cancelling start_polling's task would leave its inner polling task running
            with contextlib.suppress(RuntimeError):  # polling never got going
                await self._dispatcher.stop_polling()
            await self._task
            self._task = None
        if self._bot is not None:
            await self._bot.session.close()
            self._bot = None
