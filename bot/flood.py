"""Flood limit per user: too many updates in a sliding window, one polite notice, then silence.

Sits inside `ContextMiddleware` (registered after it): an ignored update returns without its
handler, so the inbox still marks it done in the update's own transaction. Counters live in this
process only and are dropped once a user has been quiet for a window (and any pause has ended),
so memory follows the number of recently active users, with a hard cap besides.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User

from bot.settings import Settings
from core.clock import Clock
from core.i18n import _, use_locale
from core.pseudonym import pseudonym

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class _Sender:
    seen: deque[float] = field(default_factory=deque)  # times of recent updates, oldest first
    paused_until: float = 0.0

    def forgettable(self, now: float, window: float) -> bool:
        return now >= self.paused_until and (not self.seen or self.seen[-1] <= now - window)


class FloodLimit(BaseMiddleware):
    """More than `limit` updates from one user within `window` seconds: that user is told once,
    politely and in their language, and ignored for `pause` seconds. `limit=0` turns it off."""

    def __init__(
        self,
        clock: Clock,
        limit: int,
        window: float,
        pause: float,
        max_tracked: int = 100_000,
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self.pause = pause
        self.max_tracked = max_tracked
        self._senders: OrderedDict[int, _Sender] = OrderedDict()  # least recently active first

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> FloodLimit:
        return cls(
            clock,
            settings.flood_limit,
            settings.flood_window_seconds,
            settings.flood_pause_seconds,
        )

    @property
    def tracked(self) -> int:
        """How many users' counters are held (for tests of the memory bound)."""
        return len(self._senders)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if self.limit <= 0 or user is None:
            return await handler(event, data)
        now = self.clock.now().timestamp()
        self._forget_quiet(now)
        sender = self._senders.pop(user.id, None) or _Sender()
        self._senders[user.id] = sender  # now the most recently active
        if now < sender.paused_until:
            await self._ignore(event, data, user, notify=False)
            return None
        while sender.seen and sender.seen[0] <= now - self.window:
            sender.seen.popleft()
        if len(sender.seen) >= self.limit:
            sender.seen.clear()
            sender.paused_until = now + self.pause
            log.info("flood: user %s paused for %ss", pseudonym(user.id), self.pause)
            await self._ignore(event, data, user, notify=True)
            return None
        sender.seen.append(now)
        return await handler(event, data)

    def _forget_quiet(self, now: float) -> None:
        while self._senders:
            user_id, oldest = next(iter(self._senders.items()))
            if len(self._senders) < self.max_tracked and not oldest.forgettable(now, self.window):
                return
            del self._senders[user_id]

    async def _ignore(
        self, event: TelegramObject, data: dict[str, Any], user: User, *, notify: bool
    ) -> None:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        if event.callback_query is not None:
            with contextlib.suppress(TelegramAPIError):
                await bot.answer_callback_query(event.callback_query.id)
        if notify:
            with use_locale(data.get("locale", "en")):
                notice = _(
                    "You are sending messages very quickly, so I am pausing for a little "
                    "while. Please wait a moment, then carry on."
                )
            with contextlib.suppress(TelegramAPIError):  # e.g. they never opened a private chat
                await bot.send_message(user.id, notice)
