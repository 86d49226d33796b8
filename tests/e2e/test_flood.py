"""Flood limit: a user who sends too much is told once and ignored for a while; others are not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from unittest.mock import AsyncMock

import pytest
from aiogram.types import Update, User
from sqlalchemy import select

from bot import inbox
from bot.app import Runtime
from bot.flood import FloodLimit
from bot.settings import load_settings
from core.clock import ManualClock
from courses.library import CourseLibrary
from standin.server import StandIn
from tests.e2e.conftest import Onboard, t

LIMIT, WINDOW, PAUSE = 5, 10, 60
NOTICE = (
    "You are sending messages very quickly, so I am pausing for a little while. "
    "Please wait a moment, then carry on."
)
HELP = "Rafiq helps you learn data-annotation work and do paid tasks from your phone."


@pytest.fixture  # overrides tests/conftest.py's: a small limit to reach
async def runtime(
    database_url: str, clock: ManualClock, library: CourseLibrary
) -> AsyncIterator[Runtime]:
    settings = load_settings(
        database_url=database_url,
        admin_ids="900",
        flood_limit=LIMIT,
        flood_window_seconds=WINDOW,
        flood_pause_seconds=PAUSE,
        _env_file=None,
    )
    rt = Runtime.create(settings, clock=clock, library=library)
    yield rt
    await rt.close()


def _texts(events: list) -> list[str]:
    return [e.message.text for e in events if e.kind == "message"]


async def test_a_flooding_user_is_told_once_ignored_then_answered_again(
    standin: StandIn, onboard: Onboard, runtime: Runtime, clock: ManualClock
) -> None:
    flooder = await onboard(30, "uk", name="Olena")
    other = await onboard(31, "en", name="Omar")
    clock.advance(timedelta(seconds=WINDOW))  # onboarding's updates leave the window

    for _ in range(LIMIT):
        assert _texts(await flooder.send("/help"))[0].startswith(t("uk", HELP))
    assert _texts(await flooder.send("/help")) == [t("uk", NOTICE)]
    assert _texts(await flooder.send("/help")) == []
    pressed = await flooder.press(t("uk", "🏠 Menu"))  # a button is answered, silently
    assert [(e.kind, e.text) for e in pressed] == [("callback_answer", None)]
    assert standin.unanswered_callback_queries() == []

    assert _texts(await other.send("/help"))[0].startswith(HELP)  # nobody else slows down

    clock.advance(timedelta(seconds=PAUSE - 1))
    assert _texts(await flooder.send("/help")) == []
    clock.advance(timedelta(seconds=1))
    assert _texts(await flooder.send("/help"))[0].startswith(t("uk", HELP))

    notices = [m for m in flooder.messages if m.text == t("uk", NOTICE)]
    assert len(notices) == 1
    async with runtime.sessions() as session:
        statuses = (await session.execute(select(inbox.InboxUpdate.status))).scalars().all()
    assert set(statuses) == {inbox.DONE}  # ignored updates are settled, never taken up again


async def test_flooding_again_after_the_pause_brings_one_more_notice(
    onboard: Onboard, clock: ManualClock
) -> None:
    flooder = await onboard(32, "en")
    for round_ in range(2):
        clock.advance(timedelta(seconds=PAUSE + WINDOW))
        said = [_texts(await flooder.send("/help")) for _ in range(LIMIT + 3)]
        assert [len(texts) for texts in said[:LIMIT]] == [1] * LIMIT, round_
        assert said[LIMIT:] == [[NOTICE], [], []], round_


async def test_counters_of_quiet_users_are_dropped(clock: ManualClock) -> None:
    """Memory follows the recently active users: a quiet user's counter goes, a paused one's
    stays until the pause ends, and a hard cap holds whatever happens."""
    limit = FloodLimit(clock, limit=2, window=WINDOW, pause=PAUSE, max_tracked=500)
    handled: list[int] = []

    async def handler(event: Update, data: dict) -> None:
        handled.append(data["event_from_user"].id)

    async def send(user_id: int) -> None:
        user = User(id=user_id, is_bot=False, first_name="x")
        bot = AsyncMock()
        await limit(handler, Update(update_id=1), {"event_from_user": user, "bot": bot})

    for _ in range(3):
        await send(1)  # the third pauses user 1
    for user_id in range(100, 400):
        await send(user_id)
    assert limit.tracked == 301
    clock.advance(timedelta(seconds=WINDOW + 1))
    await send(2)
    assert limit.tracked == 302  # user 1 is paused and first in line: nothing goes yet
    clock.advance(timedelta(seconds=PAUSE))
    await send(3)
    assert limit.tracked == 1
    for user_id in range(1000, 2000):
        await send(user_id)
    assert limit.tracked == 500
    assert handled.count(1) == 2
