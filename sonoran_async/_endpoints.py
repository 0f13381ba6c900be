"""The route table: every endpoint described once, as data, for both API versions.

A new endpoint is its request model (a `Request[Result]`), one row here (its v1 route and,
where v2 has the operation, its `V2Route`), its proof functions (`_proof.py`, and
`_proof_v2.py` when a v2 reply needs a new kind of proof) and, if wanted, a thin named
method on the client (`_methods.py`). The client's typing and dispatch, both wires,
batching, the rate buckets and their default budgets, retries and plan notes are derived
from the row.
"""

from __future__ import annotations

from typing import Any

from . import _live_proof, _proof, _proof_v2, _v2_live
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
)
from ._policies import BatchPolicy
from ._replies import CallsSnapshot
from ._rows import V1_BUCKET, Endpoint, Lookup, Merge, V2Route

#: The row's shape lives in `_rows`; it is read from here with the table.
__all__ = [
    "BY_TYPE",
    "ENDPOINTS",
    "FOR_REQUEST",
    "GET_CALLS",
    "V1_BUCKET",
    "Endpoint",
    "Lookup",
    "Merge",
    "V2Route",
    "describe_requests",
]
from ._units import ActiveUnitsQuery, UnitCommand, UnitPanicUpdate, UnitStatusUpdate

ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (
    Endpoint[Call911, int](
        "CALL_911",
        Call911,
        _proof.emergency_call_added,
        creates=True,
        plan=Plan.STANDARD,
        proof_all=_proof.emergency_calls_added,
        lookup=Lookup(CallType.EMERGENCY, ("caller", "location", "description", "isEmergency")),
        v2=V2Route(
            "POST",
            "v2/emergency/servers/{serverId}/calls/911",
            _proof_v2.created,
            per_minute=10,
            body=True,
        ),
    ),
    Endpoint[Remove911, None](
        "REMOVE_911",
        Remove911,
        _proof.acknowledged,
        creates=False,
        plan=Plan.STANDARD,
        v2=V2Route(
            "DELETE",
            "v2/emergency/servers/{serverId}/calls/911/{callId}",
            _proof_v2.names_own_call,
            per_minute=10,
        ),
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
            "v2/emergency/servers/{serverId}/calls",
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
            "v2/emergency/servers/{serverId}/dispatch-calls/close",
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
            "PATCH",
            "v2/emergency/servers/{serverId}/dispatch-calls/{callId}",
            _proof_v2.names_own_call,
            per_minute=10,
            body=True,
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
            "v2/emergency/servers/{serverId}/dispatch-calls",
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
        v2=V2Route(
            "POST", "v2/general/lookups", _live_proof.lookup, per_minute=30, build=_v2_live.lookup
        ),
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
        v2=V2Route(
            "POST",
            "v2/general/lookups/by-value",
            _live_proof.lookup,
            per_minute=30,
            build=_v2_live.lookup_int,
            budget_of="LOOKUP",  # one budget for the lookups
        ),
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
        v2=V2Route(
            "GET",
            "v2/civilian/characters",
            _live_proof.characters_v2,
            per_minute=10,
            build=_v2_live.characters,
        ),
    ),
    Endpoint[IdentifiersQuery, Any](
        "GET_IDENTIFIERS",
        IdentifiersQuery,
        _live_proof.account_identifiers,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
        v2=V2Route(
            "GET",
            "v2/emergency/accounts/{account}/identifiers",
            _live_proof.account_identifiers,
            per_minute=10,
            build=_v2_live.identifiers,
        ),
    ),
    Endpoint[ActiveUnitsQuery, Any](
        "GET_ACTIVE_UNITS",
        ActiveUnitsQuery,
        _live_proof.active_units,
        creates=False,
        plan=Plan.PLUS,
        merge=Merge.SINGLE_FLIGHT,
        json_reply=True,
        v2=V2Route(
            "GET",
            "v2/emergency/servers/{serverId}/units",
            _live_proof.active_units,
            per_minute=3,
            build=_v2_live.units,
        ),
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
        v2=V2Route(
            "PATCH",
            "v2/emergency/servers/{serverId}/units/status",
            _live_proof.v2_status_set,
            per_minute=30,
            build=_v2_live.commands,
            group=_v2_live.command_group,
        ),
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
        v2=V2Route(
            "PATCH",
            "v2/emergency/servers/{serverId}/units/panic",
            _live_proof.v2_panic_set,
            per_minute=20,
            build=_v2_live.commands,
            group=_v2_live.command_group,
        ),
    ),
)

FOR_REQUEST: dict[type[Any], Endpoint[Any, Any]] = {e.request: e for e in ENDPOINTS}
BY_TYPE: dict[str, Endpoint[Any, Any]] = {e.request_type: e for e in ENDPOINTS}

#: What reconciliation reads: the GET_CALLS row.
GET_CALLS: Endpoint[CallsQuery, CallsSnapshot] = BY_TYPE["GET_CALLS"]


def describe_requests() -> str:
    """`Call911, Remove911, ...`: the request models `submit()` takes, for error texts."""
    return ", ".join(e.request.__name__ for e in ENDPOINTS)
