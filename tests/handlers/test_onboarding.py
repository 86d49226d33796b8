"""/start, the language, consent: only consent stores the person."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import func, select

from bot.app import Runtime
from handlers.callbacks import Consent, PickLanguage
from people.models import User
from tests.handlers.conftest import Chatting, FakeTelegram


async def _users(runtime: Runtime) -> list[tuple[int, str, str]]:
    async with runtime.sessions() as session:
        rows = await session.execute(select(User.id, User.locale, User.role))
        return [tuple(row) for row in rows]


async def test_start_language_and_consent_store_the_person(
    chat: Chatting, telegram: FakeTelegram, handler_runtime: Runtime
) -> None:
    await chat.feed(chat.message("/start"))
    [welcome] = telegram.sent(SendMessage)
    assert "Welcome to Rafiq! Please choose your language." in welcome.text
    buttons = [b.callback_data for row in welcome.reply_markup.inline_keyboard for b in row]
    assert PickLanguage(locale="en").pack() in buttons
    assert await _users(handler_runtime) == []

    await chat.feed(chat.press(PickLanguage(locale="en").pack(), welcome.text))
    [consent] = telegram.sent(EditMessageText)
    assert consent.text.startswith("Before we start, please read what Rafiq stores and why.")
    assert await _users(handler_runtime) == []

    await chat.feed(chat.press(Consent(locale="en", accept=True).pack(), consent.text))
    assert await _users(handler_runtime) == [(7, "en", "member")]
    assert telegram.sent(EditMessageText)[-1].text == "Main menu. What would you like to do?"
    assert telegram.sent(AnswerCallbackQuery)[-1].text == "Thank you!"


async def test_declining_stores_nothing(
    chat: Chatting, telegram: FakeTelegram, handler_runtime: Runtime
) -> None:
    await chat.feed(chat.press(Consent(locale="en", accept=False).pack()))
    assert telegram.sent(EditMessageText)[-1].text == (
        "Understood. Nothing about you has been stored. Send /start if you change your mind."
    )
    assert await _users(handler_runtime) == []


async def test_the_same_update_twice_is_acted_on_once(
    chat: Chatting, telegram: FakeTelegram, handler_runtime: Runtime
) -> None:
    consent = chat.press(Consent(locale="en", accept=True).pack())
    await chat.feed(consent)
    said = len(telegram.requests)
    await chat.feed(consent)
    assert len(telegram.requests) == said
    assert len(telegram.sent(AnswerCallbackQuery)) == 1
    async with handler_runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
