"""Composition root: builds the bot, the dispatcher and their dependencies from settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.fsm_storage import build_storage
from bot.middlewares import CommitBeforeTelegram, ContextMiddleware, RetryAfterFloodWait, Sleep
from bot.settings import Settings
from core import db
from core.clock import Clock, SystemClock
from courses.library import CourseLibrary, load_library

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"


@dataclass
class Runtime:
    """Everything a running bot shares across updates."""

    settings: Settings
    engine: AsyncEngine
    sessions: db.SessionFactory
    library: CourseLibrary
    clock: Clock = field(default_factory=SystemClock)
    sleep: Sleep = asyncio.sleep  # waits Telegram asks for (429); tests move a fake clock

    @classmethod
    def create(
        cls, settings: Settings, clock: Clock | None = None, library: CourseLibrary | None = None
    ) -> Runtime:
        engine = db.create_engine(settings.database_url)
        return cls(
            settings,
            engine,
            db.session_factory(engine),
            library or load_library(),
            clock or SystemClock(),
        )

    async def close(self) -> None:
        await self.engine.dispose()


def build_bot(token: str, api_base: str | None = None, sleep: Sleep = asyncio.sleep) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else None
    bot = Bot(token, session=session)
    bot.session.middleware(CommitBeforeTelegram())
    bot.session.middleware(RetryAfterFloodWait(sleep))
    return bot


def build_dispatcher(runtime: Runtime) -> Dispatcher:
    from handlers import build_router
    from handlers.errors import on_error

    dispatcher = Dispatcher(
        storage=build_storage(runtime.sessions, runtime.settings.redis_url),
        settings=runtime.settings,
        clock=runtime.clock,
        sessions=runtime.sessions,
        library=runtime.library,
    )
    context = ContextMiddleware(
        runtime.sessions, runtime.settings.admin_ids, runtime.settings.default_locale, runtime.clock
    )
    dispatcher.update.outer_middleware(context)
    dispatcher.errors.register(on_error)
    dispatcher.include_router(build_router())
    return dispatcher


async def on_startup(bot: Bot) -> None:
    from bot.commands import install_default_commands

    await install_default_commands(bot)


class PollingBot:
    """A bot long-polling in a background task: start, stop and start again (a restart)."""

    def __init__(
        self,
        runtime: Runtime,
        token: str,
        api_base: str | None = None,
        *,
        one_update_at_a_time: bool = True,
    ) -> None:
        """`one_update_at_a_time`: handle each update before fetching the next (the stand-in's
        tests and the sandbox rely on it); production handles updates concurrently."""
        self.runtime = runtime
        self.token = token
        self.api_base = api_base
        self.one_update_at_a_time = one_update_at_a_time
        self._task: asyncio.Task[None] | None = None
        self._dispatcher: Dispatcher | None = None
        self._bot: Bot | None = None

    async def start(self) -> None:
        self._bot = build_bot(self.token, self.api_base, self.runtime.sleep)
        self._dispatcher = build_dispatcher(self.runtime)
        await on_startup(self._bot)
        self._task = asyncio.create_task(
            self._dispatcher.start_polling(
                self._bot,
                handle_as_tasks=not self.one_update_at_a_time,
                handle_signals=False,
                close_bot_session=True,
            )
        )

    async def stop(self) -> None:
        if self._dispatcher is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):
                await self._dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        self._task = None

    @property
    def bot(self) -> Bot | None:
        return self._bot

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def wait(self) -> None:
        if self._task is not None:
            await self._task


async def run_webhook(runtime: Runtime, ready: asyncio.Event | None = None) -> None:
    """Webhook mode: updates are handled before the 200, so a crash means redelivery."""
    settings = runtime.settings
    assert settings.bot_token is not None and settings.webhook_url and settings.webhook_secret
    secret = settings.webhook_secret.get_secret_value()
    bot = build_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
    dispatcher = build_dispatcher(runtime)
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=secret, handle_in_background=False).register(
        app, path=WEBHOOK_PATH
    )
    setup_application(app, dispatcher, bot=bot)
    await on_startup(bot)
    await bot.set_webhook(settings.webhook_url + WEBHOOK_PATH, secret_token=secret)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
