"""The route table: every endpoint described once, as data, for both API versions.

A new endpoint is its request model (a `Request[Result]`), one row here (its v1 route and,
where v2 has the operation, its `V2Route`), its proof functions (`_proof.py`, and
`_proof_v2.py` when a v2 reply needs a new kind of proof) and, if wanted, a thin named
method on the client (`_methods.py`). The client's typing and dispatch, both wires,
batching, the rate buckets and their default budgets, retries and plan notes are derived
from the row.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Mapping
from string import Formatter
from typing import Any, Generic, TypeVar

import attrs

from . import _proof, _proof_v2
from ._bridge import (
    AddCallNote,
    AttachUnits,
    DetachUnits,
    LocationUpdate,
    SetCallPostal,
    SetCallPrimary,
    UnitLocation,
    VersionQuery,
)
from ._enums import CallType, Plan
from ._models import (
    Call911,
    CallsQuery,
    CloseCall,
    DispatchEdit,
    NewDispatch,
    Remove911,
    Request,
)
from ._policies import BatchPolicy
from ._replies import CallsSnapshot

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

    The path template is relative to `v2/emergency/servers/{serverId}/`; its `{fields}`
    are wire names filled from the request (serverId defaults to the client's). `query`
    names the wire fields sent in the query string. A body is the object's other fields
    (`body=True`), or, with `gather=(field, key)`, `{key: [field of each object]}`: the one
    route where several callers' objects share a request. The proof reads the reply's JSON
    document for one object (`_proof_v2`).
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

    @property
    def path_fields(self) -> tuple[str, ...]:
        """The wire names the path template fills in (serverId always)."""
        return ("serverId", *(name for _, name, _, _ in Formatter().parse(self.path) if name))


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
    #: The v2 route, or None where v2 has no such operation.
    v2: V2Route | None = None

    @property
    def path(self) -> str:
        """The v1 path."""
        return f"{self.category}/{self.request_type.lower()}"

    @property
    def plan_needed(self) -> str:
        """`EDIT_DISPATCH needs the PLUS plan or higher`, for error notes."""
        return f"{self.request_type} needs the {self.plan.name.replace('_', ' ')} plan or higher"

    def bucket(self, api_version: int) -> str:
        """The rate bucket of this endpoint's requests: v1 shares one budget, v2 limits
        every operation on its own."""
        return V1_BUCKET if api_version == 1 else f"v2:{self.request_type}"


ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (
    Endpoint[Call911, int](
        "CALL_911",
        Call911,
        _proof.emergency_call_added,
        creates=True,
        plan=Plan.STANDARD,
        proof_all=_proof.emergency_calls_added,
        lookup=Lookup(CallType.EMERGENCY, ("caller", "location", "description", "isEmergency")),
        v2=V2Route("POST", "calls/911", _proof_v2.created, per_minute=10, body=True),
    ),
    Endpoint[Remove911, None](
        "REMOVE_911",
        Remove911,
        _proof.acknowledged,
        creates=False,
        plan=Plan.STANDARD,
        v2=V2Route("DELETE", "calls/911/{callId}", _proof_v2.names_own_call, per_minute=10),
    ),
    Endpoint[CallsQuery, CallsSnapshot](
        "GET_CALLS",
        CallsQuery,
        _proof.snapshot,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
        v2=V2Route(
            "GET",
            "calls",
            _proof_v2.snapshot,
            per_minute=5,
            query=("closedLimit", "closedOffset", "type"),
        ),
    ),
    # Its page says STANDARD, Sonoran's restrictions table says PLUS. v2 closes many
    # calls in one request: `{"callIds": [...]}`.
    Endpoint[CloseCall, None](
        "CLOSE_CALL",
        CloseCall,
        _proof.acknowledged,
        creates=False,
        plan=Plan.STANDARD,
        v2=V2Route(
            "POST",
            "dispatch-calls/close",
            _proof_v2.listed_in_call_ids,
            per_minute=20,
            gather=("callId", "callIds"),
        ),
    ),
    # v2: a metaData sent replaces the stored one.
    Endpoint[DispatchEdit, None](
        "EDIT_DISPATCH",
        DispatchEdit,
        _proof.dispatch_updated,
        creates=False,
        plan=Plan.PLUS,
        v2=V2Route(
            "PATCH", "dispatch-calls/{callId}", _proof_v2.names_own_call, per_minute=10, body=True
        ),
    ),
    Endpoint[NewDispatch, int](
        "NEW_DISPATCH",
        NewDispatch,
        _proof.dispatch_created,
        creates=True,
        plan=Plan.PLUS,
        lookup=Lookup(
            CallType.DISPATCH, ("title", "address", "postal", "code", "description", "priority")
        ),
        # v2 requires a target: an unassigned call (no community users).
        v2=V2Route(
            "POST",
            "dispatch-calls",
            _proof_v2.created,
            per_minute=20,
            body=True,
            constant={"communityUserIds": []},
            unsupported={"units": "v2 attaches no units by API id; leave units empty for v2"},
        ),
    ),
    # Sonoran: "group updates ... send every few seconds"; its one line proves them all.
    Endpoint[UnitLocation, LocationUpdate](
        "UNIT_LOCATION",
        UnitLocation,
        _proof.unit_location_updated,
        creates=False,
        plan=Plan.STANDARD,
        merge=Merge.CONFLATE,
        one_line_for_all=True,
        conflate_key=lambda update: update.api_id,
        superseded=LocationUpdate.SUPERSEDED,
        batch=BatchPolicy(max_delay=5.0, max_items=500),
    ),
    Endpoint[AttachUnits, None](
        "ATTACH_UNIT", AttachUnits, _proof.units_attached, creates=False, plan=Plan.PLUS
    ),
    Endpoint[DetachUnits, None](
        "DETACH_UNIT", DetachUnits, _proof.units_detached, creates=False, plan=Plan.PLUS
    ),
    # A note re-sent after an ambiguous answer could be added twice: a create.
    Endpoint[AddCallNote, None](
        "ADD_CALL_NOTE", AddCallNote, _proof.note_added, creates=True, plan=Plan.PLUS
    ),
    Endpoint[SetCallPostal, None](
        "SET_CALL_POSTAL", SetCallPostal, _proof.postal_set, creates=False, plan=Plan.PLUS
    ),
    Endpoint[SetCallPrimary, None](
        "SET_CALL_PRIMARY", SetCallPrimary, _proof.primary_set, creates=False, plan=Plan.PLUS
    ),
    Endpoint[VersionQuery, Plan](
        "GET_VERSION",
        VersionQuery,
        _proof.version,
        creates=False,
        plan=Plan.FREE,
        merge=Merge.SINGLE_FLIGHT,
        sends_data=False,
        category="general",
    ),
)

FOR_REQUEST: dict[type[Any], Endpoint[Any, Any]] = {e.request: e for e in ENDPOINTS}
BY_TYPE: dict[str, Endpoint[Any, Any]] = {e.request_type: e for e in ENDPOINTS}

#: What reconciliation reads: the GET_CALLS row.
GET_CALLS: Endpoint[CallsQuery, CallsSnapshot] = BY_TYPE["GET_CALLS"]


def describe_requests() -> str:
    """`Call911, Remove911, ...`: the request models `submit()` takes, for error texts."""
    return ", ".join(e.request.__name__ for e in ENDPOINTS)
