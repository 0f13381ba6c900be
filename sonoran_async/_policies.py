"""The client's tuning knobs, as immutable attrs classes (all public)."""

from __future__ import annotations

from typing import Literal

import attrs


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value!r}")


def _not_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class BatchPolicy:
    """How calls of one request type are coalesced into one request.

    `max_items=1` turns coalescing off. With the default `max_delay=0` a lane flushes at
    the end of the loop tick in which items arrived: no latency floor, and everything
    gathered together goes out together.
    """

    max_items: int = attrs.field(default=100, validator=_positive)
    max_bytes: int = attrs.field(default=512 * 1024, validator=_positive)
    max_delay: float = attrs.field(default=0.0, validator=_not_negative)
    max_in_flight: int = attrs.field(default=4, validator=_positive)
    max_pending: int = attrs.field(default=10_000, validator=_positive)
    on_full: Literal["block", "error"] = attrs.field(
        default="block", validator=attrs.validators.in_(("block", "error"))
    )


@attrs.frozen(kw_only=True)
class RateLimit:
    """A token bucket shared by every request type of one client.

    Sonoran's only published guidance: no more than about one call per second sustained.
    """

    per_second: float = attrs.field(default=1.0, validator=_positive)
    burst: int = attrs.field(default=5, validator=_positive)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Retries for failed exchanges (full-jitter exponential backoff) and 429 waits."""

    max_attempts: int = attrs.field(default=5, validator=_positive)
    base_delay: float = attrs.field(default=0.25, validator=_not_negative)
    max_delay: float = attrs.field(default=10.0, validator=_not_negative)
    #: Total time one batch may spend waiting out 429s before its callers get
    #: RateLimitedError.
    max_rate_limit_wait: float = attrs.field(default=300.0, validator=_not_negative)
