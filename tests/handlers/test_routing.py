"""How the routers check updates: on the event loop, and cheaply for other handlers' buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, User

from handlers import build_router
from handlers.callbacks import MenuAction, WorkAnswer
from handlers.routing import PrefixFirst


def _filters(router: Router) -> list[tuple[str, object]]:
    found = []
    for observer in (router.message, router.callback_query, router.my_chat_member):
        found += [(router.name, f) for f in observer._handler.filters or []]
        for handler in observer.handlers:
            found += [(handler.callback.__name__, f) for f in handler.filters or []]
    for child in router.sub_routers:
        found += _filters(child)
    return found


def test_every_filter_is_a_coroutine_so_none_runs_in_a_thread() -> None:
    # aiogram sends a filter that is not a coroutine (F..., a bare State) to a worker thread.
    sync = [(where, f.callback) for where, f in _filters(build_router()) if not f.awaitable]
    assert sync == []


def _press(data: str) -> CallbackQuery:
    user = User(id=1, is_bot=False, first_name="A")
    return CallbackQuery(id="1", from_user=user, chat_instance="1", data=data)


async def test_a_press_is_unpacked_by_its_own_filter_and_refused_by_the_others() -> None:
    own = PrefixFirst(callback_data=WorkAnswer)
    other = PrefixFirst(callback_data=MenuAction)
    data = WorkAnswer(a=7, i=2).pack()
    assert await own(_press(data)) == {"callback_data": WorkAnswer(a=7, i=2)}
    assert await other(_press(data)) is False
    # Same prefix, wrong shape: refused as aiogram's own filter refuses it.
    assert await own(_press(WorkAnswer.__prefix__ + ":7")) is False
    assert await own(_press("")) is False
