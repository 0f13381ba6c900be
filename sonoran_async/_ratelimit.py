"""A token bucket with a pause gate, shared by every lane of one client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ._policies import RateLimit


class RateLimiter:
    """Hands out one token per request; `pause()` holds every lane back (after a 429).

    Waiters are served in arrival order (the lock is FIFO), and waiting never blocks the
    event loop. `rate=None` keeps only the pause gate.
    """

    def __init__(self, rate: RateLimit | None, clock: Callable[[], float] = time.monotonic):
        self._rate = rate
        self._clock = clock
        self._tokens = float(rate.burst) if rate else 0.0
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def delay(self) -> float:
        """Seconds until a token could be taken (0 if one is available now)."""
        now = self._clock()
        gate = max(self._paused_until - now, 0.0)
        if self._rate is None:
            return gate
        self._tokens = min(
            float(self._rate.burst), self._tokens + (now - self._stamp) * self._rate.per_second
        )
        self._stamp = now
        if self._tokens >= 1.0:
            return gate
        return max(gate, (1.0 - self._tokens) / self._rate.per_second)

    async def acquire(self) -> None:
        if self._lock.locked() or self.delay() > 0:  # others queued first, or no token yet
            async with self._lock:
                # A timed wait by design: the next token's time is known, no event will come.
                while (wait := self.delay()) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(wait)
        # No await since the last check (releasing the lock does not yield): take it now.
        if self._rate is not None:
            self._tokens -= 1.0
