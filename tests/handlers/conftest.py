"""Handler tests without HTTP: updates go straight to the real dispatcher, and the bot talks to
a fake Telegram session that records each method and answers with a plausible result."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import GetMe, TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.app import Runtime, build_dispatcher
from bot.middlewares import CommitBeforeTelegram
from bot.settings import load_settings
from core.clock import ManualClock
from courses.library import CourseLibrary

BOT_TOKEN = "4200000001:handler-tests"
BOT_USER = {"id": 4200000001, "is_bot": True, "first_name": "Rafiq", "username": "rafiq_bot"}
ADMIN_ID = 900


class FakeTelegram(BaseSession):
    """Records every Bot API method the bot calls; answers as Telegram would, minimally."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._message_ids = itertools.count(1000)

    async def make_request(  # aiogram's signature
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        self.requests.append(method)
        if isinstance(method, GetMe):
            return User.model_validate(BOT_USER)
        if method.__returning__ is bool:
            return True
        return self._message(bot, method)

    def _message(self, bot: Bot, method: TelegramMethod[Any]) -> Message:
        chat_id = getattr(method, "chat_id", None)
        message: dict[str, Any] = {
            "message_id": getattr(method, "message_id", None) or next(self._message_ids),
            "date": datetime.now(UTC),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if getattr(method, "photo", None) is not None or getattr(method, "media", None):
            size = {"file_id": "photo-1", "file_unique_id": "u1", "width": 1, "height": 1}
            message["photo"] = [size]
            message["caption"] = getattr(method, "caption", None)
        else:
            message["text"] = getattr(method, "text", None) or ""
        return Message.model_validate(message, context={"bot": bot})

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("handler tests download nothing")
        yield b""

    def sent(self, method: type[TelegramMethod[Any]] | None = None) -> list[TelegramMethod[Any]]:
        return [r for r in self.requests if method is None or isinstance(r, method)]


class Chatting:
    """One person's side: builds their updates and feeds them to the dispatcher."""

    _update_ids = itertools.count(1)

    def __init__(self, dispatcher: Dispatcher, bot: Bot, user_id: int, language: str = "en"):
        self.dispatcher = dispatcher
        self.bot = bot
        self.user = User(id=user_id, is_bot=False, first_name="Amina", language_code=language)
        self.chat = Chat(id=user_id, type="private")

    def message(self, text: str) -> Update:
        return Update(
            update_id=next(self._update_ids),
            message=Message(
                message_id=next(self._update_ids),
                date=datetime.now(UTC),
                chat=self.chat,
                from_user=self.user,
                text=text,
            ),
        )

    def press(self, data: str, on_text: str = "") -> Update:
        shown = Message(
            message_id=next(self._update_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=User.model_validate(BOT_USER),
            text=on_text or "…",
        )
        return Update(
            update_id=next(self._update_ids),
            callback_query=CallbackQuery(
                id=str(next(self._update_ids)),
                from_user=self.user,
                chat_instance="chat",
                message=shown,
                data=data,
            ),
        )

    async def feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)


@pytest.fixture
async def handler_runtime(
    database_url: str, clock: ManualClock, library: CourseLibrary
) -> AsyncIterator[Runtime]:
    settings = load_settings(database_url=database_url, admin_ids=str(ADMIN_ID), _env_file=None)
    runtime = Runtime.create(settings, clock=clock, library=library)
    yield runtime
    await runtime.close()


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def dispatcher(handler_runtime: Runtime) -> Dispatcher:
    return build_dispatcher(handler_runtime)


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(BOT_TOKEN, session=telegram)
    bot.session.middleware(CommitBeforeTelegram())
    yield bot


@pytest.fixture
def chat(dispatcher: Dispatcher, bot: Bot) -> Iterator[Chatting]:
    yield Chatting(dispatcher, bot, user_id=7)
