"""One request's journey: send it, and what to do about 429s, 5xx and broken links.

Every request goes out through here: batches from the sender, GET_CALLS look-ups from
reconciliation (`exchange`). A batch's first rate slot is taken by its lane before it
leaves; every later slot (a retry, a 429, a look-up) is taken here. Retries and 429s:
- 429: nothing was applied; wait `Retry-After` (else `RateLimit-Reset`, else
  `X-RateLimit-Reset`; when none is usable, a jittered backoff that doubles with each
  429 in a row, up to `max_delay`),
  pause the whole rate bucket, re-send the same body. Never drop, never report success.
  Every wait, the rate budget's included, counts toward `max_rate_limit_wait`.
- Not sent at all, or 503: retried for every request type.
- Maybe applied (timeout or reset after sending, 500, 502, 504 — a gateway's error may
  come after the origin applied the call): retried only for idempotent types; a create
  gets OutcomeUnknownError instead of a possible duplicate.
Every loop is bounded: `max_attempts` failures, `max_rate_limit_wait` seconds of waiting.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ._batch import Batch
from ._clock import Clock
from ._codec import RequestBody, redacted
from ._endpoints import Endpoint
from ._errors import (
    OutcomeUnknownError,
    RateLimitedError,
    SonoranError,
    TransportError,
    for_caller,
    references,
)
from ._policies import RetryPolicy
from ._ratelimit import Limiter
from ._scrub import scrub_error
from ._settle import outcome_unknown
from ._stats import Counters
from ._tracing import rate_limited, retry
from ._transport import JSON_HEADERS, Reply, Transport
from ._wire import HttpRequest

logger = logging.getLogger("sonoran_async")
_E = TypeVar("_E", bound=BaseException)

#: A 429 whose wait is unknown still waits this long at least, so waits add up.
_MIN_RATE_LIMIT_WAIT = 0.05


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (a number, or an HTTP date); None when it says nothing
    usable: absent, not a number, zero, negative, or a date in the past."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return seconds if math.isfinite(seconds) and seconds > 0 else None


#: A reset header at or above this is a Unix time, below it a number of seconds (as
#: Sonoran's own Lua client reads `RateLimit-Reset` and `X-RateLimit-Reset`).
_UNIX_TIME = 1e9


def parse_reset(value: str | None, now: float | None = None) -> float | None:
    """`RateLimit-Reset` / `X-RateLimit-Reset` as seconds to wait; None when unusable."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds >= _UNIX_TIME:
        seconds -= time.time() if now is None else now
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def wait_of(reply: Reply) -> float | None:
    """How long a 429 asks to wait: Retry-After, else RateLimit-Reset, else
    X-RateLimit-Reset; None if none of them says anything usable."""
    delay = parse_retry_after(reply.retry_after)
    if delay is None:
        delay = parse_reset(reply.rate_limit_reset)
    if delay is None:
        delay = parse_reset(reply.x_rate_limit_reset)
    return delay


class Delivery:
    def __init__(
        self,
        transport: Transport,
        limiter: Limiter,
        policy: RetryPolicy,
        counters: Counters,
        *,
        clock: Clock,
        secret: bytes,
        stopped: Callable[[], SonoranError | None],
        buckets: Mapping[str, str],
    ) -> None:
        self._transport = transport
        self._limiter = limiter
        self._policy = policy
        self._counters = counters
        self._clock = clock
        self._secret = secret.decode()  # cut out of every error text shown to people
        self._stopped = stopped  # the error that stopped the client, if one has
        self._buckets = buckets  # request type -> rate bucket (the wire's)

    def backoff(self, failures: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**failures)] (or the ceiling
        itself with `jitter=False`)."""
        ceiling = min(self._policy.max_delay, self._policy.base_delay * 2**failures)
        return random.uniform(0, ceiling) if self._policy.jitter else ceiling

    async def exchange(
        self, endpoint: Endpoint[Any, Any], body: RequestBody, batch: Batch
    ) -> Reply:
        """An internal request (a look-up): take its rate slot, then POST a v1 body to
        the endpoint's path (see `send`). Every request pays its budget."""
        bucket = self._buckets[endpoint.request_type]
        batch.waited += await self._limiter.acquire(bucket, self._policy.max_rate_limit_wait)
        return await self.send(
            endpoint, HttpRequest("POST", endpoint.path, body, JSON_HEADERS), batch
        )

    async def send(self, endpoint: Endpoint[Any, Any], request: HttpRequest, batch: Batch) -> Reply:
        """Send until there is an answer worth reading (2xx, 3xx, or a 4xx but 429), with
        the key already cut out of it. The batch's first rate slot is taken already.

        Raises TransportError, OutcomeUnknownError or RateLimitedError for the whole batch.
        """
        failures = 0
        limited = 0  # 429s in a row: each one without a usable wait waits longer
        counters = self._counters
        objects = len(batch.items)
        while True:
            if (stopped := self._stopped()) is not None:  # e.g. while backing off
                raise for_caller(stopped)
            counters.requests += 1
            counters.by_type[endpoint.request_type].requests += 1
            if logger.isEnabledFor(logging.DEBUG):
                shown = redacted(request.body) if request.body else ""
                logger.debug("%s %s (%d objects) %s", request.method, request.path, objects, shown)
            batch.on_wire = True  # stays True if the wait for the reply is cancelled
            try:
                reply = await self._transport.request(
                    request.method, request.path, request.body, request.headers
                )
            except TransportError as exc:
                batch.on_wire = False
                if exc.request_sent and endpoint.creates:
                    raise self._unknown(endpoint, objects, str(exc)) from exc
                failures += 1
                if failures >= self._policy.max_attempts:
                    raise
                await self._back_off(endpoint, batch, failures, str(exc))
                continue
            batch.on_wire = False
            status = reply.status
            if status == 429:
                await self._wait_out_429(endpoint, batch, reply, limited)
                limited += 1
                continue
            limited = 0
            if status < 500:
                return reply
            if endpoint.creates and status != 503:
                raise self._unknown(endpoint, objects, f"HTTP {status} after sending")
            failures += 1
            if failures >= self._policy.max_attempts:
                raise TransportError(
                    f"{endpoint.request_type}: HTTP {status} after {failures} attempts",
                    status=status,
                )
            await self._back_off(endpoint, batch, failures, f"HTTP {status}")

    def scrub(self, error: _E) -> _E:
        """`error` with the key cut out of its text (echoed by some servers)."""
        return scrub_error(error, self._secret)

    def _unknown(self, endpoint: Endpoint[Any, Any], objects: int, why: str) -> OutcomeUnknownError:
        return outcome_unknown(self._counters, endpoint, why, objects)

    async def _wait_out_429(
        self, endpoint: Endpoint[Any, Any], batch: Batch, reply: Reply, limited: int
    ) -> None:
        delay = wait_of(reply)
        if delay is None:  # no usable wait: grow with the 429s in a row, up to max_delay
            ceiling = min(
                self._policy.max_delay, self._policy.base_delay * 2 ** min(limited + 1, 30)
            )
            delay = random.uniform(ceiling / 2, ceiling) if self._policy.jitter else ceiling
            delay = max(delay, self._policy.base_delay)
        delay = max(delay, _MIN_RATE_LIMIT_WAIT)
        request_id = references(reply.body).get("request_id")  # Sonoran's, for a ticket
        allowed = self._policy.max_rate_limit_wait - batch.waited
        if delay > allowed:
            raise RateLimitedError(
                f"{endpoint.request_type}: still rate limited after {batch.waited:.1f}s of "
                f"waiting (the server asks for {delay:.1f}s more)",
                retry_after=delay,
                request_id=request_id,
            )
        self._counters.rate_limited += 1
        self._counters.by_type[endpoint.request_type].rate_limited += 1
        logger.warning(
            "%s: rate limited (429); waiting %.2fs%s",
            endpoint.request_type,
            delay,
            f" (request_id {request_id})" if request_id else "",
            extra={"sonoran_event": "rate_limited", "request_id": request_id},  # summed up
        )
        rate_limited(delay, request_id)  # an event on the batch's span
        bucket = self._buckets[endpoint.request_type]
        await self._limiter.rate_limited(bucket, delay)
        batch.waited += await self._limiter.acquire(bucket, allowed)

    async def _back_off(
        self, endpoint: Endpoint[Any, Any], batch: Batch, failures: int, why: str
    ) -> None:
        delay = self.backoff(failures)
        self._counters.retries += 1
        self._counters.by_type[endpoint.request_type].retries += 1
        logger.warning(
            "%s: %s; retry %d/%d in %.2fs",
            endpoint.request_type,
            why,
            failures,
            self._policy.max_attempts - 1,
            delay,
        )
        retry(why, failures, delay)  # an event on the batch's span
        await self._clock.sleep(delay)
        batch.waited += await self._limiter.acquire(
            self._buckets[endpoint.request_type],
            max(self._policy.max_rate_limit_wait - batch.waited, 0.0),
        )
