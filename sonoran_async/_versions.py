"""Choosing an API version: its wire and its default rate budget, checked once."""

from __future__ import annotations

from typing import Any, Protocol

from ._clock import Clock
from ._policies import RateLimit, V2Budgets
from ._ratelimit import CommunityBound, GuardedLimiter, Limiter, LocalLimiter
from ._transport import Transport
from ._v2 import V2Wire
from ._wire import V1Wire, Wire


class HeldKey(Protocol):
    """The API key in a holder whose repr hides it (no frame local shows the key)."""

    value: str


def wire_for(
    api_version: int,
    community_id: str,
    key: HeldKey,
    server_id: int,
    transport: Transport | None,
) -> Wire:
    if api_version == 1:
        return V1Wire(community_id, key.value, server_id)
    if api_version != 2:
        raise ValueError(f"api_version must be 1 or 2, got {api_version!r}")
    if transport is not None and not callable(getattr(transport, "request", None)):
        raise TypeError("api_version=2 needs a transport with request(method, path, body, headers)")
    return V2Wire(key.value, server_id)


def limiter_for(
    rate_limit: Any, wire: Wire, clock: Clock, *, unset: Any, community_id: str
) -> Limiter:
    """The limiter for `rate_limit`; `unset` means the version's own default (v1: about
    one request a second for everything; v2: the published per-operation limits). A
    shared limiter that keys its budget by community is told the client's id."""
    v2 = isinstance(wire, V2Wire)
    if rate_limit is unset:
        rate_limit = V2Budgets() if v2 else RateLimit()
    if isinstance(rate_limit, V2Budgets):
        if not v2:
            raise TypeError("V2Budgets is for api_version=2; v1 takes a RateLimit")
        rates = {wire.buckets[name]: rate for name, rate in rate_limit.rates().items()}
        return LocalLimiter(None, clock, per_bucket=rates)
    if rate_limit is None or isinstance(rate_limit, RateLimit):
        return LocalLimiter(rate_limit, clock)
    if isinstance(rate_limit, CommunityBound):
        rate_limit.bind(community_id)
    return GuardedLimiter(rate_limit)  # its failures fail callers, never a lane
