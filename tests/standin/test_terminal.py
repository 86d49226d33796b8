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
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from PIL import Image

from standin import SimUser, StandIn
from standin.terminal import describe_kilobytes, plain, run_terminal

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


def chart(width: int = 800, height: int = 600) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


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
        await message.answer_photo(
            BufferedInputFile(chart(), "chart.png"),
            caption="Progress",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button("Bigger", "bigger")]]),
        )

    @dp.callback_query(F.data == "bigger")
    async def bigger(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        photo = BufferedInputFile(chart(1024, 768), "bigger.png")
        await query.message.edit_media(InputMediaPhoto(media=photo, caption="Bigger"))
        await query.answer()

    @dp.message(Command("help"))
    async def bot_help(message: Message) -> None:
        await message.answer("The bot's own help")

    @dp.message(F.text == "menu")
    async def menu(message: Message) -> None:
        rows = [
            [button("Learn", "learn"), button("Work", "work")],
            [button("Earnings", "earnings"), button("Settings", "settings")],
            [button("Group \u2068Aleppo\u2069", "group")],
        ]
        await message.answer(
            "Welcome, \u2067أمينة\u2069 (\u20662/7\u2069)",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )

    @dp.callback_query(F.data == "settings")
    async def settings(query: CallbackQuery) -> None:
        await query.answer("Settings \u2068opened\u2069")

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
        "  [1] Bigger",
    ]


async def test_local_commands_help_and_mistakes(server: StandIn) -> None:
    output: list[str] = []

    async def coordinator(user: SimUser, rest: str) -> str:
        return f"coordinator for {user.first_name}: {rest}"

    await run_terminal(
        server,
        extra_commands={"/coordinator": coordinator},
        read_line=script("/sandbox-help", "/coordinator approve 7", "3", "/quit", "/start"),
        write=output.append,
    )

    help_text = output[1]
    assert "/as <name> [lang]" in help_text and "/coordinator" in help_text
    assert output[2] == "coordinator for Amina: approve 7"
    assert output[3] == "! no message with buttons to press"
    assert len(output) == 4
    assert server.user(1001).messages == []


async def test_help_is_the_bots_own_and_the_terminal_help_has_its_own_name(
    server: StandIn,
) -> None:
    output: list[str] = []

    await run_terminal(server, read_line=script("/help"), write=output.append)

    assert "/sandbox-help for help" in output[0]
    assert output[1:] == ["Rafiq: The bot's own help"]


async def test_keyboards_print_row_by_row_without_isolates(server: StandIn) -> None:
    output: list[str] = []

    await run_terminal(server, read_line=script("menu", "4"), write=output.append)

    assert output[1:] == [
        "Rafiq: Welcome, أمينة (2/7)",
        "  [1] Learn  [2] Work",
        "  [3] Earnings  [4] Settings",
        "  [5] Group Aleppo",
        "Rafiq (notice): Settings opened",
    ]


def test_plain_strips_every_isolate_and_nothing_else() -> None:
    assert plain("\u2066a\u2069 \u2067ب\u2069 \u2068c\u2069\u200f") == "a ب c\u200f"


async def test_a_photo_put_in_place_of_another_prints_its_saved_path(
    server: StandIn, tmp_path: Path
) -> None:
    output: list[str] = []

    await run_terminal(server, read_line=script("chart", "1"), write=output.append)

    photo = server.user(1001).last.photo
    assert photo is not None and photo.path is not None and photo.path.is_relative_to(tmp_path)
    assert photo.path.read_bytes() == chart(1024, 768)
    size = describe_kilobytes(photo.file_size)
    assert output[-2:] == [f"Rafiq (edited #2): [photo 1024x768, {size}: {photo.path}]", "  Bigger"]


async def test_a_name_is_the_same_user_after_a_restart(server: StandIn, tmp_path: Path) -> None:
    people = tmp_path / "people" / "sandbox-people.json"
    first: list[str] = []
    await run_terminal(
        server,
        read_line=script("/as Omar en", "/as Layla uk"),
        write=first.append,
        people_file=people,
    )
    assert "— you are Omar (id 1002, en)" in first
    assert "— you are Layla (id 1003, uk)" in first

    restarted = StandIn()  # a new sandbox: the stand-in remembers no one
    again: list[str] = []
    await run_terminal(
        restarted,
        first_user=("Amina", "ar"),
        read_line=script("/as layla", "/as Omar fa_AF", "/as Zaid"),
        write=again.append,
        people_file=people,
    )

    assert again == [
        "— you are Amina (id 1001, ar); /sandbox-help for help",
        "— you are Layla (id 1003, uk)",
        "— you are Omar (id 1002, fa_AF)",
        "— you are Zaid (id 1004, None)",
    ]
