"""`ClientStats`: a frozen snapshot of what a client has done so far."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable

import attrs


@attrs.define
class TypeCounters:
    """Mutable running totals of one request type (the client's totals count them too)."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    outcome_unknown: int = 0
    reconciliations: int = 0
    batch_sizes: Counter[int] = attrs.Factory(Counter)


class PerType(dict[str, TypeCounters]):
    """Request type -> its `TypeCounters`, made on first use."""

    def __missing__(self, request_type: str) -> TypeCounters:
        counters = self[request_type] = TypeCounters()
        return counters


@attrs.define
class Counters:
    """Mutable running totals behind `SonoranClient.stats`."""

    requests: int = 0
    items: int = 0
    retries: int = 0
    rate_limited: int = 0
    resent: int = 0
    outcome_unknown: int = 0
    reconciliations: int = 0
    batch_sizes: Counter[int] = attrs.Factory(Counter)
    by_type: PerType = attrs.Factory(PerType)  # the same figures per request type


@attrs.frozen
class LaneReport:
    """One lane's part of `ClientStats` (`Lane.report()`)."""

    request_type: str
    queued: int
    in_flight: int
    multi_object: str
    fell_back: bool


@attrs.frozen(kw_only=True)
class TypeStats:
    """One request type's share of `ClientStats` (the same meanings, for this type)."""

    requests: int
    items: int
    retries: int
    rate_limited: int
    outcome_unknown: int
    reconciliations: int
    pending: int
    in_flight: int
    batch_sizes: dict[int, int]


@attrs.frozen(kw_only=True)
class ClientStats:
    """A snapshot of what the client has done so far."""

    requests: int  # HTTP requests sent, retries, re-sends and look-ups included
    items: int  # objects handed to the server (a retried batch counts once)
    retries: int  # re-sends after a transport failure or 5xx
    rate_limited: int  # 429 replies waited out
    resent: int  # objects re-sent alone after a reply that could not be matched to them
    outcome_unknown: int  # create objects that may or may not have been applied
    reconciliations: int  # ambiguous replies looked up through GET_CALLS
    pending: int  # queued, not yet sent
    in_flight: int  # requests awaiting a reply
    batch_sizes: dict[int, int]  # objects per request -> number of requests
    #: Per request type, how the server was seen to treat several objects in one request:
    #: per_item, first_only, all_one_line, all_then_400 or ambiguous (types not yet seen
    #: answering several objects are absent).
    multi_object: dict[str, str]
    #: Request types that send one object per request since an ambiguous reply.
    fallback_lanes: tuple[str, ...]
    #: The figures per request type, for every type this client can send (GET_CALLS
    #: includes the look-ups of reconciliations). `resent` is counted in all only.
    by_type: dict[str, TypeStats] = attrs.field(factory=dict)

    @property
    def mean_batch_size(self) -> float:
        batches = sum(self.batch_sizes.values())
        return self.items / batches if batches else 0.0

    @property
    def single_object_lanes(self) -> tuple[str, ...]:
        """Deprecated: `fallback_lanes`."""
        warnings.warn(
            "ClientStats.single_object_lanes is deprecated; use fallback_lanes",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.fallback_lanes

    @classmethod
    def of(cls, c: Counters, lanes: Iterable[LaneReport]) -> ClientStats:
        lanes = list(lanes)
        return cls(
            requests=c.requests,
            items=c.items,
            retries=c.retries,
            rate_limited=c.rate_limited,
            resent=c.resent,
            outcome_unknown=c.outcome_unknown,
            reconciliations=c.reconciliations,
            pending=sum(lane.queued for lane in lanes),
            in_flight=sum(lane.in_flight for lane in lanes),
            batch_sizes=dict(sorted(c.batch_sizes.items())),
            multi_object={
                lane.request_type: lane.multi_object
                for lane in lanes
                if lane.multi_object != "unknown"
            },
            fallback_lanes=tuple(lane.request_type for lane in lanes if lane.fell_back),
            by_type=_by_type(c.by_type, lanes),
        )


def _by_type(counts: PerType, lanes: list[LaneReport]) -> dict[str, TypeStats]:
    reports = {lane.request_type: lane for lane in lanes}
    stats: dict[str, TypeStats] = {}
    for name in sorted(reports.keys() | counts.keys()):
        c = counts.get(name) or TypeCounters()
        sizes = dict(sorted(c.batch_sizes.items()))
        lane = reports.get(name)
        stats[name] = TypeStats(
            requests=c.requests,
            items=sum(size * n for size, n in sizes.items()),
            retries=c.retries,
            rate_limited=c.rate_limited,
            outcome_unknown=c.outcome_unknown,
            reconciliations=c.reconciliations,
            pending=lane.queued if lane is not None else 0,
            in_flight=lane.in_flight if lane is not None else 0,
            batch_sizes=sizes,
        )
    return stats
