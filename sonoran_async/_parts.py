"""Putting one endpoint's parts together: its sender (with its settler, its habit and
the tokens its creates carry), its lane, and the `Route` `submit()` reads per call."""

from __future__ import annotations

from typing import Any

import attrs

from ._clock import Clock
from ._delivery import Delivery
from ._endpoints import Endpoint, Merge
from ._flow import PendingBudget
from ._habits import Habit
from ._lane import Lane
from ._policies import BatchPolicy
from ._ratelimit import Limiter
from ._reconcile import Reconciler
from ._sender import Sender
from ._settle import Settler
from ._state import Lifecycle
from ._stats import Counters
from ._tokens import Tokens
from ._wire import Encoder, Wire


@attrs.frozen
class Route:
    """Everything `submit()` needs about one request model, looked up once per call."""

    endpoint: Endpoint[Any, Any]
    lane: Lane
    #: The request's bytes as queued and its token: the wire's encoder for the endpoint.
    encode: Encoder
    single_flight: bool = attrs.field(init=False)
    #: Whether the lane reads items' ages (`max_delay`, `delivery_timeout`).
    stamps: bool = attrs.field(init=False)
    #: The largest encoded object that fits in one request under `max_bytes`.
    max_payload: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "single_flight", self.endpoint.merge is Merge.SINGLE_FLIGHT)
        object.__setattr__(self, "stamps", self.lane.reads_ages)
        object.__setattr__(self, "max_payload", self.lane.max_payload)


@attrs.frozen
class Parts:
    """What every endpoint's sender and lane share within one client."""

    wire: Wire
    delivery: Delivery
    reconciler: Reconciler | None
    tokens: Tokens | None  # None: creates carry no token (no reconciliation)
    counters: Counters
    lifecycle: Lifecycle
    limiter: Limiter
    pending: PendingBudget
    clock: Clock
    max_wait: float  # the retry policy's max_rate_limit_wait

    def route(self, endpoint: Endpoint[Any, Any], policy: BatchPolicy) -> Route:
        """`endpoint`'s sender and lane, batching under `policy`."""
        wire = self.wire
        marks = self.tokens if endpoint.lookup is not None else None  # creates found again
        sender = Sender(
            endpoint,
            wire,
            delivery=self.delivery,
            settler=Settler(endpoint, self.counters, self.lifecycle, self.delivery.scrub),
            habit=Habit(
                endpoint,
                learns=wire.learns_multi_object,
                reconcilable=endpoint.lookup is not None and self.reconciler is not None,
            ),
            reconciler=self.reconciler,
            counters=self.counters,
            tokens=marks,
        )
        lane = Lane(
            endpoint,
            wire.overhead(endpoint),
            policy,
            token_room=marks.room if marks is not None else 0,
            sender=sender,
            shares_requests=wire.coalesces(endpoint),
            limiter=self.limiter,
            bucket=wire.buckets[endpoint.request_type],
            max_wait=self.max_wait,
            pending=self.pending,
            clock=self.clock,
        )
        return Route(endpoint, lane, wire.encoder(endpoint, marks.key if marks else None))
