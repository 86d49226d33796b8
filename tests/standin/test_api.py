"""The stand-in's Bot API surface, driven by aiogram's Bot and by raw HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
)
from PIL import Image

from standin import RateLimits, StandIn

TOKEN = "123456:ABC-def_ghi"
USER_ID = 1001


class LoopbackSession(AiohttpSession):
    """aiogram's session without the 250 ms pause it takes for closing TLS connections."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(server: StandIn, token: str = TOKEN) -> Bot:
    return Bot(token, session=LoopbackSession(api=TelegramAPIServer.from_base(server.api_base)))


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[StandIn]:
    stand_in = StandIn(files_dir=tmp_path / "files")
    await stand_in.start()
    stand_in.user(USER_ID, "Amina", "ar")
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def bot(server: StandIn) -> AsyncIterator[Bot]:
    client = make_bot(server)
    yield client
    await client.session.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def raw_call(
    http: aiohttp.ClientSession, server: StandIn, method: str, token: str = TOKEN, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{server.api_base}/bot{token}/{method}", **kwargs) as response:
        return response.status, await response.json()


async def test_get_me_reports_the_bot_of_the_token(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.first_name, me.username) == (
        123456,
        True,
        "Rafiq",
        "rafiq_sandbox_bot",
    )


async def test_malformed_token_is_unauthorized(
    server: StandIn, http: aiohttp.ClientSession
) -> None:
    status, body = await raw_call(http, server, "getMe", token="not-a-token")

    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_method_names_are_case_insensitive_and_unknown_ones_are_404(
    server: StandIn, http: aiohttp.ClientSession
) -> None:
    status, body = await raw_call(http, server, "GETME")
    assert status == 200
    assert body["result"]["id"] == 123456

    status, body = await raw_call(http, server, "sendTelepathy")
    assert status == 404
    assert body == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }


async def test_json_urlencoded_and_query_bodies_are_all_understood(
    server: StandIn, http: aiohttp.ClientSession
) -> None:
    await raw_call(http, server, "sendMessage", json={"chat_id": USER_ID, "text": "from json"})
    await raw_call(http, server, "sendMessage", data={"chat_id": str(USER_ID), "text": "form"})
    await raw_call(http, server, "sendMessage", params={"chat_id": USER_ID, "text": "query"})

    assert [m.text for m in server.user(USER_ID).messages] == ["from json", "form", "query"]
    assert [name for name, _ in server.calls] == ["sendMessage"] * 3


async def test_get_updates_keeps_updates_until_an_offset_confirms_them(
    server: StandIn, http: aiohttp.ClientSession
) -> None:
    user = server.user(USER_ID)
    await raw_call(http, server, "getMe")
    sending = asyncio.create_task(user.send("hello"))

    _, first = await raw_call(http, server, "getUpdates", json={"timeout": 5})
    _, again = await raw_call(http, server, "getUpdates")
    assert [u["message"]["text"] for u in first["result"]] == ["hello"]
    assert again["result"] == first["result"]
    assert not sending.done()

    update_id = first["result"][0]["update_id"]
    _, same = await raw_call(http, server, "getUpdates", json={"offset": update_id})
    assert [u["update_id"] for u in same["result"]] == [update_id]
    assert not sending.done()
    _, after = await raw_call(http, server, "getUpdates", json={"offset": update_id + 1})

    assert after["result"] == []
    assert await sending == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    server: StandIn, http: aiohttp.ClientSession
) -> None:
    await raw_call(http, server, "getMe")
    loop = asyncio.get_running_loop()
    started = loop.time()
    polling = asyncio.create_task(raw_call(http, server, "getUpdates", json={"timeout": 30}))
    await asyncio.sleep(0.05)
    assert not polling.done()

    sending = asyncio.create_task(server.user(USER_ID).send("/start"))
    _, body = await polling

    assert loop.time() - started < 2
    [update] = body["result"]
    assert update["message"]["text"] == "/start"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert update["message"]["from"]["language_code"] == "ar"
    sending.cancel()


async def test_a_second_long_poll_terminates_the_first_with_conflict(
    server: StandIn, http: aiohttp.ClientSession
) -> None:
    first = asyncio.create_task(raw_call(http, server, "getUpdates", json={"timeout": 30}))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(raw_call(http, server, "getUpdates", json={"timeout": 30}))

    status, body = await first
    second.cancel()

    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_message_text_limits(bot: Bot, server: StandIn) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(USER_ID, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(USER_ID, "   ")

    longest = await bot.send_message(USER_ID, "x" * 4096)
    html = await bot.send_message(USER_ID, "<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")

    assert len(longest.text or "") == 4096
    assert html.text == "<" * 4096
    assert html.entities is not None and html.entities[0].type == "bold"
    assert html.html_text.startswith("<b>&lt;")
    shown = server.user(USER_ID).last
    assert (shown.text, shown.html) == ("<" * 4096, "<b>" + "&lt;" * 4096 + "</b>")


async def test_emoji_count_twice_towards_the_length_like_telegram(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER_ID, "🙂" * 2049)


async def test_broken_html_is_refused(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER_ID, "<b>bold</i>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "div"'):
        await bot.send_message(USER_ID, "<div>x</div>", parse_mode="HTML")


async def test_caption_limit(bot: Bot) -> None:
    photo = BufferedInputFile(png(40, 30), "p.png")

    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_photo(USER_ID, photo, caption="c" * 1025)
    sent = await bot.send_photo(USER_ID, photo, caption="c" * 1024)

    assert sent.caption == "c" * 1024


async def test_callback_data_is_limited_to_64_bytes(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(USER_ID, "pick", reply_markup=keyboard([("Go", "d" * 65)]))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER_ID, "pick", reply_markup=keyboard([("Go", "ب" * 33)]))

    sent = await bot.send_message(USER_ID, "pick", reply_markup=keyboard([("Go", "d" * 64)]))
    assert sent.reply_markup is not None


async def test_keyboard_size_limits(bot: Bot, server: StandIn) -> None:
    hundred_and_one = [[("b", f"{r}:{c}") for c in range(1)] for r in range(101)]
    with pytest.raises(TelegramBadRequest, match="Bad Request: too many buttons"):
        await bot.send_message(USER_ID, "pick", reply_markup=keyboard(*hundred_and_one))
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTONS_TOO_MUCH"):
        await bot.send_message(
            USER_ID, "pick", reply_markup=keyboard([(str(i), str(i)) for i in range(9)])
        )

    await bot.send_message(
        USER_ID, "pick", reply_markup=keyboard(*[[(str(i), str(i))] * 8 for i in range(12)])
    )
    assert len(server.user(USER_ID).last.labels) == 96


async def test_edit_to_the_same_content_is_not_modified(bot: Bot, server: StandIn) -> None:
    markup = keyboard([("Next", "next")])
    sent = await bot.send_message(USER_ID, "<b>Page 1</b>", parse_mode="HTML", reply_markup=markup)

    with pytest.raises(TelegramBadRequest) as error:
        await bot.edit_message_text(
            "<b>Page 1</b>",
            chat_id=USER_ID,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    assert error.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup"
        " are exactly the same as a current content and reply markup of the message"
    )

    await bot.edit_message_text("Page 1", chat_id=USER_ID, message_id=sent.message_id)
    shown = server.user(USER_ID).last
    assert (shown.text, shown.buttons, shown.edited) == ("Page 1", [], True)


async def test_edits_and_deletes_of_missing_or_wrong_messages(bot: Bot, server: StandIn) -> None:
    photo = await bot.send_photo(USER_ID, BufferedInputFile(png(40, 30), "p.png"))
    text = await bot.send_message(USER_ID, "hello")

    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("new", chat_id=USER_ID, message_id=photo.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("new", chat_id=USER_ID, message_id=999)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await bot.delete_message(USER_ID, 999)

    assert await bot.delete_message(USER_ID, text.message_id)
    assert [m.message_id for m in server.user(USER_ID).messages] == [photo.message_id]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER_ID, text.message_id)


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(424242, "anyone?")


async def test_photo_upload_file_id_reuse_and_download(
    bot: Bot, server: StandIn, tmp_path: Path
) -> None:
    data = png(800, 600)

    first = await bot.send_photo(USER_ID, BufferedInputFile(data, "chart.png"), caption="A")
    size = first.photo[-1] if first.photo else None
    assert size is not None and (size.width, size.height, size.file_size) == (800, 600, len(data))
    stored = len(server.stored_files())

    second = await bot.send_photo(USER_ID, size.file_id, caption="B")
    assert second.photo is not None and second.photo[-1].file_unique_id == size.file_unique_id
    assert len(server.stored_files()) == stored

    file = await bot.get_file(size.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == data

    shown = server.user(USER_ID).last.photo
    assert shown is not None and shown.path is not None
    assert shown.path.is_relative_to(tmp_path) and shown.path.read_bytes() == data


async def test_documents_are_stored_and_editable_into_photos(bot: Bot, server: StandIn) -> None:
    document = await bot.send_document(USER_ID, BufferedInputFile(b"a,b\n1,2\n", "data.csv"))
    assert document.document is not None
    assert (document.document.file_name, document.document.mime_type) == ("data.csv", "text/csv")

    await bot.edit_message_media(
        InputMediaPhoto(media=BufferedInputFile(png(20, 10), "p.png"), caption="now a photo"),
        chat_id=USER_ID,
        message_id=document.message_id,
    )

    shown = server.user(USER_ID).last
    assert shown.photo is not None and (shown.photo.width, shown.photo.height) == (20, 10)
    assert (shown.document, shown.caption, shown.edited) == (None, "now a photo", True)


async def test_bad_photos_are_refused(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="failed to get HTTP URL content"):
        await bot.send_photo(USER_ID, "https://example.com/cat.jpg")
    with pytest.raises(
        TelegramBadRequest, match="Bad Request: wrong file identifier/HTTP URL specified"
    ):
        await bot.send_photo(USER_ID, "AgACnot-a-real-file-id")
    with pytest.raises(TelegramBadRequest, match="Bad Request: PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(USER_ID, BufferedInputFile(png(9000, 1001, "1"), "big.png"))
    with pytest.raises(TelegramBadRequest, match="Bad Request: IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER_ID, BufferedInputFile(b"not an image", "x.jpg"))


async def test_flood_control_uses_the_injected_clock() -> None:
    now = [100.0]
    server = StandIn(clock=lambda: now[0])
    await server.start()
    server.user(USER_ID)
    bot = make_bot(server)
    try:
        for number in range(20):
            await bot.send_message(USER_ID, f"burst {number}")
        with pytest.raises(TelegramRetryAfter) as error:
            await bot.send_message(USER_ID, "one too many")
        assert error.value.retry_after == 1
        assert "Too Many Requests: retry after 1" in error.value.message

        now[0] += 1.0
        await bot.send_message(USER_ID, "after a second")
        assert server.user(USER_ID).last.text == "after a second"
    finally:
        await bot.session.close()
        await server.stop()


async def test_retry_after_reports_the_real_wait(http: aiohttp.ClientSession) -> None:
    now = [0.0]
    server = StandIn(RateLimits(per_chat_per_second=0.25, per_chat_burst=1), clock=lambda: now[0])
    await server.start()
    server.user(USER_ID)
    message = {"json": {"chat_id": USER_ID, "text": "hi"}}
    try:
        assert (await raw_call(http, server, "sendMessage", **message))[0] == 200
        status, body = await raw_call(http, server, "sendMessage", **message)
        assert (status, body) == (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 4",
                "parameters": {"retry_after": 4},
            },
        )
        now[0] = 3.5
        assert (await raw_call(http, server, "sendMessage", **message))[1]["parameters"] == {
            "retry_after": 1
        }
        now[0] = 4.0
        assert (await raw_call(http, server, "sendMessage", **message))[0] == 200
    finally:
        await server.stop()


async def test_global_limit_spans_chats(http: aiohttp.ClientSession) -> None:
    server = StandIn(clock=lambda: 0.0)
    await server.start()
    try:
        for chat_id in range(1, 32):
            server.user(chat_id)
        statuses = [
            (await raw_call(http, server, "sendMessage", json={"chat_id": c, "text": "x"}))[0]
            for c in range(1, 32)
        ]
        assert statuses == [200] * 30 + [429]
    finally:
        await server.stop()


async def test_blocked_user(bot: Bot, server: StandIn) -> None:
    server.block(USER_ID)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(USER_ID, "are you there?")

    server.unblock(USER_ID)
    await bot.send_message(USER_ID, "welcome back")
    assert [m.text for m in server.user(USER_ID).messages] == ["welcome back"]


async def test_fail_next_answers_the_injected_error(bot: Bot, server: StandIn) -> None:
    server.fail_next("sendMessage", count=2)

    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.send_message(USER_ID, "lost")
    await bot.send_message(USER_ID, "delivered")

    assert [m.text for m in server.user(USER_ID).messages] == ["delivered"]
    assert [name for name, _ in server.calls].count("sendMessage") == 3


async def test_latency_delays_every_call(bot: Bot, server: StandIn) -> None:
    server.latency = 0.1
    loop = asyncio.get_running_loop()
    started = loop.time()

    await bot.get_me()

    assert loop.time() - started >= 0.1


async def test_answer_callback_query_rejects_unknown_ids(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout"):
        await bot.answer_callback_query("12345")


async def test_commands_are_stored_per_scope_and_language(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Begin")])
    await bot.set_my_commands([BotCommand(command="start", description="ابدأ")], language_code="ar")

    assert [c.description for c in await bot.get_my_commands()] == ["Begin"]
    assert [c.description for c in await bot.get_my_commands(language_code="ar")] == ["ابدأ"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])

    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []


async def test_edits_count_against_the_chat_limit_and_a_refused_edit_changes_nothing() -> None:
    now = [0.0]
    server = StandIn(RateLimits(per_chat_per_second=1, per_chat_burst=2), clock=lambda: now[0])
    await server.start()
    server.user(USER_ID)
    bot = make_bot(server)
    try:
        sent = await bot.send_message(USER_ID, "page 1")
        await bot.edit_message_text("page 2", chat_id=USER_ID, message_id=sent.message_id)
        with pytest.raises(TelegramRetryAfter):
            await bot.edit_message_text("page 3", chat_id=USER_ID, message_id=sent.message_id)
        assert server.user(USER_ID).last.text == "page 2"
        now[0] += 1.0
        await bot.edit_message_text("page 3", chat_id=USER_ID, message_id=sent.message_id)
        assert server.user(USER_ID).last.text == "page 3"
    finally:
        await bot.session.close()
        await server.stop()


async def test_a_callback_query_answered_too_late_is_refused(http: aiohttp.ClientSession) -> None:
    now = [0.0]
    server = StandIn(rate_limits=None, clock=lambda: now[0], callback_answer_seconds=15)
    await server.start()
    try:
        bot_state = server._bot_for(TOKEN)
        server.user(USER_ID)
        late = server.register_callback_query(bot_state, USER_ID, 1, "x")
        in_time = server.register_callback_query(bot_state, USER_ID, 1, "y")
        now[0] = 10.0
        ok = await raw_call(
            http, server, "answerCallbackQuery", json={"callback_query_id": in_time}
        )
        assert ok[0] == 200
        now[0] = 15.5
        status, body = await raw_call(
            http, server, "answerCallbackQuery", json={"callback_query_id": late}
        )
        assert status == 400 and "query is too old" in body["description"]
    finally:
        await server.stop()
