"""Where in the courses the user is, so /language can show that screen again in the new language.

The course screens remember their place in the conversation's FSM data ("learn": the course
list; "course:ID": a lesson page, the quiz or the result; "practice:ID": a practice card). The
menu's buttons and every other command forget it, so a place is never older than the screen
the user last saw.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject

PLACE = "place"  # FSM data key


async def remember(state: FSMContext, place: str) -> None:
    data = await state.get_data()
    if data.get(PLACE) != place:
        await state.set_data({**data, PLACE: place})


async def forget(state: FSMContext) -> None:
    data = await state.get_data()
    if PLACE in data:
        data.pop(PLACE)
        await state.set_data(data)


def parse(place: str) -> tuple[str, str]:
    """("learn", ""), ("course", ID) or ("practice", ID)."""
    kind, _, course = place.partition(":")
    return kind, course


class ForgetPlaceOnCommand(BaseMiddleware):
    """A command other than /language leaves the course screens (it shows its own screen)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state = data.get("state")
        text = event.text if isinstance(event, Message) else None
        if state is not None and text and text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text[1:] else ""
            if command != "language":
                await forget(state)
        return await handler(event, data)
