"""One rate budget for many processes and hosts, kept in Redis (`RedisRateLimit`).

Every request makes one round trip: a short Lua script runs GCRA on the Redis server's own
clock (`TIME`, so hosts with skewed clocks agree), books the slot and returns how long to
wait; the caller then sleeps once on its own clock. A slot further away than the caller's
`max_wait` is refused without booking. A 429 seen by any process stores a pause in the
same hash, which every process's next reservation honours.

The script is sent with EVALSHA (loaded with SCRIPT LOAD when the server does not know it
yet, e.g. after a restart) and needs nothing newer than Redis 6.2.

Redis trouble (refused, silent, slow, or an error reply) is bounded by `timeout` on every
call and then either raised (`on_error="raise"`: `RedisLimiterError`, nothing sent) or
survived (`on_error="local"`: a local bucket at `local_fraction` of the rate, one WARNING;
Redis is tried again at most every `recheck_after` seconds, and its first answer ends the
fallback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from ._clock import SYSTEM_CLOCK, Clock
from ._errors import RateLimitedError
from ._policies import RateLimit
from ._ratelimit import LocalLimiter, too_long

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("sonoran_async")

#: GCRA for one bucket (KEYS[1], a hash), on the server's clock, in microseconds.
#: ARGV: "reserve", interval, tolerance, max_wait -> {granted 0|1, wait, now};
#:       "pause", seconds -> {1, 0, now} (a 429: nobody goes before now + seconds).
SCRIPT: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused_until')
local tat = tonumber(state[1]) or 0
local paused = tonumber(state[2]) or 0
local wait = 0
if ARGV[1] == 'pause' then
  paused = math.max(paused, now + tonumber(ARGV[2]))
else
  local start = math.max(now, paused)
  tat = math.max(tat, start)
  wait = math.max(tat - tonumber(ARGV[3]), start) - now
  if wait > tonumber(ARGV[4]) then
    return {0, wait, now}
  end
  tat = tat + tonumber(ARGV[2])
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat),
           'paused_until', string.format('%.0f', paused))
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(tat, paused) - now) / 1000) + 60000)
return {1, wait, now}
"""

_MICRO: Final = 1_000_000
_LONGEST_WAIT: Final = 10**9  # seconds; stands in for an unbounded max_wait


def default_key(community_id: str) -> str:
    """One key family per community; the braces are a Redis Cluster hash tag."""
    return f"sonoran-async:{{{community_id}}}:v1"


class RedisLimiterError(RateLimitedError):
    """The shared rate budget in Redis could not be reached (`on_error="raise"`).

    Nothing was sent for the requests that get it: like any RateLimitedError it means
    "not applied, try again later".
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after=None)


class RedisRateLimit:
    """A `Limiter` shared through Redis by every process and host of one community.

    `redis` is a URL (`redis://`, `rediss://`, `unix://`) or a `redis.asyncio.Redis` you
    own (it is never closed here). `key` defaults to one per community id (the client
    binds it); pass `SonoranClient(..., rate_limit=RedisRateLimit(...))`.
    """

    def __init__(
        self,
        redis: str | Redis,
        *,
        per_second: float,
        burst: int = 1,
        key: str | None = None,
        on_error: Literal["raise", "local"] = "raise",
        local_fraction: float = 0.25,
        timeout: float = 1.0,
        recheck_after: float = 5.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        try:
            import redis.asyncio as aioredis
            from redis.exceptions import AuthenticationError, RedisError, ResponseError
        except ImportError as exc:
            raise ImportError(
                "RedisRateLimit needs the redis package: pip install 'sonoran-async[redis]'"
            ) from exc
        rate = RateLimit(per_second=per_second, burst=burst)
        if on_error not in ("raise", "local"):
            raise ValueError(f'on_error must be "raise" or "local", got {on_error!r}')
        if not 0 < local_fraction <= 1:
            raise ValueError(f"local_fraction must be in (0, 1], got {local_fraction!r}")
        if not timeout > 0 or not recheck_after >= 0:
            raise ValueError("timeout must be > 0 and recheck_after >= 0")
        if isinstance(redis, str):
            parts = urlsplit(redis)
            if parts.scheme not in ("redis", "rediss", "unix"):
                raise ValueError("the Redis URL must start with redis://, rediss:// or unix://")
            self._where = f"{parts.scheme}://{parts.hostname or ''}"
            self._where += f":{parts.port}" if parts.port else ""
            self._where += parts.path  # never the user name or password
            self._redis: Redis = aioredis.from_url(
                redis, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            self._owned = True
        else:
            self._where, self._redis, self._owned = "the given client", redis, False
        self._script = self._redis.register_script(SCRIPT)
        self._trouble: tuple[type[BaseException], ...] = (
            RedisError,
            OSError,
            TimeoutError,
        )
        #: Redis answered, with an error (an ACL refusal, a wrong password): no outage.
        self._said: tuple[type[BaseException], ...] = (ResponseError, AuthenticationError)
        self._password = urlsplit(redis).password if isinstance(redis, str) else None
        self.per_second, self.burst = rate.per_second, rate.burst
        self._interval = round(_MICRO / rate.per_second)
        self._tolerance = (rate.burst - 1) * self._interval
        self._key, self._key_given = key, key is not None
        self._on_error = on_error
        self._timeout, self._recheck_after, self._clock = timeout, recheck_after, clock
        self._local_rate = rate.per_second * local_fraction
        self._local = (
            LocalLimiter(RateLimit(per_second=self._local_rate, burst=1), clock)
            if on_error == "local"
            else None
        )
        self._recheck_at: float | None = None  # set while falling back to the local bucket

    def __repr__(self) -> str:
        return (
            f"<RedisRateLimit {self._where} key={self._key!r} per_second={self.per_second} "
            f"burst={self.burst} on_error={self._on_error!r}>"
        )

    @property
    def key(self) -> str | None:
        """The key family in use (None until bound to a community or given)."""
        return self._key

    @property
    def local_fallback(self) -> bool:
        """True while Redis is unreachable and the local bucket stands in."""
        return self._recheck_at is not None

    def bind(self, community_id: str) -> None:
        """Called by `SonoranClient`: the default key is one per community id."""
        if self._key_given:
            return
        key = default_key(community_id)
        if self._key is not None and self._key != key:
            raise ValueError("a RedisRateLimit serves one community; make one per community id")
        self._key = key

    async def acquire(self, bucket: str, max_wait: float) -> float:
        bounded = min(max(max_wait, 0.0), _LONGEST_WAIT)
        reply = await self._run(
            bucket, "reserve", self._interval, self._tolerance, int(bounded * _MICRO)
        )
        if reply is None:
            assert self._local is not None
            return await self._local.acquire(bucket, max_wait)
        try:
            granted, wait = int(reply[0]), max(int(reply[1]), 0) / _MICRO
        except (TypeError, ValueError, IndexError, KeyError):
            raise RedisLimiterError(
                f"the shared rate budget in Redis ({self._where}) answered "
                f"{self._hide(repr(reply))[:80]} to its script, not {{granted, wait, now}}; "
                "nothing was sent"
            ) from None
        if not granted:
            raise too_long(bucket, wait)
        if wait > 0:
            await self._clock.sleep(wait)
        return wait

    async def rate_limited(self, bucket: str, retry_after: float) -> None:
        if self._local is not None:  # so that a fallback honours it too
            await self._local.rate_limited(bucket, retry_after)
        await self._run(bucket, "pause", int(min(max(retry_after, 0.0), _LONGEST_WAIT) * _MICRO))

    async def aclose(self) -> None:
        if self._owned:
            with contextlib.suppress(*self._trouble):
                async with asyncio.timeout(self._timeout):
                    await self._redis.aclose()

    async def _run(self, bucket: str, *args: str | int) -> list[Any] | None:
        """The script's reply, or None to use the local bucket (`on_error="local"`)."""
        if self._key is None:
            raise RuntimeError("RedisRateLimit has no key: pass key= or give it to a client")
        if self._recheck_at is not None and self._clock.monotonic() < self._recheck_at:
            return None
        try:
            async with asyncio.timeout(self._timeout):
                reply: list[Any] = await self._script(keys=[f"{self._key}:{bucket}"], args=args)
        except self._said as exc:
            raise RedisLimiterError(
                f"the shared rate budget in Redis ({self._where}) refused: "
                f"{self._hide(str(exc))[:200]} ({type(exc).__name__}); nothing was sent"
            ) from None
        except self._trouble as exc:
            self._unreachable(exc)
            return None
        if self._recheck_at is not None:
            self._recheck_at = None
            logger.info("rate budget: Redis at %s answers again; back on it", self._where)
        return reply

    def _hide(self, text: str) -> str:
        """`text` without the URL's password (Redis never says it; a proxy might)."""
        return text.replace(self._password, "***") if self._password else text

    def _unreachable(self, exc: BaseException) -> None:
        said = self._hide(str(exc))[:120]
        what = f"{type(exc).__name__}: {said}" if said else type(exc).__name__
        if self._local is None:
            raise RedisLimiterError(
                f"the shared rate budget in Redis ({self._where}) could not be reached "
                f"(timeout {self._timeout:g}s; {what}); nothing was sent"
            ) from exc
        if self._recheck_at is None:
            logger.warning(
                "rate budget: Redis at %s unreachable (%s); using a local bucket at %.3g "
                "requests/s, trying Redis again every %gs",
                self._where,
                what,
                self._local_rate,
                self._recheck_after,
            )
        self._recheck_at = self._clock.monotonic() + self._recheck_after
