"""Simulated Telegram users who chat with the bot through the stand-in."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from standin.chat import Button, ChatMessage, Event
from standin.errors import UpdateNotHandled
from standin.formatting import utf16_len
from standin.params import Upload
from standin.state import (
    BotState,
    ChatState,
    PendingUpdate,
    StoredMessage,
    UpdateKind,
    UserProfile,
)

if TYPE_CHECKING:
    from standin.server import StandIn

COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
DEFAULT_TIMEOUT = 10.0


class SimUser:
    """One person in a private chat with the bot.

    send/press return once the bot has finished handling the update (it confirmed
    it via getUpdates offset, or the webhook answered 2xx), with what the bot did.
    """

    timeout: float
    """Seconds send/press wait for the bot to confirm an update before UpdateNotHandled."""

    def __init__(self, server: StandIn, profile: UserProfile) -> None:
        self._server = server
        self.profile = profile
        self._lock = asyncio.Lock()
        self.timeout = DEFAULT_TIMEOUT
        self.last_update_id: int | None = None

    @property
    def id(self) -> int:
        return self.profile.id

    @property
    def first_name(self) -> str:
        return self.profile.first_name

    @property
    def language_code(self) -> str | None:
        return self.profile.language_code

    @language_code.setter
    def language_code(self, value: str | None) -> None:
        self.profile.language_code = value

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    # what the user sees

    @property
    def messages(self) -> list[ChatMessage]:
        chat = self._chat_if_any()
        return [m.view() for m in chat.bot_messages()] if chat else []

    @property
    def last(self) -> ChatMessage:
        messages = self.messages
        if not messages:
            raise LookupError(f"the bot has sent no messages to {self!r}")
        return messages[-1]

    @property
    def events(self) -> list[Event]:
        chat = self._chat_if_any()
        return list(chat.events) if chat else []

    async def wait_for(
        self,
        predicate: Callable[[ChatMessage], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        """The newest bot message matching predicate, waiting for the bot to send or edit one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        bot = await self._server.primary_bot(timeout)
        chat = self._server.chat_for(bot, self.id)
        while True:
            for message in reversed(chat.bot_messages()):
                view = message.view()
                if predicate(view):
                    return view
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [m.text or m.caption for m in self.messages[-5:]]
                raise TimeoutError(
                    f"no bot message to {self!r} matched within {timeout} s; newest: {seen!r}"
                )
            await chat.changed.wait(remaining)

    # what the user does

    async def send(self, text: str) -> list[Event]:
        """Send a text message (a leading /command gets a bot_command entity)."""
        async with self._lock:
            bot, chat = await self._chat()
            body = self._text_body(bot, chat, text)
            return await self._deliver(
                bot, chat, "message", body, f"message {text!r} from {self!r}"
            )

    async def send_later(self, text: str) -> PendingUpdate:
        """Send a text message without waiting for the bot: a message in a burst."""
        async with self._lock:
            bot, chat = await self._chat()
            body = self._text_body(bot, chat, text)
            return self._server.enqueue_update(
                bot, "message", body, f"message {text!r} from {self!r}"
            )

    def _text_body(self, bot: BotState, chat: ChatState, text: str) -> dict[str, Any]:
        if not text.strip():
            raise ValueError("Telegram clients do not send empty messages")
        entities = []
        command = COMMAND_RE.match(text)
        if command:
            entities.append(
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            )
        message = self._user_message(chat, text=text, entities=entities, raw_text=text)
        return self._server.message_json(bot, chat, message)

    async def send_photo(self, data: bytes, caption: str | None = None) -> list[Event]:
        async with self._lock:
            bot, chat = await self._chat()
            stored = await self._server.store_upload(bot, Upload("photo.jpg", None, data))
            message = self._user_message(
                chat, photo=stored, caption=caption or None, raw_caption=caption or None
            )
            body = self._server.message_json(bot, chat, message)
            return await self._deliver(bot, chat, "message", body, f"photo from {self!r}")

    async def send_document(
        self, data: bytes, file_name: str, caption: str | None = None
    ) -> list[Event]:
        async with self._lock:
            bot, chat = await self._chat()
            stored = await self._server.store_upload(
                bot, Upload(file_name, None, data), kind="document"
            )
            message = self._user_message(
                chat, document=stored, caption=caption or None, raw_caption=caption or None
            )
            body = self._server.message_json(bot, chat, message)
            return await self._deliver(bot, chat, "message", body, f"document from {self!r}")

    async def press(self, label: str, message_id: int | None = None) -> list[Event]:
        """Press the inline button with exactly this label (on the newest message having it)."""
        async with self._lock:
            bot, chat = await self._chat()
            message, button = self._find_button(chat, label, message_id)
            if button.callback_data is None:
                raise LookupError(
                    f"button {label!r} opens {button.url!r}; pressing it sends nothing to the bot"
                )
            return await self._callback(bot, chat, message, button.callback_data)

    async def press_data_later(self, data: str, message_id: int) -> PendingUpdate:
        """Press a button with this callback_data without waiting for the bot: a tap in a burst.
        The update's `done` future settles once the bot has taken (or handled) it."""
        async with self._lock:
            bot, chat = await self._chat()
            message = chat.messages.get(message_id)
            if message is None or not message.from_bot:
                raise LookupError(f"there is no bot message {message_id} in the chat of {self!r}")
            body = self._callback_body(bot, chat, message, data)
            return self._server.enqueue_update(
                bot, "callback_query", body, f"callback_query {data!r} from {self!r}"
            )

    async def press_data(self, data: bytes | str, message_id: int) -> list[Event]:
        """Send callback_data of our choosing for a message, as a hostile client could."""
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        async with self._lock:
            bot, chat = await self._chat()
            message = chat.messages.get(message_id)
            if message is None or not message.from_bot:
                raise LookupError(f"there is no bot message {message_id} in the chat of {self!r}")
            return await self._callback(bot, chat, message, data)

    # internals

    def _chat_if_any(self) -> ChatState | None:
        bot = self._server.current_bot()
        return self._server.chat_for(bot, self.id) if bot else None

    async def _chat(self) -> tuple[BotState, ChatState]:
        bot = await self._server.primary_bot(self.timeout)
        return bot, self._server.chat_for(bot, self.id)

    def _user_message(self, chat: ChatState, **content: Any) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.allocate_message_id(),
            chat_id=self.id,
            from_bot=False,
            date=int(time.time()),
            **content,
        )
        chat.messages[message.message_id] = message
        return message

    def _find_button(
        self, chat: ChatState, label: str, message_id: int | None
    ) -> tuple[StoredMessage, Button]:
        messages = chat.bot_messages()
        if message_id is not None:
            messages = [m for m in messages if m.message_id == message_id]
            if not messages:
                raise LookupError(f"there is no bot message {message_id} in the chat of {self!r}")
        for message in reversed(messages):
            for row in message.view().buttons:
                for button in row:
                    if button.text == label:
                        return message, button
        present = [
            f"message {m.message_id}: {m.view().labels}"
            for m in reversed(messages)
            if m.reply_markup
        ]
        raise LookupError(
            f"no inline button labelled {label!r}; buttons present: "
            + ("; ".join(present) if present else "none")
        )

    async def _callback(
        self,
        bot: BotState,
        chat: ChatState,
        message: StoredMessage,
        data: str,
    ) -> list[Event]:
        body = self._callback_body(bot, chat, message, data)
        return await self._deliver(
            bot, chat, "callback_query", body, f"callback_query {data!r} from {self!r}"
        )

    def _callback_body(
        self, bot: BotState, chat: ChatState, message: StoredMessage, data: str
    ) -> dict[str, Any]:
        query_id = self._server.register_callback_query(bot, self.id, message.message_id, data)
        return {
            "id": query_id,
            "from": self.profile.user_json(),
            "message": self._server.message_json(bot, chat, message),
            "chat_instance": str(bot.bot_id * 31 + self.id),
            "data": data,
        }

    async def _deliver(
        self,
        bot: BotState,
        chat: ChatState,
        kind: UpdateKind,
        body: dict[str, Any],
        description: str,
    ) -> list[Event]:
        start = len(chat.events)
        pending = self._server.enqueue_update(bot, kind, body, description)
        self.last_update_id = pending.update_id
        await _wait_handled(bot, pending, self.timeout)
        return chat.events[start:]


async def _wait_handled(bot: BotState, pending: PendingUpdate, seconds: float) -> None:
    finished, _ = await asyncio.wait({pending.done}, timeout=seconds)
    if finished:
        pending.done.result()
        return
    if bot.webhook is not None:
        hint = f"the webhook {bot.webhook.url} never answered it with a 2xx status"
    else:
        hint = (
            f"the bot never called getUpdates with an offset above {pending.update_id} "
            "(is it polling with start_polling(..., handle_as_tasks=False)?)"
        )
    raise UpdateNotHandled(f"{pending.label} was not handled within {seconds} s: {hint}")
