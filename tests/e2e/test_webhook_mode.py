"""Webhook mode: the stand-in pushes updates with the secret header; a wrong secret is refused;
an update is stored, answered 200, then handled from the inbox."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import WEBHOOK_PATH, Runtime, run_webhook
from bot.settings import load_settings
from people.models import User
from standin.server import StandIn
from tests.e2e.conftest import TOKEN, t


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_stores_answers_then_handles_and_checks_the_secret(
    standin: StandIn, database_url: str
) -> None:
    port = _free_port()
    settings = load_settings(
        _env_file=None,
        database_url=database_url,
        bot_token=TOKEN,
        telegram_api_base=standin.api_base,
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret="s3cret_for-tests",
        webhook_port=port,
    )
    runtime = Runtime.create(settings)
    ready = asyncio.Event()
    server = asyncio.create_task(
        run_webhook(runtime, ready, on_handled=standin.handled_reporter(TOKEN))
    )
    try:
        await asyncio.wait_for(ready.wait(), timeout=10)
        user = standin.user(50, language_code="uk")
        await user.send("/start")  # returns once the bot reports it handled
        assert t("uk", "Welcome to Rafiq! Please choose your language.") in user.last.text
        await user.press("Українська")
        await user.press(t("uk", "✅ I agree"))
        assert user.last.text == t("uk", "Main menu. What would you like to do?")

        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 51, "type": "private"},
                "from": {"id": 51, "is_bot": False, "first_name": "X"},
                "text": "/start",
            },
        }
        async with aiohttp.ClientSession() as http:
            for secret in (None, "wrong"):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                async with http.post(
                    f"http://127.0.0.1:{port}{WEBHOOK_PATH}", json=forged, headers=headers
                ) as response:
                    assert response.status == 401
        async with runtime.sessions() as session:
            users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
        assert users == 1
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        await runtime.close()


def test_webhook_mode_refuses_to_start_without_a_secret() -> None:
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET"):
        load_settings(_env_file=None, bot_token=TOKEN, webhook_url="https://example.org")
