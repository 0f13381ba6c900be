"""The client's tuning knobs, as immutable attrs classes (all public)."""

from __future__ import annotations

from typing import Literal

import attrs


@attrs.frozen(kw_only=True)
class BatchPolicy:
    """How calls of one request type are coalesced into one request.

    `max_items=1` turns coalescing off. With the default `max_delay=0` a lane flushes at
    the end of the loop tick in which items arrived: no latency floor, and everything
    gathered together goes out together.
    """

    max_items: int = attrs.field(default=100, validator=attrs.validators.gt(0))
    max_bytes: int = attrs.field(default=512 * 1024, validator=attrs.validators.gt(0))
    max_delay: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))
    max_in_flight: int = attrs.field(default=4, validator=attrs.validators.gt(0))
    max_pending: int = attrs.field(default=10_000, validator=attrs.validators.gt(0))
    on_full: Literal["block", "error"] = attrs.field(
        default="block", validator=attrs.validators.in_(("block", "error"))
    )
    #: An item still queued this many seconds after it was submitted fails with
    #: DeliveryTimeoutError and is never sent. None: no deadline.
    delivery_timeout: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.gt(0))
    )


@attrs.frozen(kw_only=True)
class RateLimit:
    """A token bucket shared by every request type of one client.

    Sonoran's only published guidance: no more than about one call per second sustained.
    """

    per_second: float = attrs.field(default=1.0, validator=attrs.validators.gt(0))
    burst: int = attrs.field(default=5, validator=attrs.validators.gt(0))


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Retries for failed exchanges (full-jitter exponential backoff) and 429 waits.

    `retry=None` on the client means no retries: one attempt, and a 429 fails at once.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.gt(0))
    base_delay: float = attrs.field(default=0.25, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=10.0, validator=attrs.validators.ge(0))
    #: Total time one batch may wait for the rate budget and out 429s before its callers
    #: get RateLimitedError.
    max_rate_limit_wait: float = attrs.field(default=300.0, validator=attrs.validators.ge(0))
    #: Full jitter (uniform up to the exponential ceiling); False waits the ceiling itself.
    jitter: bool = True


#: The metaData key under which a create carries the client's token (see ReconcilePolicy).
TOKEN_KEY = "sonoranAsyncToken"


@attrs.frozen(kw_only=True)
class ReconcilePolicy:
    """Finding out, through GET_CALLS, what the server did with creates it answered for
    ambiguously (one line for several objects, or one 400 for all of them).

    With `token_key`, every create carries a unique token in its metaData under that key
    (a token already there is kept), which makes the match exact; `token_key=None` sends
    no token and matches on the call's fields instead (a call with identical fields
    already on the server then makes the outcome unknown rather than a guess).
    `reconcile=None` on the client turns reconciliation off: such objects get
    OutcomeUnknownError and the lane sends one object per request from then on.

    Absence is proven, never assumed: an object missing from a snapshot is re-sent only
    if the snapshot echoes tokens and is fresh (an object sent after it in the same
    request shows, or two snapshots `recheck_after` seconds apart agree). At most
    `max_snapshots` GET_CALLS are made per server per ambiguous reply.
    """

    token_key: str | None = TOKEN_KEY
    recheck_after: float = attrs.field(default=2.0, validator=attrs.validators.ge(0))
    max_snapshots: int = attrs.field(default=3, validator=attrs.validators.ge(1))
