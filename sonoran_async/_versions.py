"""Choosing an API version: its wire and its default rate budget, checked once.

This is the one place that knows which wires exist; everything else asks the wire.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol, cast

import attrs

from ._clock import Clock
from ._endpoints import ENDPOINTS
from ._policies import RateLimit
from ._ratelimit import CommunityBound, GuardedLimiter, Limiter, LocalLimiter
from ._transport import PostOnly, PostTransport, Transport
from ._v2 import V2Wire
from ._wire import V1Wire, Wire

#: Sonoran's published per-key limits of the v2 operations, requests per minute, read
#: from the endpoint table (`V2Route.per_minute`).
_PUBLISHED: Mapping[str, float] = {
    e.request_type: e.v2.per_minute
    for e in ENDPOINTS
    if e.v2 is not None and e.v2.budget_of is None  # one budget per operation that has one
}


@attrs.frozen(init=False)
class V2Budgets:
    """Requests per minute for each v2 operation: Sonoran's published per-key limits.

    v2 limits every operation separately, so the client keeps one budget (rate bucket)
    per operation. Override one by its request type in lower case:
    `V2Budgets(call_911=8, get_calls=4)`; the others keep their published limit.
    `burst=1` spaces requests evenly, which no window-based limit of the same rate
    refuses; raise it only if the server's limit is known to allow bursts.
    """

    #: Request type (CALL_911, ...) -> requests per minute.
    per_minute: Mapping[str, float]
    burst: int

    def __init__(self, *, burst: int = 1, **per_minute: float) -> None:
        unknown = sorted(name for name in per_minute if name.upper() not in _PUBLISHED)
        if unknown:
            raise TypeError(f"V2Budgets() got unknown v2 operations: {', '.join(unknown)}")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst <= 0:
            raise ValueError(f"'burst' must be an int > 0: {burst!r}")
        for name, rate in per_minute.items():
            if not rate > 0:
                raise ValueError(f"'{name}' must be > 0: {rate!r}")
        rates = {kind: per_minute.get(kind.lower(), rate) for kind, rate in _PUBLISHED.items()}
        self.__attrs_init__(MappingProxyType(rates), burst)

    def __getattr__(self, name: str) -> float:
        """`budgets.call_911`: one operation's requests per minute (as before the table)."""
        try:
            rates: Mapping[str, float] = object.__getattribute__(self, "per_minute")
        except AttributeError:
            raise AttributeError(name) from None
        if not name.islower() or name.upper() not in rates:
            raise AttributeError(name)
        return rates[name.upper()]

    def rates(self) -> dict[str, RateLimit]:
        """Request type (CALL_911, ...) -> its rate."""
        return {
            kind: RateLimit(per_second=rate / 60, burst=self.burst)
            for kind, rate in self.per_minute.items()
        }


class HeldKey(Protocol):
    """The API key in a holder whose repr hides it (no frame local shows the key)."""

    value: str


def wire_for(api_version: int, community_id: str, key: HeldKey, server_id: int) -> Wire:
    if api_version == 1:
        return V1Wire(community_id, key.value, server_id)
    if api_version != 2:
        raise ValueError(f"api_version must be 1 or 2, got {api_version!r}")
    return V2Wire(key.value, server_id)


def transport_for(given: Transport | PostTransport, wire: Wire) -> Transport:
    """A caller's transport behind the one entry point, `request()`. One with only
    `post()` still works for v1 (deprecated); v2 needs `request()`."""
    if callable(getattr(given, "request", None)):
        return cast(Transport, given)
    if wire.api_version != 1:
        raise TypeError("api_version=2 needs a transport with request(method, path, body, headers)")
    warnings.warn(
        "a transport with only post(path, body) is deprecated; give it "
        "request(method, path, body, headers) (the one entry point)",
        DeprecationWarning,
        stacklevel=3,
    )
    return PostOnly(cast(PostTransport, given))


def limiter_for(
    rate_limit: Any, wire: Wire, clock: Clock, *, unset: Any, community_id: str
) -> Limiter:
    """The limiter for `rate_limit`; `unset` means the version's own default (v1: about
    one request a second for everything; v2: the published per-operation limits). A
    shared limiter that keys its budget by community is told the client's id."""
    v2 = wire.api_version == 2
    if rate_limit is unset:
        rate_limit = V2Budgets() if v2 else RateLimit()
    if isinstance(rate_limit, V2Budgets):
        if not v2:
            raise TypeError("V2Budgets is for api_version=2; v1 takes a RateLimit")
        rates = {f"v2:{name}": rate for name, rate in rate_limit.rates().items()}
        return LocalLimiter(None, clock, per_bucket=rates)
    if rate_limit is None or isinstance(rate_limit, RateLimit):
        return LocalLimiter(rate_limit, clock)
    if isinstance(rate_limit, CommunityBound):
        rate_limit.bind(community_id)
    return GuardedLimiter(rate_limit)  # its failures fail callers, never a lane
