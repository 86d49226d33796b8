"""In-memory state the stand-in keeps per bot: chats, messages, files, pending updates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from standin.chat import Button, ChatMessage, DocumentInfo, Event, PhotoInfo
from standin.errors import UpdateDropped
from standin.formatting import Entity
from standin.ratelimit import RateLimiter

UpdateKind = Literal["message", "callback_query"]
DEFAULT_UPDATE_TYPES = frozenset({"message", "edited_message", "callback_query"})


class Signal:
    """Wakes every waiter each time it fires; waiters re-check their condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float | None = None) -> None:
        """Wait for the next fire, or at most `seconds`, whichever comes first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


@dataclass
class UserProfile:
    id: int
    first_name: str
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None

    def user_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                user[key] = value
        return user

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: Literal["photo", "document"]
    data: bytes = field(repr=False)
    file_path: str
    width: int = 0
    height: int = 0
    file_name: str | None = None
    mime_type: str | None = None
    disk_path: Path | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def photo_json(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.size,
            }
        ]

    def document_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document

    def file_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[Entity] = field(default_factory=list)
    raw_text: str | None = None
    caption: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    raw_caption: str | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    reply_markup: dict[str, Any] | None = None
    edit_date: int | None = None

    def content(self) -> tuple[Any, ...]:
        """What an edit must change for Telegram not to answer 'message is not modified'."""
        return (
            self.text,
            self.entities,
            self.caption,
            self.caption_entities,
            self.photo.file_unique_id if self.photo else None,
            self.document.file_unique_id if self.document else None,
            self.reply_markup,
        )

    def to_json(self, sender: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.photo is not None:
            message["photo"] = self.photo.photo_json()
        if self.document is not None:
            message["document"] = self.document.document_json()
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message

    def view(self) -> ChatMessage:
        photo = document = None
        if self.photo is not None:
            photo = PhotoInfo(
                self.photo.file_id,
                self.photo.width,
                self.photo.height,
                self.photo.size,
                self.photo.disk_path,
            )
        if self.document is not None:
            document = DocumentInfo(
                self.document.file_id,
                self.document.file_name,
                self.document.mime_type,
                self.document.size,
                self.document.disk_path,
            )
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        buttons = [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in rows
        ]
        return ChatMessage(
            message_id=self.message_id,
            text=self.text,
            caption=self.caption,
            photo=photo,
            document=document,
            buttons=buttons,
            edited=self.edit_date is not None,
            html=self.raw_text if self.text is not None else self.raw_caption,
        )


@dataclass
class ChatState:
    profile: UserProfile
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    next_message_id: int = 1
    changed: Signal = field(default_factory=Signal)
    listener: Callable[[int, Event], None] | None = None

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def record(self, event: Event) -> None:
        self.events.append(event)
        self.changed.fire()
        if self.listener is not None:
            self.listener(self.profile.id, event)

    def bot_messages(self) -> list[StoredMessage]:
        return sorted((m for m in self.messages.values() if m.from_bot), key=lambda m: m.message_id)


@dataclass
class PendingUpdate:
    update_id: int
    kind: UpdateKind
    payload: dict[str, Any]
    label: str
    done: asyncio.Future[None]
    awaits_handling: bool = False
    acknowledged: bool = False

    def resolve(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def acknowledge(self) -> None:
        """The bot confirmed receipt (offset or 2xx); done unless the bot reports handling."""
        self.acknowledged = True
        if not self.awaits_handling:
            self.resolve()

    def fail(self, error: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(error)
            self.done.exception()


@dataclass
class CallbackQueryState:
    id: str
    user_id: int
    message_id: int
    data: str
    created: float = 0.0
    answered: bool = False


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int = 40


@dataclass
class BotState:
    token: str
    bot_id: int
    username: str
    limiter: RateLimiter | None
    updates: list[PendingUpdate] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
    webhook: WebhookConfig | None = None
    webhook_task: asyncio.Task[None] | None = None
    webhook_last_error: tuple[int, str] | None = None
    chats: dict[int, ChatState] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    files_by_path: dict[str, StoredFile] = field(default_factory=dict)
    callback_queries: dict[str, CallbackQueryState] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    queue_changed: Signal = field(default_factory=Signal)
    poll_generation: int = 0
    reports_handling: bool = False  # the bot says when it has handled an update (see StandIn)
    handling: dict[int, PendingUpdate] = field(default_factory=dict)
    payloads: dict[int, dict[str, Any]] = field(default_factory=dict)

    def me_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Rafiq",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def sender_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Rafiq",
            "username": self.username,
        }

    def set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list):
            return
        self.allowed_updates = (
            frozenset(str(kind) for kind in allowed) if allowed else DEFAULT_UPDATE_TYPES
        )
        for pending in [u for u in self.updates if u.kind not in self.allowed_updates]:
            self.updates.remove(pending)
            pending.fail(self.not_allowed(pending))

    def not_allowed(self, pending: PendingUpdate) -> UpdateDropped:
        return UpdateDropped(
            f"{pending.label} was not delivered: the bot asked only for "
            f"{sorted(self.allowed_updates)} updates (allowed_updates)"
        )

    def confirm_below(self, offset: int) -> None:
        """Confirm (and forget) every update with update_id < offset, like getUpdates."""
        if offset < 0:
            keep = self.updates[offset:]
            for pending in self.updates[: len(self.updates) - len(keep)]:
                pending.fail(UpdateDropped(f"{pending.label} was forgotten by a negative offset"))
            self.updates = list(keep)
            return
        confirmed = [u for u in self.updates if u.update_id < offset]
        self.updates = [u for u in self.updates if u.update_id >= offset]
        for pending in confirmed:
            pending.acknowledge()

    def drop_pending(self, reason: str) -> None:
        dropped, self.updates = self.updates, []
        for pending in dropped:
            pending.fail(UpdateDropped(f"{pending.label} was dropped: {reason}"))
