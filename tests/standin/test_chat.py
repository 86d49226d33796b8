"""Simulated users chatting with a real aiogram Dispatcher that long-polls the stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from io import BytesIO

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from PIL import Image

from standin import StandIn, UpdateDropped, UpdateNotHandled

TOKEN = "42:sandbox-token"


class LoopbackSession(AiohttpSession):
    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def png(width: int, height: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def pager() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Next", callback_data="next"),
                InlineKeyboardButton(text="Back", callback_data="back"),
            ],
            [InlineKeyboardButton(text="Site", url="https://example.org")],
        ]
    )


def build_dispatcher(bot: Bot) -> Dispatcher:
    dp = Dispatcher()
    greetings = {"ar": "أهلاً", "en": "Welcome"}

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        language = message.from_user.language_code if message.from_user else None
        await message.answer(greetings.get(language or "", "Welcome"), reply_markup=pager())

    @dp.message(Command("later"))
    async def later(message: Message) -> None:
        chat_id = message.chat.id

        async def remind() -> None:
            await asyncio.sleep(0.01)
            await bot.send_message(chat_id, "Reminder: your task is due")

        asyncio.get_running_loop().create_task(remind())
        await message.answer("I will remind you")

    @dp.message(Command("entities"))
    async def entities(message: Message) -> None:
        await message.answer(",".join(e.type for e in message.entities or []))

    @dp.message(F.photo)
    async def photo(message: Message) -> None:
        assert message.photo is not None
        size = message.photo[-1]
        downloaded = await bot.download(size.file_id)
        length = len(downloaded.read()) if downloaded else 0
        await message.answer(f"{size.width}x{size.height} {length} bytes {message.caption}")

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await bot.send_chat_action(message.chat.id, "typing")
        await message.answer(f"echo: {message.text}")

    @dp.callback_query(F.data == "next")
    async def next_page(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Page 2", reply_markup=pager())
        await query.answer("Moved on")

    @dp.callback_query(F.data == "back")
    async def back(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.delete()

    @dp.callback_query()
    async def unknown(query: CallbackQuery) -> None:
        await query.answer("That button is not valid", show_alert=True)

    return dp


@pytest.fixture
async def server() -> AsyncIterator[StandIn]:
    stand_in = StandIn()
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def polling(server: StandIn) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(server.api_base)))
    dp = build_dispatcher(bot)
    task = asyncio.create_task(dp.start_polling(bot, handle_as_tasks=False, handle_signals=False))
    yield bot
    await dp.stop_polling()
    await task


@pytest.mark.usefixtures("polling")
async def test_send_returns_what_the_bot_did_for_that_message(server: StandIn) -> None:
    user = server.user(1001, "Amina", "ar")

    events = await user.send("hello")

    assert [(e.kind, e.action) for e in events] == [("chat_action", "typing"), ("message", None)]
    reply = events[-1].message
    assert reply is not None and reply.text == "echo: hello"
    assert user.last == reply


@pytest.mark.usefixtures("polling")
async def test_a_leading_command_carries_a_bot_command_entity(server: StandIn) -> None:
    user = server.user(1001)

    await user.send("/entities please")

    assert user.last.text == "bot_command"


@pytest.mark.usefixtures("polling")
async def test_each_user_gets_replies_in_their_own_chat_and_language(server: StandIn) -> None:
    amina = server.user(1001, "Amina", "ar")
    omar = server.user(1002, "Omar", "en")

    await amina.send("/start")
    await omar.send("/start")

    assert [m.text for m in amina.messages] == ["أهلاً"]
    assert [m.text for m in omar.messages] == ["Welcome"]
    assert server.user(1001) is amina


@pytest.mark.usefixtures("polling")
async def test_concurrent_users_each_get_only_their_own_events(server: StandIn) -> None:
    users = [server.user(2000 + n, f"User{n}") for n in range(5)]

    results = await asyncio.gather(*(u.send(f"hi from {u.first_name}") for u in users))

    for user, events in zip(users, results, strict=True):
        texts = [e.message.text for e in events if e.message]
        assert texts == [f"echo: hi from {user.first_name}"]


@pytest.mark.usefixtures("polling")
async def test_press_returns_the_edit_and_the_callback_answer(server: StandIn) -> None:
    user = server.user(1001, "Omar", "en")
    await user.send("/start")
    assert user.last.labels == ["Next", "Back", "Site"]

    events = await user.press("Next")

    assert [e.kind for e in events] == ["edit", "callback_answer"]
    assert events[1].text == "Moved on" and not events[1].show_alert
    assert (user.last.text, user.last.edited) == ("Page 2", True)
    assert server.unanswered_callback_queries() == []


@pytest.mark.usefixtures("polling")
async def test_pressing_a_button_that_deletes_its_message(server: StandIn) -> None:
    user = server.user(1001)
    await user.send("/start")
    message_id = user.last.message_id

    events = await user.press("Back")

    assert [(e.kind, e.message_id) for e in events] == [("delete", message_id)]
    assert user.messages == []
    assert [q.data for q in server.unanswered_callback_queries()] == ["back"]


@pytest.mark.usefixtures("polling")
async def test_press_with_a_missing_label_lists_the_labels_present(server: StandIn) -> None:
    user = server.user(1001)
    await user.send("/start")

    with pytest.raises(LookupError) as error:
        await user.press("Nxt")

    assert "'Next', 'Back', 'Site'" in str(error.value)
    with pytest.raises(LookupError, match=r"opens 'https://example\.org'"):
        await user.press("Site")


@pytest.mark.usefixtures("polling")
async def test_press_on_an_older_message_by_id(server: StandIn) -> None:
    user = server.user(1001)
    await user.send("/start")
    first = user.last.message_id
    await user.send("/start")

    await user.press("Next", message_id=first)

    assert [(m.message_id, m.text) for m in user.messages] == [
        (first, "Page 2"),
        (user.last.message_id, "Welcome"),
    ]


@pytest.mark.usefixtures("polling")
async def test_forged_callback_data_reaches_the_bot(server: StandIn) -> None:
    user = server.user(1001)
    await user.send("/start")

    events = await user.press_data(b"\xff admin=1", user.last.message_id)

    assert [(e.kind, e.text, e.show_alert) for e in events] == [
        ("callback_answer", "That button is not valid", True)
    ]


@pytest.mark.usefixtures("polling")
async def test_wait_for_a_message_the_bot_sends_on_its_own(server: StandIn) -> None:
    user = server.user(1001)

    events = await user.send("/later")
    reminder = await user.wait_for(lambda m: (m.text or "").startswith("Reminder"), timeout=2)

    assert [e.message.text for e in events if e.message] == ["I will remind you"]
    assert reminder.text == "Reminder: your task is due"


@pytest.mark.usefixtures("polling")
async def test_wait_for_gives_up_with_a_clear_error(server: StandIn) -> None:
    user = server.user(1001)
    await user.send("hi")

    with pytest.raises(TimeoutError, match=r"no bot message .* matched within 0\.05 s"):
        await user.wait_for(lambda m: m.text == "never", timeout=0.05)


@pytest.mark.usefixtures("polling")
async def test_a_photo_from_the_user_reaches_the_bot(server: StandIn) -> None:
    user = server.user(1001)
    data = png(64, 48)

    await user.send_photo(data, caption="my homework")

    assert user.last.text == f"64x48 {len(data)} bytes my homework"


async def test_an_update_the_bot_never_confirms_times_out_naming_it(server: StandIn) -> None:
    bot = Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(server.api_base)))
    await bot.get_me()
    user = server.user(1001)
    user.timeout = 0.1

    with pytest.raises(UpdateNotHandled, match=r"update 1 \(message 'hello'.*getUpdates"):
        await user.send("hello")
    await bot.session.close()


async def test_callbacks_a_bot_did_not_ask_for_are_reported(server: StandIn) -> None:
    bot = Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(server.api_base)))
    dp = Dispatcher()

    @dp.message()
    async def reply(message: Message) -> None:
        await message.answer("pick", reply_markup=pager())

    task = asyncio.create_task(dp.start_polling(bot, handle_as_tasks=False, handle_signals=False))
    user = server.user(1001)
    await user.send("hi")

    with pytest.raises(UpdateDropped, match="allowed_updates"):
        await user.press("Next")
    await dp.stop_polling()
    await task


async def test_photo_messages_from_the_bot_are_visible(server: StandIn, polling: Bot) -> None:
    user = server.user(1001)
    await user.send("hi")

    await polling.send_photo(1001, BufferedInputFile(png(30, 20), "p.png"), caption="chart")

    shown = user.last
    assert shown.photo is not None and (shown.photo.width, shown.photo.height) == (30, 20)
    assert shown.caption == "chart" and shown.text is None
