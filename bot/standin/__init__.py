"""A stand-in Telegram Bot API server with simulated users, for tests and the sandbox."""

from bot.standin.chat import (
    Button,
    CallbackQueryInfo,
    ChatMessage,
    DocumentInfo,
    Event,
    EventKind,
    PhotoInfo,
)
from bot.standin.client import SimUser
from bot.standin.errors import ApiError, UpdateDropped, UpdateNotHandled
from bot.standin.ratelimit import RateLimits
from bot.standin.server import StandIn

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
