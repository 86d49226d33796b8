"""The terminal sandbox, scripted through injected read_line and write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from io import BytesIO
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from PIL import Image

from standin import SimUser, StandIn
from standin.terminal import run_terminal

TOKEN = "9001:terminal-token"
GREETING = {"ar": "مرحبا", "en": "Hello"}


class LoopbackSession(AiohttpSession):
    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def script(*lines: str) -> Callable[[], Awaitable[str | None]]:
    remaining = list(lines)

    async def read_line() -> str | None:
        return remaining.pop(0) if remaining else None

    return read_line


def chart() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (800, 600), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def build_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        language = message.from_user.language_code if message.from_user else "en"
        await message.answer(
            GREETING.get(language or "en", "Hello"),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="Next", callback_data="next"),
                        InlineKeyboardButton(text="Back", callback_data="back"),
                    ]
                ]
            ),
        )

    @dp.message(F.text == "chart")
    async def send_chart(message: Message) -> None:
        await message.answer_photo(BufferedInputFile(chart(), "chart.png"), caption="Progress")

    @dp.callback_query(F.data == "next")
    async def next_page(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Page 2")
        await query.answer("Saved", show_alert=True)

    @dp.callback_query(F.data == "back")
    async def back(query: CallbackQuery) -> None:
        await query.answer()

    return dp


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[StandIn]:
    stand_in = StandIn(files_dir=tmp_path)
    await stand_in.start()
    bot = Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(stand_in.api_base)))
    dp = build_dispatcher()
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_as_tasks=False, handle_signals=False)
    )
    yield stand_in
    await dp.stop_polling()
    await polling
    await stand_in.stop()


async def test_buttons_are_numbered_and_a_number_presses_one(server: StandIn) -> None:
    output: list[str] = []

    await run_terminal(server, read_line=script("/start", "1", "/quit"), write=output.append)

    assert output[1:] == [
        "Rafiq: مرحبا",
        "  [1] Next  [2] Back",
        "Rafiq (edited #2): Page 2",
        "Rafiq (popup): Saved",
    ]
    assert server.user(1001).first_name == "Amina"
    assert server.user(1001).language_code == "ar"


async def test_as_switches_between_users_and_creates_new_ones(server: StandIn) -> None:
    output: list[str] = []

    await run_terminal(
        server,
        read_line=script("/as Omar en", "/start", "/as Amina ar", "/start"),
        write=output.append,
    )

    assert "— you are Omar (id 1002, en)" in output
    assert "Rafiq: Hello" in output
    assert output[-2:] == ["Rafiq: مرحبا", "  [1] Next  [2] Back"]
    assert [m.text for m in server.user(1002).messages] == ["Hello"]
    assert [m.text for m in server.user(1001).messages] == ["مرحبا"]


async def test_photos_show_size_and_path_under_files_dir(server: StandIn, tmp_path: Path) -> None:
    output: list[str] = []

    await run_terminal(server, read_line=script("chart"), write=output.append)

    photo = server.user(1001).last.photo
    assert photo is not None and photo.path is not None and photo.path.is_relative_to(tmp_path)
    kilobytes = round(photo.file_size / 1024)
    assert output[1:] == [
        f"Rafiq: [photo 800x600, {max(1, kilobytes)} KB: {photo.path}]",
        "  Progress",
    ]


async def test_local_commands_help_and_mistakes(server: StandIn) -> None:
    output: list[str] = []

    async def coordinator(user: SimUser, rest: str) -> str:
        return f"coordinator for {user.first_name}: {rest}"

    await run_terminal(
        server,
        extra_commands={"/coordinator": coordinator},
        read_line=script("/help", "/coordinator approve 7", "3", "/quit", "/start"),
        write=output.append,
    )

    help_text = output[1]
    assert "/as <name> <lang>" in help_text and "/coordinator" in help_text
    assert output[2] == "coordinator for Amina: approve 7"
    assert output[3] == "! no message with buttons to press"
    assert len(output) == 4
    assert server.user(1001).messages == []
