"""A stand-in Telegram Bot API server with simulated users, for tests and the sandbox."""

from standin.chat import (
    Button,
    CallbackQueryInfo,
    ChatMessage,
    DocumentInfo,
    Event,
    EventKind,
    PhotoInfo,
)
from standin.client import SimUser
from standin.errors import ApiError, UpdateDropped, UpdateNotHandled
from standin.ratelimit import RateLimits
from standin.server import StandIn

__all__ = [
    "ApiError",
    "Button",
    "CallbackQueryInfo",
    "ChatMessage",
    "DocumentInfo",
    "Event",
    "EventKind",
    "PhotoInfo",
    "RateLimits",
    "SimUser",
    "StandIn",
    "UpdateDropped",
    "UpdateNotHandled",
]
