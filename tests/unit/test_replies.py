"""Reply parsing: GET_CALLS snapshots, created ids, reply splitting."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from sonoran_async import (
    CallNote,
    CallsSnapshot,
    CallStatus,
    DispatchCall,
    EmergencyCall,
    Origin,
    ProtocolError,
)
from sonoran_async._codec import parse_snapshot, redacted, reply_lines
from sonoran_async._proof import NoProof, dispatch_created, emergency_call_added

# The object structures exactly as the GET_CALLS seed shows them.
SEED_DISPATCH: dict[str, Any] = {
    "callId": -1,
    "origin": 0,
    "status": 0,
    "priority": 1,
    "block": "123",
    "address": "4234 E. Example Ave",
    "postal": "456",
    "title": "Traffic Stop",
    "code": "10-39 - Traffic Stop",
    "description": "Traffic Stop - Blue Sedan - XP123BS",
    "notes": [],
    "idents": [1, 2, 3],
}
SEED_EMERGENCY: dict[str, Any] = {
    "callId": -1,
    "isEmergency": False,
    "caller": "John Doe",
    "location": "1234 E. Test Ave",
    "description": "Help, my cat is stuck in a tree!",
}
EXPECTED_DISPATCH = DispatchCall(
    call_id=-1,
    origin=Origin.CALLER,
    status=CallStatus.PENDING,
    priority=1,
    block="123",
    address="4234 E. Example Ave",
    postal="456",
    title="Traffic Stop",
    code="10-39 - Traffic Stop",
    description="Traffic Stop - Blue Sedan - XP123BS",
    notes=(),
    idents=(1, 2, 3),
)
EXPECTED_EMERGENCY = EmergencyCall(
    call_id=-1,
    is_emergency=False,
    caller="John Doe",
    location="1234 E. Test Ave",
    description="Help, my cat is stuck in a tree!",
)


def test_seed_snapshot_parses_to_typed_models() -> None:
    closed = dict(SEED_DISPATCH, callId=7, status=2)
    snap = parse_snapshot(
        {
            "activeCalls": [SEED_DISPATCH],
            "emergencyCalls": [SEED_EMERGENCY],
            "closedCalls": [closed],
        }
    )
    assert isinstance(snap, CallsSnapshot)
    assert snap.active_calls == (EXPECTED_DISPATCH,)
    assert snap.emergency_calls == (EXPECTED_EMERGENCY,)
    assert snap.closed_calls[0].call_id == 7
    assert snap.closed_calls[0].status is CallStatus.CLOSED
    assert type(snap.active_calls[0].origin) is Origin


def test_empty_seed_reply() -> None:
    assert parse_snapshot({"activeCalls": [], "emergencyCalls": [], "closedCalls": []}) == (
        CallsSnapshot()
    )


def test_unknown_extra_keys_are_tolerated_everywhere() -> None:
    dispatch = dict(
        SEED_DISPATCH,
        metaData={"x": 1},
        primary=12,
        trackPrimary=True,
        updated="2026-01-01T00:00:00Z",
        someFutureField={"nested": [1]},
    )
    emergency = dict(SEED_EMERGENCY, metaData={"k": "v"}, brandNew=3)
    snap = parse_snapshot(
        {
            "activeCalls": [dispatch],
            "emergencyCalls": [emergency],
            "closedCalls": [],
            "serverTime": 1234,
            "pagination": {"next": 2},
        }
    )
    call = snap.active_calls[0]
    assert (call.primary, call.track_primary, call.meta_data, call.updated) == (
        12,
        True,
        {"x": 1},
        "2026-01-01T00:00:00Z",
    )
    assert call.title == "Traffic Stop"
    assert snap.emergency_calls[0].meta_data == {"k": "v"}
    assert snap.emergency_calls[0].caller == "John Doe"


def test_missing_optional_keys_get_defaults() -> None:
    snap = parse_snapshot({"activeCalls": [{"callId": 5}], "emergencyCalls": [{"callId": 6}]})
    assert snap.active_calls == (DispatchCall(call_id=5),)
    call = snap.active_calls[0]
    assert (call.origin, call.status, call.priority, call.title, call.notes, call.idents) == (
        Origin.CALLER,
        CallStatus.PENDING,
        1,
        "",
        (),
        (),
    )
    assert call.primary is None and call.meta_data is None
    assert snap.emergency_calls == (EmergencyCall(call_id=6),)
    assert snap.closed_calls == ()


def test_missing_top_level_arrays_give_empty_tuples() -> None:
    assert parse_snapshot({}) == CallsSnapshot()
    assert parse_snapshot({"emergencyCalls": [SEED_EMERGENCY]}).active_calls == ()


def test_unknown_enum_values_are_kept_as_lenient_members() -> None:
    snap = parse_snapshot({"activeCalls": [dict(SEED_DISPATCH, origin=7, status=9)]})
    call = snap.active_calls[0]
    assert call.origin == Origin(7)
    assert isinstance(call.origin, Origin)
    assert call.origin.value == 7
    assert call.origin.name == "UNKNOWN_7"
    assert isinstance(call.status, CallStatus)
    assert call.status.value == 9
    # Known values still come back as the real members.
    assert (
        parse_snapshot({"activeCalls": [dict(SEED_DISPATCH, origin=3)]}).active_calls[0].origin
        is Origin.WALK_UP
    )


def test_notes_structure_into_call_notes() -> None:
    note = {"time": "12:00:00", "label": "A-10", "type": "text", "content": "On scene", "x": 1}
    snap = parse_snapshot({"activeCalls": [dict(SEED_DISPATCH, notes=[note])]})
    assert snap.active_calls[0].notes == (
        CallNote(time="12:00:00", label="A-10", type="text", content="On scene"),
    )


def test_parse_snapshot_does_not_mutate_its_input() -> None:
    document = {"activeCalls": [SEED_DISPATCH], "emergencyCalls": [SEED_EMERGENCY]}
    before = copy.deepcopy(document)
    parse_snapshot(document)
    assert document == before


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "Backend Service Reached",
        42,
        [],
        [{"activeCalls": []}, {"activeCalls": []}],
        {"message": "API rate limit exceeded"},
        {"activeCalls": "nope"},
        {"activeCalls": [{"origin": 1}]},  # no callId
        {"activeCalls": [{"callId": "abc"}]},
        {"activeCalls": [{"callId": 5.7}]},  # never truncated to 5
    ],
)
def test_garbage_is_a_protocol_error(garbage: Any) -> None:
    with pytest.raises(ProtocolError):
        parse_snapshot(garbage)


def test_a_field_that_does_not_fit_keeps_the_call() -> None:
    odd = dict(SEED_DISPATCH, origin="CALLER", idents=["a"], priority="high", postal=1234)
    snap = parse_snapshot({"activeCalls": [odd], "emergencyCalls": [None]})
    (call,) = snap.active_calls
    assert (call.origin, call.idents, call.priority) == (None, None, None)
    assert call.postal == "1234"  # a number where text belongs is read as its text
    assert call.raw == odd and call.title == SEED_DISPATCH["title"]
    assert snap.emergency_calls == ()


def test_a_one_snapshot_array_is_a_snapshot() -> None:
    assert parse_snapshot([{"activeCalls": []}]) == CallsSnapshot()


# --- created ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EMERGENCY CALL ADDED ID: 12", 12),
        ("EMERGENCY CALL ADDED ID: 0", 0),
        ("emergency  call added id:98765", 98765),
    ],
)
def test_emergency_call_added(text: str, expected: int) -> None:
    assert emergency_call_added(text, None) == expected


def test_dispatch_created() -> None:
    assert dispatch_created("NEW DISPATCH CREATED - ID: 345", None) == 345
    assert dispatch_created("new dispatch created -id: 7", None) == 7


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Backend Service Reached",
        "EMERGENCY CALL ADDED ID: ",
        "API ID(s) set!",
        "Server not found with ID: 3",
        "Cloudflare Ray ID: 7d1f1234",
        "EMERGENCY CALL ADDED ID: 5.7",
        "EMERGENCY CALL ADDED ID: 5 (and more)",
        "<html>EMERGENCY CALL ADDED ID: 5</html>",
    ],
)
def test_no_proof_without_the_whole_documented_line(text: str) -> None:
    with pytest.raises(NoProof):
        emergency_call_added(text, None)
    with pytest.raises(NoProof):
        dispatch_created(text, None)


# --- splitting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        (b"EMERGENCY CALL ADDED ID: 1", ["EMERGENCY CALL ADDED ID: 1"]),
        (b"A\nB\nC\n", ["A", "B", "C"]),
        (
            b"A\r\nERROR: Server not found with ID: 3\r\n",
            ["A", "ERROR: Server not found with ID: 3"],
        ),
        (b"A\n\nB", ["A", "B"]),  # blank lines are tolerated
        (b"", []),
        (b" \n \n", []),
        (b"caf\xc3\xa9\n\xff", ["caf\u00e9", "\ufffd"]),
    ],
)
def test_reply_lines(body: bytes, lines: list[str]) -> None:
    assert reply_lines(body) == lines


def test_redacted_body_hides_key() -> None:
    body = orjson.dumps({"id": "c", "key": "SECRET-KEY", "type": "CALL_911", "data": []})
    text = redacted(body)
    assert "SECRET-KEY" not in text
    assert orjson.loads(text) == {"id": "c", "key": "***", "type": "CALL_911", "data": []}
    assert "SECRET" not in redacted(b"not json SECRET")
