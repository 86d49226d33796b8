"""Handlers are declared once at import; each dispatcher gets a fresh aiogram router.

aiogram attaches a Router to one parent only, and the bot builds a new dispatcher on every
(re)start, so modules declare their handlers on `Routes`, and `register_on` adds them to the one
router the dispatcher gets. One router, not one per module: aiogram walks a router tree for every
update (wrapping each router's middlewares, checking its filters) and builds some thirty event
observers for every Router it makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router
from aiogram.filters import Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.magic_filter import MagicFilter

Handler = TypeVar("Handler", bound=Callable[..., Any])


class PrefixFirst(CallbackQueryFilter):
    """aiogram's callback filter, which first compares the prefix. aiogram's unpacks the data
    and raises for every handler a press passes on its way to its own (about twenty for a work
    answer); a press with another handler's prefix is now turned away at the cost of a split."""

    async def __call__(self, query: CallbackQuery) -> Any:  # type: ignore[override]
        data = query.data if isinstance(query, CallbackQuery) else None
        kind = self.callback_data
        if not data or data.partition(kind.__separator__)[0] != kind.__prefix__:
            return False
        return await super().__call__(query)


class Magic(Filter):
    """`F...` checked on the event loop. aiogram runs a filter that is not a coroutine (a magic
    filter, a bare State) in a worker thread: a thread hop for every message it looks at."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


def on_the_loop(flt: Any) -> Any:
    """The filter as a coroutine, and a callback filter that compares prefixes first."""
    if type(flt) is CallbackQueryFilter:
        return PrefixFirst(callback_data=flt.callback_data, rule=flt.rule)
    if isinstance(flt, MagicFilter):
        return Magic(flt)
    if isinstance(flt, State):
        return StateFilter(flt)
    return flt


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

    def register_on(self, router: Router) -> None:
        """Add the handlers to `router`, in order, each with its own filters and then the
        module's (for messages and button presses): the same matches as a router of the module
        whose filters come first, with a press for another module's button turned away by its
        prefix before any role is looked at."""
        for event, handler, filters in self._handlers:
            module = self.filters if event in ("message", "callback_query") else ()
            getattr(router, event).register(handler, *map(on_the_loop, (*filters, *module)))
