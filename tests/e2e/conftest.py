"""The real bot, long polling over real HTTP against the Telegram stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.app import WEBHOOK_PATH, PollingBot, Runtime, run_webhook
from bot.settings import load_settings
from core.i18n import gettext, use_locale
from courses.library import CourseLibrary
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
    bot = PollingBot(runtime, TOKEN, standin.api_base, on_handled=standin.handled_reporter(TOKEN))
    await bot.start()
    yield bot
    await bot.stop()


@dataclass(frozen=True)
class WebhookBot:
    runtime: Runtime
    endpoint: str  # where the stand-in posts updates


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def webhook(
    standin: StandIn, database_url: str, library: CourseLibrary
) -> AsyncIterator[WebhookBot]:
    """The real bot in webhook mode on a free local port, the stand-in pushing to it."""
    port = _free_port()
    settings = load_settings(
        _env_file=None,
        database_url=database_url,
        bot_token=TOKEN,
        admin_ids="900",
        telegram_api_base=standin.api_base,
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret="s3cret_for-tests",
        webhook_port=port,
    )
    runtime = Runtime.create(settings, library=library)
    ready = asyncio.Event()
    server = asyncio.create_task(
        run_webhook(runtime, ready, on_handled=standin.handled_reporter(TOKEN))
    )
    try:
        await asyncio.wait_for(ready.wait(), timeout=10)
        yield WebhookBot(runtime, f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        await runtime.close()


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
