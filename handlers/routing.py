"""Handlers are declared once at import; each dispatcher gets fresh aiogram routers.

aiogram attaches a Router to one parent only, and the bot builds a new dispatcher on every
(re)start, so modules declare their handlers on `Routes` and `build()` makes the Router.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router

Handler = TypeVar("Handler", bound=Callable[..., Any])


class Routes:
    def __init__(self, name: str, *filters: Any) -> None:
        self.name = name
        self.filters = filters
        self._handlers: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = []

    def _decorator(self, event: str, filters: tuple[Any, ...]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._handlers.append((event, handler, filters))
            return handler

        return register

    def message(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._decorator("message", filters)

    def callback_query(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._decorator("callback_query", filters)

    def my_chat_member(self, *filters: Any) -> Callable[[Handler], Handler]:
        return self._decorator("my_chat_member", filters)

    def build(self) -> Router:
        router = Router(name=self.name)
        for flt in self.filters:
            router.message.filter(flt)
            router.callback_query.filter(flt)
        for event, handler, filters in self._handlers:
            getattr(router, event).register(handler, *filters)
        return router
