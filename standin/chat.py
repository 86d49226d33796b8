"""What a user sees in a chat: bot messages, their buttons, and what the bot did."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

EventKind = Literal["message", "edit", "delete", "callback_answer", "chat_action"]


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class PhotoInfo:
    file_id: str
    width: int
    height: int
    file_size: int
    path: Path | None = None


@dataclass(frozen=True)
class DocumentInfo:
    file_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int
    path: Path | None = None


@dataclass(frozen=True)
class ChatMessage:
    """The current state of one bot message (text is plain, markup stripped)."""

    message_id: int
    text: str | None = None
    caption: str | None = None
    photo: PhotoInfo | None = None
    document: DocumentInfo | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    edited: bool = False
    html: str | None = None

    @property
    def labels(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def button(self, label: str) -> Button:
        for row in self.buttons:
            for button in row:
                if button.text == label:
                    return button
        raise LookupError(
            f"message {self.message_id} has no button {label!r}; it has {self.labels!r}"
        )


@dataclass(frozen=True)
class Event:
    """One thing the bot did in a chat.

    kind "message"/"edit" carry the message after the action, "delete" the
    message_id, "callback_answer" text and show_alert, "chat_action" the action.
    """

    kind: EventKind
    message_id: int | None = None
    message: ChatMessage | None = None
    text: str | None = None
    show_alert: bool = False
    action: str | None = None


@dataclass(frozen=True)
class CallbackQueryInfo:
    id: str
    user_id: int
    message_id: int
    data: str
