"""The sender's pace: Telegram's limits kept with aiolimiter's leaky buckets, on an injected clock.

One bucket for the whole outbox (its share of the bot's global rate), one per chat (about one
message a second to a person, 20 a minute to a group), and the pauses a 429 asks for. aiolimiter
reads the event loop's time; `ClockedLimiter` reads the sender's clock instead (a ManualClock in
tests), and the sender never waits inside a bucket: it asks whether there is room, takes only
what there is, and waits through its own (injectable) sleep.
"""

from __future__ import annotations

import math

from aiolimiter import AsyncLimiter

from core.clock import Clock

PRIVATE_INTERVAL = 1.0  # seconds between two messages to one person
GROUP_PER_MINUTE = 20
BURST_SECONDS = 0.05  # the outbox's budget may be spent this far ahead (a claim takes that many)
# A 429 for a chat this sender wrote to this recently is that chat's limit; for any other chat it
# can only be the bot's global limit.
PRIVATE_WINDOW = 2 * PRIVATE_INTERVAL
GROUP_WINDOW = 60.0


class ClockedLimiter(AsyncLimiter):
    """aiolimiter's bucket of `rate` a second holding `burst` messages, leaking by `clock`.

    A shallow bucket keeps any one second within the rate (plus the burst): Telegram counts
    messages a second, and a bucket a whole second deep would allow twice that at first.
    """

    def __init__(self, rate: float, clock: Clock, burst: float = 1.0) -> None:
        super().__init__(burst, burst / rate)
        self._clock = clock

    def _leak(self) -> None:
        # aiolimiter's own arithmetic, on the injected clock; time going back leaks nothing
        now = self._clock.now().timestamp()
        if self._level:
            elapsed = max(0.0, now - self._last_check)
            self._level = max(self._level - elapsed * self._rate_per_sec, 0)
        self._last_check = now

    def room_in(self) -> float:
        """Seconds until there is room for one message (0: now)."""
        self._leak()
        return max(0.0, (self._level + 1 - self.max_rate) / self._rate_per_sec)

    @property
    def interval(self) -> float:
        """Seconds for one message's room to come back."""
        return 1.0 / self._rate_per_sec

    async def take(self) -> None:
        """Take room for one message; the caller checked `has_capacity`, so this never waits."""
        assert self.has_capacity()
        await self.acquire()


class Pace:
    def __init__(self, clock: Clock, rate: float) -> None:
        self.clock = clock
        self.overall = ClockedLimiter(rate, clock, burst=max(1.0, rate * BURST_SECONDS))
        self.paused_until = 0.0  # everything waits until then (a global 429)
        self._chats: dict[int, ClockedLimiter] = {}
        self._chat_paused: dict[int, float] = {}
        self._last_sent: dict[int, float] = {}

    def now(self) -> float:
        return self.clock.now().timestamp()

    def room(self, most: int) -> int:
        """How many messages (up to `most`) the outbox's budget allows right now."""
        if self.now() < self.paused_until:
            return 0
        for amount in range(min(most, math.floor(self.overall.max_rate)), 0, -1):
            if self.overall.has_capacity(amount):
                return amount
        return 0

    def next_room_in(self) -> float:
        """Seconds until there is room again (the end of a pause, or the bucket's next message)."""
        return max(self.paused_until - self.now(), self.overall.room_in(), 0.001)

    def _limiter(self, chat_id: int) -> ClockedLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            # a person: about one a second; a group or channel (negative id): 20 a minute
            rate = GROUP_PER_MINUTE / 60 if chat_id < 0 else 1.0 / PRIVATE_INTERVAL
            limiter = self._chats[chat_id] = ClockedLimiter(rate, self.clock)
        return limiter

    def chat_ready(self, chat_id: int) -> bool:
        if self.now() < self._chat_paused.get(chat_id, 0.0):
            return False
        return self._limiter(chat_id).has_capacity()

    def chat_free_at(self, chat_id: int) -> float:
        """About when this chat can take its next message."""
        now = self.now()
        paused = self._chat_paused.get(chat_id, 0.0)
        return paused if now < paused else now + self.chat_interval(chat_id)

    def chat_interval(self, chat_id: int) -> float:
        return self._limiter(chat_id).interval

    async def take(self, chat_id: int) -> float | None:
        """Count one message to `chat_id` now; returns when this sender last wrote to it."""
        await self.overall.take()
        await self._limiter(chat_id).take()
        previous = self._last_sent.get(chat_id)
        self._last_sent[chat_id] = self.now()
        return previous

    def pause(self, chat_id: int, seconds: float, previous: float | None, sent: float) -> bool:
        """Honour a 429: the chat waits when its own limit was hit, else everything waits.
        `previous` and `sent`: when the message before this one and this one went to the chat.
        Returns True when everything waits."""
        until = self.now() + seconds
        window = GROUP_WINDOW if chat_id < 0 else PRIVATE_WINDOW
        if previous is not None and sent - previous < window:
            self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), until)
            return False
        self.paused_until = max(self.paused_until, until)
        return True

    def forget_quiet(self) -> None:
        """Drop what is kept about chats nobody wrote to for a while (memory follows activity)."""
        now = self.now()
        for chat_id in list(self._chats):
            if self._last_sent.get(chat_id, 0.0) < now - GROUP_WINDOW and (
                self._chat_paused.get(chat_id, 0.0) <= now
            ):
                del self._chats[chat_id]
                self._last_sent.pop(chat_id, None)
                self._chat_paused.pop(chat_id, None)
