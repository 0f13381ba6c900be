"""One request's journey: token, POST, and what to do about 429s, 5xx and broken links.

The rules (DESIGN.md, "Rate limits and retries"):
- 429: nothing was applied; wait Retry-After (or a jittered backoff), pause every lane,
  re-send the same body. Never drop, never report success.
- Not sent at all, or 502/503/504: retried for every request type.
- Maybe applied (timeout or reset after sending, or a 500): retried only for idempotent
  types; a create gets OutcomeUnknownError instead of a possible duplicate.
"""

from __future__ import annotations

import asyncio
import copy
import email.utils
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable

import attrs

from ._codec import redacted
from ._endpoints import Endpoint
from ._errors import ApiError, OutcomeUnknownError, RateLimitedError, TransportError
from ._policies import RetryPolicy
from ._ratelimit import Limiter
from ._transport import Reply, Transport

logger = logging.getLogger("sonoran_async")

_GATEWAY_BUSY = frozenset({502, 503, 504})
#: v1 publishes one budget for every request type of a community.
BUCKET = "v1"


@attrs.define
class Counters:
    """Mutable running totals behind `SonoranClient.stats`."""

    requests: int = 0
    items: int = 0
    retries: int = 0
    rate_limited: int = 0
    resent: int = 0
    outcome_unknown: int = 0
    batch_sizes: Counter[int] = attrs.Factory(Counter)


@attrs.define
class Attempt:
    """Whether a request of one exchange may be on the wire (sent, its reply not yet in).

    If the exchange is cut off (client closed) while it is not, nothing was applied:
    every earlier attempt ended in an answer or failure that means "not applied".
    """

    on_wire: bool = False


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


class Delivery:
    def __init__(
        self,
        transport: Transport,
        limiter: Limiter,
        policy: RetryPolicy,
        counters: Counters,
        fatal: Callable[[], ApiError | None],
    ) -> None:
        self._transport = transport
        self._limiter = limiter
        self._policy = policy
        self._counters = counters
        self._fatal = fatal  # the error that stopped the client, if one has

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**attempt)]."""
        ceiling = min(self._policy.max_delay, self._policy.base_delay * 2**attempt)
        return random.uniform(0, ceiling)

    async def exchange(
        self, endpoint: Endpoint, body: bytes, objects: int, attempt: Attempt
    ) -> Reply:
        """POST until there is an answer worth fanning out; the first token is taken already.

        Returns a 2xx or a non-429 4xx reply. Raises TransportError, OutcomeUnknownError
        or RateLimitedError for the whole batch.
        """
        failures = 0
        rate_waited = 0.0
        counters = self._counters
        counters.items += objects
        counters.batch_sizes[objects] += 1
        while True:
            if (stopped := self._fatal()) is not None:  # e.g. while backing off
                raise copy.copy(stopped)
            counters.requests += 1
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("POST %s (%d objects) %s", endpoint.path, objects, redacted(body))
            attempt.on_wire = True  # stays True if the wait for the reply is cancelled
            try:
                reply = await self._transport.post(endpoint.path, body)
            except TransportError as exc:
                attempt.on_wire = False
                if exc.request_sent and not endpoint.idempotent:
                    counters.outcome_unknown += objects
                    raise OutcomeUnknownError(
                        f"{endpoint.request_type}: {exc}; the request may have been applied, so it "
                        "was not re-sent (check GET_CALLS)"
                    ) from exc
                failures += 1
                if failures >= self._policy.max_attempts:
                    raise
                await self._retry_after_backoff(endpoint, failures, str(exc))
                continue

            attempt.on_wire = False
            status = reply.status
            if status == 429:
                delay = parse_retry_after(reply.retry_after)
                if delay is None:
                    delay = self.backoff(min(failures + 1, 6)) + self._policy.base_delay
                rate_waited += delay
                if rate_waited > self._policy.max_rate_limit_wait:
                    raise RateLimitedError(
                        f"{endpoint.request_type}: still rate limited after "
                        f"{rate_waited:.1f}s of waiting",
                        retry_after=delay,
                    )
                counters.rate_limited += 1
                logger.warning(
                    "%s: rate limited (429); waiting %.2fs", endpoint.request_type, delay
                )
                await self._limiter.rate_limited(BUCKET, delay)
                await self._limiter.acquire(BUCKET, math.inf)
                continue
            if status < 500:
                return reply
            if status not in _GATEWAY_BUSY and not endpoint.idempotent:
                counters.outcome_unknown += objects
                raise OutcomeUnknownError(
                    f"{endpoint.request_type}: HTTP {status} after sending; the request may have "
                    "been applied, so it was not re-sent (check GET_CALLS)"
                )
            failures += 1
            if failures >= self._policy.max_attempts:
                raise TransportError(
                    f"{endpoint.request_type}: HTTP {status} after {failures} attempts",
                    status=status,
                )
            await self._retry_after_backoff(endpoint, failures, f"HTTP {status}")

    async def _retry_after_backoff(self, endpoint: Endpoint, failures: int, why: str) -> None:
        delay = self.backoff(failures)
        self._counters.retries += 1
        logger.warning(
            "%s: %s; retry %d/%d in %.2fs",
            endpoint.request_type,
            why,
            failures,
            self._policy.max_attempts - 1,
            delay,
        )
        await asyncio.sleep(delay)
        await self._limiter.acquire(BUCKET, math.inf)
