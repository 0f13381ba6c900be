"""The route table: every endpoint described once, as data.

A new endpoint is its request model (a `Request[Result]`), one row here and, if wanted, a
thin named method on the client. Everything else — the client's typing and dispatch,
batching, proof of success, retries, plan notes — is derived from the row.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import attrs

from . import _live_proof, _proof
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
from ._lookups import CharactersQuery, IdentifiersQuery, LookupIntQuery, LookupQuery
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
from ._units import ActiveUnitsQuery, UnitCommand, UnitPanicUpdate, UnitStatusUpdate

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
class Endpoint(Generic[RequestT, ResultT]):
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
    #: The path's last part, when it is not the request type in lower case.
    path_name: str | None = None
    #: For Merge.SINGLE_FLIGHT: whether an object may share a request (and a cache entry)
    #: with an identical one; None: always. A lookup that notifies a user may not.
    shares: Callable[[RequestT], bool] | None = None

    @property
    def path(self) -> str:
        return f"{self.category}/{self.path_name or self.request_type.lower()}"

    @property
    def idempotent(self) -> bool:
        return not self.creates


ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (
    Endpoint[Call911, int](
        "CALL_911",
        Call911,
        _proof.emergency_call_added,
        creates=True,
        plan=Plan.STANDARD,
        proof_all=_proof.emergency_calls_added,
        lookup=Lookup(CallType.EMERGENCY, ("caller", "location", "description", "isEmergency")),
    ),
    Endpoint[Remove911, None](
        "REMOVE_911", Remove911, _proof.acknowledged, creates=False, plan=Plan.STANDARD
    ),
    Endpoint[CallsQuery, CallsSnapshot](
        "GET_CALLS",
        CallsQuery,
        _proof.snapshot,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
    ),
    # Its page says STANDARD, Sonoran's restrictions table says PLUS.
    Endpoint[CloseCall, None](
        "CLOSE_CALL", CloseCall, _proof.acknowledged, creates=False, plan=Plan.STANDARD
    ),
    Endpoint[DispatchEdit, None](
        "EDIT_DISPATCH", DispatchEdit, _proof.dispatch_updated, creates=False, plan=Plan.PLUS
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
    # --- lookups, units and unit commands (issue #25; models in _lookups.py, _units.py) ---
    Endpoint[LookupQuery, Any](
        "LOOKUP",
        LookupQuery,
        _live_proof.lookup,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
        category="general",
        shares=lambda query: not query.notifies,
    ),
    Endpoint[LookupIntQuery, Any](
        "LOOKUP_INT",
        LookupIntQuery,
        _live_proof.lookup,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
        category="general",
        path_name="lookup_value",
        shares=lambda query: not query.notifies,
    ),
    Endpoint[CharactersQuery, Any](
        "GET_CHARACTERS",
        CharactersQuery,
        _live_proof.characters,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
        category="civilian",
    ),
    Endpoint[IdentifiersQuery, Any](
        "GET_IDENTIFIERS",
        IdentifiersQuery,
        _live_proof.account_identifiers,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
    ),
    Endpoint[ActiveUnitsQuery, Any](
        "GET_ACTIVE_UNITS",
        ActiveUnitsQuery,
        _live_proof.active_units,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
    ),
    Endpoint[UnitStatusUpdate, UnitCommand](
        "UNIT_STATUS",
        UnitStatusUpdate,
        _live_proof.unit_status_updated,
        creates=False,
        plan=Plan.STANDARD,
        merge=Merge.CONFLATE,
        conflate_key=UnitStatusUpdate.target,
        superseded=UnitCommand.SUPERSEDED,
        batch=BatchPolicy(max_delay=0.25, max_items=100),
    ),
    Endpoint[UnitPanicUpdate, UnitCommand](
        "UNIT_PANIC",
        UnitPanicUpdate,
        _live_proof.unit_panic_updated,
        creates=False,
        plan=Plan.STANDARD,
        merge=Merge.CONFLATE,
        conflate_key=UnitPanicUpdate.target,
        superseded=UnitCommand.SUPERSEDED,
        batch=BatchPolicy(max_delay=0.1, max_items=100),
    ),
)

FOR_REQUEST: dict[type[Any], Endpoint[Any, Any]] = {e.request: e for e in ENDPOINTS}
BY_TYPE: dict[str, Endpoint[Any, Any]] = {e.request_type: e for e in ENDPOINTS}

#: What reconciliation reads: the GET_CALLS row.
GET_CALLS: Endpoint[CallsQuery, CallsSnapshot] = BY_TYPE["GET_CALLS"]


def describe_requests() -> str:
    """`Call911, Remove911, ...`: the request models `submit()` takes, for error texts."""
    return ", ".join(e.request.__name__ for e in ENDPOINTS)
