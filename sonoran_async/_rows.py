"""The shape of a row of the endpoint table (`_endpoints.py`): `Endpoint`, its v2 route
(`V2Route`), how calls merge (`Merge`) and how a create is found again (`Lookup`)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Mapping, Sequence
from string import Formatter
from typing import Any, Generic, TypeVar

import attrs

from ._enums import CallType, Plan
from ._models import Request
from ._policies import BatchPolicy

RequestT = TypeVar("RequestT", bound=Request[Any])
ResultT = TypeVar("ResultT")


class Merge(enum.Enum):
    """How concurrent calls of one endpoint may share a request."""

    #: Several callers' objects in one `data` array, one reply line each.
    COALESCE = "coalesce"
    #: Never merged; identical concurrent objects share one request and its result.
    SINGLE_FLIGHT = "single_flight"
    #: Coalesced, and of several objects with the same `conflate_key` waiting in one
    #: window only the newest is sent; the others resolve with `superseded`.
    CONFLATE = "conflate"


@attrs.frozen
class Lookup:
    """Where GET_CALLS lists what a create made, and the wire fields that identify it when
    no token does (reconciliation, `_reconcile.py`)."""

    call_type: CallType
    fields: tuple[str, ...]


@attrs.frozen
class V2Route:
    """Where v2 has an operation: its REST route, as data.

    The path template is relative to the base URL; its `{fields}` are wire names filled
    from the request (serverId defaults to the client's). `query` names the wire fields
    sent in the query string. A body is the object's other fields (`body=True`), or, with
    `gather=(field, key)`, `{key: [field of each object]}`: several callers' objects in one
    request. A route whose request does not map field for field onto v2 (lookups, unit
    commands) gives its own `build` instead, and `group` says which of its objects may share
    a request. The proof reads the reply's JSON document for one object.
    """

    method: str
    path: str
    #: Reads the reply document for one object into its result, or raises `NoProof`.
    proof: Callable[[Any, Any], Any]
    #: Sonoran's published limit for this operation, per key, in requests per minute.
    per_minute: float
    query: tuple[str, ...] = ()
    body: bool = False
    gather: tuple[str, str] | None = None
    #: Fields v2 always wants in the body, whatever the object says.
    constant: Mapping[str, Any] = attrs.field(factory=dict)
    #: Fields v2 cannot take, and why (a request that sets one is refused at submit).
    unsupported: Mapping[str, str] = attrs.field(factory=dict)
    #: (the requests of one HTTP request, the client's server id) -> (method, path, body):
    #: for a request the fields above cannot describe (`method` and `path` then document).
    build: Callable[[Sequence[Any], int], tuple[str, str, bytes | None]] | None = None
    #: With `build`: what makes objects share one request (None: one request each).
    group: Callable[[Any, int], Hashable] | None = None
    #: Another operation whose budget (rate bucket) this one spends (one for all lookups).
    budget_of: str | None = None

    @property
    def path_fields(self) -> tuple[str, ...]:
        """The wire names the path template fills in (serverId always)."""
        names = (name for _, name, _, _ in Formatter().parse(self.path) if name)
        return tuple(dict.fromkeys(("serverId", *names)))


#: v1 publishes one budget for every request type of a community: one rate bucket.
V1_BUCKET = "v1"


@attrs.frozen
class Endpoint(Generic[RequestT, ResultT]):
    """One endpoint: its v1 route (`POST <category>/<request type>`, the objects in the
    envelope's `data` array, the fields below) and its v2 route (`v2`), if v2 has it."""

    request_type: str
    request: type[RequestT]
    #: Reads one object's reply part into its result, or raises `_proof.NoProof`.
    proof: Callable[[Any, RequestT], ResultT]
    #: A create (CALL_911, NEW_DISPATCH): a re-send could make a second call, so nothing
    #: unproven is ever re-sent without proof that it was not applied.
    creates: bool
    plan: Plan
    merge: Merge = Merge.COALESCE
    json_reply: bool = False
    #: Optional fast path: the results of a reply that proves every object at once
    #: (`(body, count) -> results`), or None to read it line by line.
    proof_all: Callable[[bytes, int], list[ResultT] | None] | None = None
    #: Documented to apply every object and answer ONE line: that line proves them all.
    one_line_for_all: bool = False
    #: For Merge.CONFLATE: what makes two objects updates of the same thing, and the
    #: result of the one dropped for a newer one.
    conflate_key: Callable[[RequestT], Hashable] | None = None
    superseded: Any = None
    #: GET_VERSION sends an empty `data` array.
    sends_data: bool = True
    #: This endpoint's own batching, unless the client is given one for it.
    batch: BatchPolicy | None = None
    #: How to find a create again through GET_CALLS; None: it cannot be.
    lookup: Lookup | None = None
    category: str = "emergency"
    #: The v1 path's last part, when it is not the request type in lower case.
    path_name: str | None = None
    #: For Merge.SINGLE_FLIGHT: whether an object may share a request (and a cache entry)
    #: with an identical one; None: always. A lookup that notifies a user may not.
    shares: Callable[[RequestT], bool] | None = None
    #: The v2 route, or None where v2 has no such operation.
    v2: V2Route | None = None

    @property
    def path(self) -> str:
        """The v1 path."""
        return f"{self.category}/{self.path_name or self.request_type.lower()}"

    @property
    def plan_needed(self) -> str:
        """`<TYPE> needs the <PLAN> plan or higher`, for error notes."""
        return f"{self.request_type} needs the {self.plan.name.replace('_', ' ')} plan or higher"

    def bucket(self, api_version: int) -> str:
        """The rate bucket of this endpoint's requests: v1 shares one budget, v2 limits
        every operation on its own."""
        if api_version == 1:
            return V1_BUCKET
        return (
            f"v2:{self.v2.budget_of or self.request_type}" if self.v2 else f"v2:{self.request_type}"
        )
