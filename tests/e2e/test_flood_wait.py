"""A 429 from Telegram is waited out (the wait Telegram names), not shown to the user."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import PollingBot, Runtime
from standin.ratelimit import RateLimits
from standin.server import StandIn
from tests.e2e.conftest import TOKEN, t


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.waited: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waited.append(seconds)
        self.now += seconds


@pytest.fixture
async def strict_standin() -> AsyncIterator[tuple[StandIn, FakeTime]]:
    time = FakeTime()
    server = StandIn(rate_limits=RateLimits(per_chat_per_second=1, per_chat_burst=1), clock=time)
    await server.start()
    yield server, time
    await server.stop()


async def test_bot_waits_out_a_flood_limit_and_the_user_gets_every_message(
    runtime: Runtime, strict_standin: tuple[StandIn, FakeTime]
) -> None:
    server, time = strict_standin
    runtime.sleep = time.sleep
    polling = PollingBot(runtime, TOKEN, server.api_base, on_handled=server.handled_reporter(TOKEN))
    await polling.start()
    try:
        user = server.user(60, language_code="uk")
        events = await user.send("/start no-such-code")  # two messages at once: 1 a second allowed
    finally:
        await polling.stop()
    texts = [e.message.text for e in events if e.kind == "message"]
    assert len(texts) == 2
    assert texts[0] == t(
        "uk",
        "This invite link is not valid. Check that you opened the whole link, "
        "or ask your coordinator for a new one.",
    )
    assert t("uk", "Welcome to Rafiq! Please choose your language.") in texts[1]
    assert time.waited == [1]
    assert not any(e.kind == "callback_answer" for e in events)
