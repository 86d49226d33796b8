"""Webhook delivery to local aiohttp apps, and its interplay with getUpdates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from standin import StandIn, UpdateDropped, UpdateNotHandled

TOKEN = "777:hook-token"
SECRET = "s3cret_Token-1"


class LoopbackSession(AiohttpSession):
    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class Receiver:
    """A local webhook endpoint that answers with scripted statuses and records requests."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, Any], str | None]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({}, status=status)


AppFactory = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[AppFactory]:
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/hook"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[StandIn]:
    stand_in = StandIn(webhook_backoff=0.01)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def bot(server: StandIn) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(server.api_base)))
    yield client
    await client.session.close()


async def test_updates_are_pushed_with_the_secret_and_redelivered_after_errors(
    server: StandIn, bot: Bot, serve: AppFactory
) -> None:
    receiver = Receiver([500, 200])
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    url = await serve(app)
    await bot.set_webhook(url, secret_token=SECRET)

    events = await server.user(1001).send("hello")

    assert events == []
    assert [(update["update_id"], secret) for update, secret in receiver.received] == [
        (1, SECRET),
        (1, SECRET),
    ]
    assert receiver.received[0][0]["message"]["text"] == "hello"
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (url, 0)
    assert info.last_error_message == "Wrong response from the webhook: 500"


async def test_a_webhook_that_keeps_failing_gives_up_in_order(
    server: StandIn, bot: Bot, serve: AppFactory
) -> None:
    server.webhook_attempts = 3
    receiver = Receiver([500, 502, 503])
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    await bot.set_webhook(await serve(app))
    user = server.user(1001)

    with pytest.raises(UpdateNotHandled, match=r"after 3 attempts: .*503"):
        await user.send("first")
    await user.send("second")

    texts = [update["message"]["text"] for update, _ in receiver.received]
    assert texts == ["first", "first", "first", "second"]


async def test_get_updates_conflicts_while_a_webhook_is_set(
    server: StandIn, bot: Bot, serve: AppFactory
) -> None:
    app = web.Application()
    app.router.add_post("/hook", Receiver([]).handle)
    await bot.set_webhook(await serve(app))

    with pytest.raises(TelegramConflictError) as error:
        await bot.get_updates()
    assert error.value.message == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )

    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_only_loopback_webhooks_and_valid_secrets_are_accepted(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: bad webhook: .*'example\.com'"):
        await bot.set_webhook("https://example.com/hook")
    with pytest.raises(TelegramBadRequest, match="secret token"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="no spaces allowed")

    assert (await bot.get_webhook_info()).url == ""


async def test_dropping_pending_updates_fails_the_waiting_sender(server: StandIn, bot: Bot) -> None:
    await bot.get_me()
    user = server.user(1001)
    user.timeout = 2
    sending = asyncio.create_task(user.send("into the void"))
    await asyncio.sleep(0)

    await bot.delete_webhook(drop_pending_updates=True)

    with pytest.raises(UpdateDropped, match="into the void"):
        await sending


async def test_an_aiogram_webhook_app_answers_through_the_stand_in(
    server: StandIn, bot: Bot, serve: AppFactory
) -> None:
    dp = Dispatcher()

    @dp.message()
    async def reply(message: Message) -> SendMessage | None:
        if message.text == "reply in the webhook answer":
            return message.answer("answered inline")
        await message.answer(f"you said {message.text}")
        return None

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token=SECRET, handle_in_background=False).register(
        app, path="/hook"
    )
    await bot.set_webhook(await serve(app), secret_token=SECRET)
    user = server.user(1001)

    direct = await user.send("hi")
    inline = await user.send("reply in the webhook answer")

    assert [e.message.text for e in direct if e.message] == ["you said hi"]
    assert [e.message.text for e in inline if e.message] == ["answered inline"]
    assert [name for name, _ in server.calls].count("sendMessage") == 2
