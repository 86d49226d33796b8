"""Webhook mode: the stand-in pushes updates with the secret header; a wrong secret is refused;
an update is stored, answered 200, then handled from the inbox."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.settings import load_settings
from people.models import User
from standin.server import StandIn
from tests.e2e.conftest import TOKEN, WebhookBot, t


async def test_webhook_stores_answers_then_handles_and_checks_the_secret(
    standin: StandIn, webhook: WebhookBot
) -> None:
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
        for secret in (None, "wrong", ""):
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
            async with http.post(webhook.endpoint, json=forged, headers=headers) as response:
                assert response.status == 401
    async with webhook.runtime.sessions() as session:
        users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    assert users == 1


def test_webhook_mode_refuses_to_start_without_a_secret() -> None:
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET"):
        load_settings(_env_file=None, bot_token=TOKEN, webhook_url="https://example.org")
