"""Composition root: builds the bot, the dispatcher and their dependencies from settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.flood import FloodLimit
from bot.fsm_storage import build_storage
from bot.middlewares import (
    CommitBeforeTelegram,
    ContextMiddleware,
    KeepResponseTypes,
    RetryAfterFloodWait,
    Sleep,
)
from bot.processing import Handled, UpdateProcessor
from bot.receiving import poll, webhook_handler
from bot.scheduler import Scheduler
from bot.sender import OutboxSender, SenderConfig, build_sender_bot
from bot.settings import Settings
from core import crypto, db, outbox
from core.clock import Clock, SystemClock
from core.pseudonym import pseudonym
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
    gate: db.WriteGate = field(default_factory=lambda: db.WriteGate(enabled=False))

    @classmethod
    def create(
        cls, settings: Settings, clock: Clock | None = None, library: CourseLibrary | None = None
    ) -> Runtime:
        crypto.configure(settings.encryption_key_list() or [crypto.local_key()])
        engine = db.create_engine(settings.database_url)
        return cls(
            settings,
            engine,
            db.session_factory(engine),
            library or load_library(),
            clock or SystemClock(),
            gate=db.write_gate(settings.database_url),
        )

    async def close(self) -> None:
        await self.engine.dispose()


def build_bot(token: str, api_base: str | None = None, sleep: Sleep = asyncio.sleep) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else None
    bot = Bot(token, session=session)
    bot.session.middleware(KeepResponseTypes())
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
        library=runtime.library,
    )
    context = ContextMiddleware(
        runtime.sessions,
        runtime.settings.default_locale,
        runtime.clock,
        runtime.gate,
    )
    # The update's session opens before aiogram reads the conversation state, so that read
    # (and any state change) is part of the update's one transaction.
    dispatcher.update.outer_middleware.unregister(dispatcher.fsm)
    dispatcher.update.outer_middleware(context)
    # Inside the update's boundary, so an update it ignores is still marked done.
    dispatcher.update.outer_middleware(FloodLimit.from_settings(runtime.settings, runtime.clock))
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.errors.register(on_error)
    dispatcher.include_router(build_router())
    return dispatcher


async def on_startup(bot: Bot, runtime: Runtime | None = None) -> None:
    from handlers.commands import install_default_commands

    await install_default_commands(bot)
    if runtime is not None:
        await sync_roles(runtime, bot)


async def sync_roles(runtime: Runtime, bot: Bot) -> None:
    """Admin roles follow ADMIN_IDS both ways before any update is handled; menus follow."""
    from aiogram.exceptions import TelegramAPIError

    from handlers.commands import install_commands_for
    from people import accounts

    async with runtime.gate.held(), runtime.sessions() as session:
        changed = await accounts.sync_roles(session, runtime.settings.admin_ids, runtime.clock)
        await session.commit()
    for member in changed:
        log.info("role of user %s now %s (ADMIN_IDS)", pseudonym(member.id), member.role)
        try:
            await install_commands_for(bot, member, refresh=True)
        except TelegramAPIError:  # the menu is a convenience; the role is checked per update
            log.warning("could not update the command menu of user %s", pseudonym(member.id))


async def broadcast_status(bot: Bot, runtime: Runtime) -> None:
    """The broadcasts' status messages, refreshed while the bot runs."""
    from handlers.broadcast_status import status_loop

    await status_loop(bot, runtime.sessions, runtime.gate, runtime.clock, runtime.settings.zone)


def start_sender(runtime: Runtime, token: str, api_base: str | None) -> OutboxSender:
    """The outbox's sender, running beside the bot with a connection of its own."""
    sender = OutboxSender(
        runtime.sessions,
        runtime.gate,
        build_sender_bot(token, api_base),
        runtime.clock,
        SenderConfig.from_settings(runtime.settings),
        postgres=runtime.settings.database_url.startswith("postgresql"),
        sleep=runtime.sleep,
    )
    sender.start()
    sender.stop_listening = outbox.on_commit(runtime.engine, sender.wake)
    return sender


async def stop_sender(sender: OutboxSender | None) -> None:
    """Stop claiming, let what is under way be marked, close the sender's connection."""
    if sender is not None:
        sender.stop_listening()
        await sender.stop()
        await sender.bot.session.close()


class PollingBot:
    """A bot long-polling in the background: start, stop and start again (a restart).

    Updates go into the inbox first and are handled from there (bot/processing.py).
    """

    def __init__(
        self,
        runtime: Runtime,
        token: str,
        api_base: str | None = None,
        *,
        one_update_at_a_time: bool = True,
        on_handled: Handled | None = None,
        polling_timeout: int = 30,
        send_outbox: bool = True,
    ) -> None:
        """`one_update_at_a_time`: handle each update before the next, across all chats (tests
        and the sandbox); production handles chats side by side, each chat's in order.
        `on_handled` hears each update_id once it is handled (the stand-in's users wait on it).
        `send_outbox`: run the outbox's sender beside the bot (bot/sender.py)."""
        self.runtime = runtime
        self.token = token
        self.api_base = api_base
        self.one_update_at_a_time = one_update_at_a_time
        self.on_handled = on_handled
        self.polling_timeout = polling_timeout
        self._tasks: list[asyncio.Task[None]] = []
        self._processor: UpdateProcessor | None = None
        self._bot: Bot | None = None
        self.send_outbox = send_outbox
        self.sender: OutboxSender | None = None
        self.scheduler: Scheduler | None = None

    async def start(self) -> None:
        runtime = self.runtime
        self._bot = build_bot(self.token, self.api_base, runtime.sleep)
        dispatcher = build_dispatcher(runtime)
        await on_startup(self._bot, runtime)
        self._processor = UpdateProcessor(
            runtime.sessions,
            runtime.gate,
            runtime.clock,
            dispatcher,
            self._bot,
            concurrent=not self.one_update_at_a_time,
            on_handled=self.on_handled,
        )
        await self._processor.take_up_stored()
        polling = poll(
            self._bot,
            runtime.sessions,
            runtime.gate,
            runtime.clock,
            self._processor.submit,
            polling_timeout=self.polling_timeout,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
        self._tasks = [
            asyncio.create_task(self._processor.run()),
            asyncio.create_task(polling),
            asyncio.create_task(broadcast_status(self._bot, runtime)),
        ]
        if self.send_outbox:
            self.sender = start_sender(runtime, self.token, self.api_base)
            self.scheduler = Scheduler(runtime)
            self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        await stop_sender(self.sender)
        self.sender = None
        for task in reversed(self._tasks):
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._processor is not None:
            await self._processor.stop()
        if self._bot is not None:
            await self._bot.session.close()

    @property
    def bot(self) -> Bot | None:
        return self._bot

    async def idle(self) -> None:
        """Wait until every update received so far is handled."""
        if self._processor is not None:
            await self._processor.idle()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def wait(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks)


async def run_webhook(
    runtime: Runtime, ready: asyncio.Event | None = None, on_handled: Handled | None = None
) -> None:
    """Webhook mode: an update is stored, answered 200 at once, then handled from the inbox."""
    settings = runtime.settings
    assert settings.bot_token is not None and settings.webhook_url and settings.webhook_secret
    secret = settings.webhook_secret.get_secret_value()
    bot = build_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
    dispatcher = build_dispatcher(runtime)
    processor = UpdateProcessor(
        runtime.sessions, runtime.gate, runtime.clock, dispatcher, bot, on_handled=on_handled
    )
    await processor.take_up_stored()
    app = web.Application()
    app.router.add_post(
        WEBHOOK_PATH,
        webhook_handler(
            bot, runtime.sessions, runtime.gate, runtime.clock, secret, processor.submit
        ),
    )
    await on_startup(bot, runtime)
    await bot.set_webhook(
        settings.webhook_url + WEBHOOK_PATH,
        secret_token=secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    processing = asyncio.create_task(processor.run())
    statuses = asyncio.create_task(broadcast_status(bot, runtime))
    sender = start_sender(
        runtime, settings.bot_token.get_secret_value(), settings.telegram_api_base
    )
    scheduler = Scheduler(runtime)
    scheduler.start()
    log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.stop()
        await stop_sender(sender)
        for task in (statuses, processing):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await processor.stop()
        await runner.cleanup()
        await bot.session.close()
