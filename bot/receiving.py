"""Receiving updates: each is stored in the inbox before Telegram is told it arrived.

Polling moves its offset past an update only once the update is committed to the inbox; the
webhook commits it to the inbox and then answers 200 at once (handling comes after, so Telegram
never waits on a handler and never redelivers because one was slow).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot import inbox
from core.clock import Clock
from core.db import SessionFactory, WriteGate

log = logging.getLogger(__name__)

Submit = Callable[[list[inbox.Stored]], None]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def store(
    sessions: SessionFactory, gate: WriteGate, clock: Clock, updates: list[Update]
) -> list[inbox.Stored]:
    async with gate.held(), sessions() as session:
        new = await inbox.store(session, updates, clock.now())
        await session.commit()
    return new


async def poll(
    bot: Bot,
    sessions: SessionFactory,
    gate: WriteGate,
    clock: Clock,
    submit: Submit,
    *,
    polling_timeout: int = 30,
    allowed_updates: list[str] | None = None,
) -> None:
    """Long polling until cancelled. The offset confirms only what the inbox holds."""
    offset: int | None = None
    failures = 0
    while True:
        try:
            updates = await bot(
                GetUpdates(offset=offset, timeout=polling_timeout, allowed_updates=allowed_updates),
                request_timeout=polling_timeout + 30,
            )
            new = await store(sessions, gate, clock, updates) if updates else []
        except asyncio.CancelledError:
            raise
        except Exception as error:  # Telegram or the database: the offset stays, nothing is lost
            failures += 1
            log.warning("receiving updates failed (%s); retrying", type(error).__name__)
            await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
            continue
        failures = 0
        if updates:
            offset = updates[-1].update_id + 1
            submit(new)


def webhook_handler(
    bot: Bot, sessions: SessionFactory, gate: WriteGate, clock: Clock, secret: str, submit: Submit
) -> Callable[[web.Request], object]:
    """Checks the secret, stores the update, answers 200; a bad request changes nothing."""
    expected = secret.encode()

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401, text="wrong secret token")
        try:
            update = Update.model_validate_json(await request.read(), context={"bot": bot})
        except ValidationError:
            return web.Response(status=400, text="not an update")
        submit(await store(sessions, gate, clock, [update]))
        return web.json_response({})

    return handle
