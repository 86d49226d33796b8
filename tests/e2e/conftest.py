"""The real bot, long polling over real HTTP against the Telegram stand-in on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.app import PollingBot, Runtime
from core.i18n import gettext, use_locale
from standin.client import SimUser
from standin.server import StandIn

TOKEN = "1000000001:test-token-for-the-local-stand-in-only"


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    server = StandIn(rate_limits=None)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def polling(runtime: Runtime, standin: StandIn) -> AsyncIterator[PollingBot]:
    bot = PollingBot(
        runtime, TOKEN, standin.api_base, on_handled=standin.handled_reporter(TOKEN)
    )
    await bot.start()
    yield bot
    await bot.stop()


def t(locale: str, message: str) -> str:
    """What the bot says for `message` in `locale` (the catalog's translation)."""
    with use_locale(locale):
        return gettext(message)


TELEGRAM_CODES = {"ar": "ar", "fa_AF": "fa-AF", "uk": "uk", "en": "en"}
LANGUAGE_BUTTONS = {"ar": "العربية", "fa_AF": "دری", "uk": "Українська", "en": "English"}


Onboard = Callable[..., Awaitable[SimUser]]


@pytest.fixture
def onboard(standin: StandIn, polling: PollingBot) -> Onboard:
    """A user who sends /start (with an optional invite code), picks a language and agrees."""

    async def _onboard(
        user_id: int, locale: str = "en", code: str | None = None, name: str = "Test"
    ) -> SimUser:
        user = standin.user(user_id, first_name=name, language_code=TELEGRAM_CODES[locale])
        await user.send(f"/start {code}" if code else "/start")
        await user.press(LANGUAGE_BUTTONS[locale])
        await user.press(t(locale, "✅ I agree"))
        return user

    return _onboard
