"""Helpers for the sender's tests: one simulated clock for the sender and the stand-in, the
stand-in's calls with their times and answers, people and a broadcast written straight in."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from bot.sender import OutboxSender
from core import db, outbox
from core.clock import ManualClock
from core.outbox import OutboxMessage
from people.models import User
from standin.errors import ApiError
from standin.params import Params
from standin.server import StandIn
from standin.state import BotState

LOCALES = ("ar", "fa_AF", "uk", "en")
TELEGRAM_CODES = {"ar": "ar", "fa_AF": "fa-AF", "uk": "uk", "en": "en"}
ANNOUNCEMENT = {
    "ar": "إعلان: يبدأ مشروع جديد يوم الاثنين.",
    "fa_AF": "اطلاعیه: یک پروژهٔ تازه روز دوشنبه آغاز می‌شود.",
    "uk": "Оголошення: новий проєкт починається в понеділок.",
    "en": "Announcement: a new project starts on Monday.",
}
SENDS = ("sendMessage", "sendPhoto")


class SimulatedTime:
    """A ManualClock shared by the sender and the stand-in. It moves only when the sender sleeps,
    and only once the sends under way are answered and marked: the network takes no simulated
    time, so the stand-in sees each request at the moment the sender made it."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.start = clock.now()
        self.sender: OutboxSender | None = None
        self.slept: list[float] = []

    def timestamp(self) -> float:
        return self.clock.now().timestamp()

    @property
    def elapsed(self) -> float:
        return (self.clock.now() - self.start).total_seconds()

    async def sleep(self, seconds: float) -> None:
        while self.sender is not None and self.sender.in_flight:
            await asyncio.wait(set(self.sender.in_flight))
        self.slept.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)


@dataclass(frozen=True)
class Call:
    at: float
    method: str
    chat_id: int | None
    status: int  # 200, or the error Telegram answered with
    retry_after: int | None = None


class CallLog:
    """Every sending call the stand-in answered, with the simulated time and the answer."""

    def __init__(self, server: StandIn, now: Any) -> None:
        self.calls: list[Call] = []
        original = server.call

        async def call(bot: BotState, method: str, params: Params) -> Any:
            at = now()
            chat = params.get("chat_id")
            chat_id = int(chat) if chat is not None else None
            try:
                result = await original(bot, method, params)
            except ApiError as error:
                retry = (error.parameters or {}).get("retry_after")
                self.calls.append(Call(at, method, chat_id, error.status, retry))
                raise
            self.calls.append(Call(at, method, chat_id, 200))
            return result

        server.call = call  # type: ignore[method-assign]

    def sends(self, status: int | None = None) -> list[Call]:
        return [
            c for c in self.calls if c.method in SENDS and (status is None or c.status == status)
        ]

    def busiest_second(self) -> int:
        """The most messages Telegram accepted within any one second."""
        times = sorted(c.at for c in self.sends(200))
        most, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most

    def closest_to_one_chat(self) -> float:
        """The shortest gap between two accepted messages to one chat (inf: none twice)."""
        by_chat: dict[int | None, list[float]] = {}
        for c in self.sends(200):
            by_chat.setdefault(c.chat_id, []).append(c.at)
        gaps = [b - a for times in by_chat.values() for a, b in itertools.pairwise(times)]
        return min(gaps, default=float("inf"))


async def add_people(
    sessions: db.SessionFactory, server: StandIn, ids: list[int], now: Any
) -> dict[int, str]:
    """People who accepted the consent, each with a language in turn; their locales."""
    locales = {uid: LOCALES[n % len(LOCALES)] for n, uid in enumerate(ids)}
    rows = [{"id": uid, "locale": loc, "consented_at": now} for uid, loc in locales.items()]
    async with sessions() as session:
        await session.execute(insert(User), rows)
        await session.commit()
    for uid, loc in locales.items():
        server.user(uid, language_code=TELEGRAM_CODES[loc])
    return locales


async def enqueue_broadcast(
    sessions: db.SessionFactory, locales: dict[int, str], now: Any, broadcast_id: int = 1
) -> None:
    """The rows a broadcast writes: one per person, the text in their language (one statement
    for them all, as `outreach.broadcasts.expand` writes them)."""
    rows = [
        {
            "chat_id": uid,
            "user_id": uid,
            "kind": "broadcast",
            "dedup_key": f"broadcast:{broadcast_id}:{uid}",
            "priority": outbox.BROADCAST_PRIORITY,
            "text": ANNOUNCEMENT[loc],
            "broadcast_id": broadcast_id,
            "state": outbox.WAITING,
            "not_before": now,
            "created_at": now,
            "attempts": 0,
        }
        for uid, loc in locales.items()
    ]
    async with sessions() as session:
        await session.execute(insert(OutboxMessage), rows)
        outbox.rows_queued(session)
        await session.commit()


async def states(sessions: db.SessionFactory) -> Counter[str]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )
        return Counter(dict(rows.all()))  # type: ignore[arg-type]


def received(server: StandIn, user_id: int) -> list[str]:
    """The texts (or captions) the bot's messages in this person's chat show."""
    return [m.text or m.caption or "" for m in server.user(user_id).messages]
