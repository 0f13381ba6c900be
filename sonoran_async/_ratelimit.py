"""The request budget: a `Limiter` protocol and the in-process implementation.

One reservation per request. A limiter computes when the request may go (GCRA: a
theoretical arrival time advanced by one interval per request, with `burst` requests of
tolerance), books that slot, and the caller sleeps once. A wait longer than the caller's
`max_wait` is refused without booking anything. A 429 pauses the whole bucket.

`RedisRateLimit` implements the same protocol across processes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from ._clock import SYSTEM_CLOCK, Clock
from ._errors import RateLimitedError
from ._policies import RateLimit

logger = logging.getLogger("sonoran_async")


class Limiter(Protocol):
    """What the client needs from a rate budget (local, or shared through Redis)."""

    async def acquire(self, bucket: str, max_wait: float) -> float:
        """Book one request in `bucket` and wait for its slot; return the seconds waited.

        Raises RateLimitedError, booking nothing, if the slot is more than `max_wait`
        seconds away.
        """
        ...

    async def rate_limited(self, bucket: str, retry_after: float) -> None:
        """A 429: hold every request of `bucket` back for `retry_after` seconds."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class CommunityBound(Protocol):
    """A limiter whose budget is per community (shared ones): the client tells it its id."""

    def bind(self, community_id: str) -> None: ...


class _Bucket:
    __slots__ = ("paused_until", "tat")

    def __init__(self) -> None:
        # -inf, not 0.0: a Clock's monotonic reading may be negative (any epoch is valid).
        self.tat = -math.inf  # theoretical arrival time of the next request
        self.paused_until = -math.inf


class LocalLimiter:
    """GCRA buckets in this process; `rate=None` keeps only the 429 pause.

    `rate` applies to every bucket, except those `per_bucket` names a rate of their own.
    """

    def __init__(
        self,
        rate: RateLimit | None,
        clock: Clock = SYSTEM_CLOCK,
        *,
        per_bucket: Mapping[str, RateLimit] | None = None,
    ) -> None:
        self._rate = rate
        self._per_bucket = dict(per_bucket or {})
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, name: str) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = _Bucket()
        return bucket

    def reserve(self, bucket: str, max_wait: float) -> float:
        """Book the next slot of `bucket`; the seconds until it (no waiting here)."""
        state = self._bucket(bucket)
        now = self._clock.monotonic()
        start = max(now, state.paused_until)
        rate = self._per_bucket.get(bucket, self._rate)
        if rate is None:
            wait = start - now
            if wait > max_wait:
                raise too_long(bucket, wait)
            return wait
        interval = 1.0 / rate.per_second
        tolerance = (rate.burst - 1) * interval
        tat = max(state.tat, start)
        allowed_at = max(tat - tolerance, start)
        wait = allowed_at - now
        if wait > max_wait:
            raise too_long(bucket, wait)
        state.tat = tat + interval
        return wait

    async def acquire(self, bucket: str, max_wait: float) -> float:
        wait = self.reserve(bucket, max_wait)
        if wait > 0:
            await self._clock.sleep(wait)
        return wait

    async def rate_limited(self, bucket: str, retry_after: float) -> None:
        state = self._bucket(bucket)
        state.paused_until = max(state.paused_until, self._clock.monotonic() + retry_after)

    async def aclose(self) -> None:
        return None


def too_long(bucket: str, wait: float) -> RateLimitedError:
    return RateLimitedError(
        f"rate budget {bucket!r}: the next slot is {wait:.1f}s away, past the wait allowed",
        retry_after=wait,
    )


class GuardedLimiter:
    """Any other `Limiter`, whose failures become errors for the affected callers.

    A shared limiter may fail in ways of its own (a malformed reply, a bug): whatever it
    raises from `acquire` or `rate_limited` reaches the callers as RateLimitedError
    (nothing was sent), never a dead lane or a hang. A failing `aclose` is logged.
    """

    def __init__(self, inner: Limiter) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return repr(self.inner)

    async def acquire(self, bucket: str, max_wait: float) -> float:
        try:
            return await self.inner.acquire(bucket, max_wait)
        except RateLimitedError:
            raise
        except Exception as exc:
            raise _failed(bucket, exc) from exc

    async def rate_limited(self, bucket: str, retry_after: float) -> None:
        try:
            await self.inner.rate_limited(bucket, retry_after)
        except RateLimitedError:
            raise
        except Exception as exc:
            raise _failed(bucket, exc) from exc

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        except Exception as exc:
            logger.warning(
                "rate budget: closing the limiter failed (%s: %s)", type(exc).__name__, exc
            )


def _failed(bucket: str, exc: Exception) -> RateLimitedError:
    return RateLimitedError(
        f"rate budget {bucket!r} failed ({type(exc).__name__}: {exc}); nothing was sent",
        retry_after=None,
    )
