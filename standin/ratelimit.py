"""Token-bucket flood control, like Telegram's limits on sending messages."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from standin.errors import ApiError


@dataclass(frozen=True)
class RateLimits:
    global_per_second: float = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 20


class TokenBucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RateLimiter:
    """One global bucket plus one bucket per chat, for a single bot."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.global_bucket = TokenBucket(
            limits.global_per_second, limits.global_per_second, clock()
        )
        self.chat_buckets: dict[int, TokenBucket] = {}

    def acquire(self, chat_id: int) -> None:
        """Take a token for a message to chat_id or raise 429 with a real retry_after."""
        now = self.clock()
        chat_bucket = self.chat_buckets.get(chat_id)
        if chat_bucket is None:
            chat_bucket = TokenBucket(
                self.limits.per_chat_per_second, self.limits.per_chat_burst, now
            )
            self.chat_buckets[chat_id] = chat_bucket
        wait = max(self.global_bucket.wait_time(now), chat_bucket.wait_time(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        self.global_bucket.take(now)
        chat_bucket.take(now)
