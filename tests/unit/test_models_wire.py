"""Request models: construction, the exact wire shape of the seeds, and round trips."""

from __future__ import annotations

from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sonoran_async import (
    Call911,
    CallNote,
    CallsQuery,
    CallStatus,
    CallType,
    CloseCall,
    DispatchEdit,
    NewDispatch,
    Origin,
    Remove911,
    ValidationError,
)
from sonoran_async._codec import converter, encode_object


def wire(request: Any, default_server_id: int = 1) -> dict[str, Any]:
    decoded = orjson.loads(encode_object(request, default_server_id)[0])
    assert isinstance(decoded, dict)
    return decoded


# --- CALL_911 ---------------------------------------------------------------------------


def test_call911_seed_example_encodes_exactly() -> None:
    call = Call911(
        server_id=1,
        is_emergency=True,
        caller="John Doe",
        location="1234 E. Test St.",
        description="Help, someone is breaking into my house!",
        meta_data={"someKey": "someValue", "x": 1000, "y": 1000},
        delete_after_minutes=30,
    )
    assert wire(call) == {
        "serverId": 1,
        "isEmergency": True,
        "caller": "John Doe",
        "location": "1234 E. Test St.",
        "description": "Help, someone is breaking into my house!",
        "metaData": {"someKey": "someValue", "x": 1000, "y": 1000},
        "deleteAfterMinutes": 30,
    }


def test_call911_unset_optionals_absent_and_default_server_filled() -> None:
    call = Call911(caller="Jane", location="Main St", description="Fire", is_emergency=False)
    assert call.server_id is None
    assert wire(call, default_server_id=7) == {
        "serverId": 7,
        "isEmergency": False,
        "caller": "Jane",
        "location": "Main St",
        "description": "Fire",
    }


def test_call911_explicit_server_id_wins_over_client_default() -> None:
    call = Call911(caller="Jane", location="Main St", server_id=3)
    assert wire(call, default_server_id=7)["serverId"] == 3


def test_call911_server_id_zero_is_sent_not_replaced() -> None:
    assert (
        wire(Call911(caller="a", location="b", server_id=0), default_server_id=7)["serverId"] == 0
    )


def test_call911_defaults() -> None:
    call = Call911(caller="a", location="b")
    assert (call.description, call.is_emergency, call.meta_data) == ("", True, None)
    assert call.delete_after_minutes is None


def test_models_are_frozen() -> None:
    call = Call911(caller="a", location="b")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        call.caller = "c"


# --- EDIT_DISPATCH -------------------------------------------------------------------------


def test_dispatch_edit_seed_example_encodes_exactly() -> None:
    edit = DispatchEdit(
        server_id=1,
        call_id=123,
        origin=Origin.CALLER,
        status=CallStatus.ACTIVE,
        priority=2,
        block="123",
        address="4234 E. Example Ave",
        postal="456",
        title="Traffic Stop",
        code="10-39 - Traffic Stop",
        primary=123,
        track_primary=True,
        description="Traffic Stop - Blue Sedan - XP123BS",
        meta_data={"someKey": "someValue"},
    )
    assert wire(edit) == {
        "serverId": 1,
        "callId": 123,
        "origin": 0,
        "status": 1,
        "priority": 2,
        "block": "123",
        "address": "4234 E. Example Ave",
        "postal": "456",
        "title": "Traffic Stop",
        "code": "10-39 - Traffic Stop",
        "primary": 123,
        "trackPrimary": True,
        "description": "Traffic Stop - Blue Sedan - XP123BS",
        "metaData": {"someKey": "someValue"},
    }


def test_dispatch_edit_sends_only_ids_and_fields_set() -> None:
    assert wire(DispatchEdit(call_id=42, title="Felony Stop")) == {
        "serverId": 1,
        "callId": 42,
        "title": "Felony Stop",
    }


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"track_primary": False}, {"trackPrimary": False}),
        ({"block": ""}, {"block": ""}),
        ({"origin": Origin.CALLER}, {"origin": 0}),
        ({"status": CallStatus.PENDING}, {"status": 0}),
        ({"primary": 0}, {"primary": 0}),
    ],
)
def test_dispatch_edit_falsy_values_that_were_set_are_sent(
    kwargs: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert wire(DispatchEdit(call_id=5, server_id=2, **kwargs)) == {
        "serverId": 2,
        "callId": 5,
        **expected,
    }


def test_dispatch_edit_refuses_no_editable_field() -> None:
    with pytest.raises(ValidationError) as info:
        DispatchEdit(call_id=5)
    assert info.value.field == "DispatchEdit"
    assert "at least one editable field" in str(info.value)


def test_dispatch_edit_server_id_alone_is_not_an_edit() -> None:
    with pytest.raises(ValidationError):
        DispatchEdit(call_id=5, server_id=2)


# --- the others ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Remove911, CloseCall])
def test_remove_and_close_encode_server_and_call_id(model: type[Any]) -> None:
    assert wire(model(call_id=100)) == {"serverId": 1, "callId": 100}
    assert wire(model(call_id=1, server_id=4)) == {"serverId": 4, "callId": 1}


def test_calls_query_defaults_and_type_renamed() -> None:
    assert wire(CallsQuery()) == {
        "serverId": 1,
        "closedLimit": 10,
        "closedOffset": 0,
        "type": 100,
    }


def test_calls_query_call_type_goes_out_as_type() -> None:
    body = wire(
        CallsQuery(closed_limit=100, closed_offset=20, call_type=CallType.DISPATCH, server_id=2)
    )
    assert body == {"serverId": 2, "closedLimit": 100, "closedOffset": 20, "type": 0}
    assert "callType" not in body


def test_new_dispatch_notes_and_units_on_the_wire() -> None:
    dispatch = NewDispatch(
        title="Traffic Stop",
        origin=Origin.RADIO_DISPATCH,
        status=CallStatus.ACTIVE,
        priority=2,
        block="123",
        address="4234 E. Example Ave",
        postal="456",
        code="10-39",
        description="Blue sedan",
        notes=[CallNote(time="12:00:00", label="A-10", content="Suspect fled")],
        units=["api-id-1", "api-id-2"],
    )
    assert dispatch.notes == (CallNote(time="12:00:00", label="A-10", content="Suspect fled"),)
    assert dispatch.units == ("api-id-1", "api-id-2")
    assert wire(dispatch) == {
        "serverId": 1,
        "title": "Traffic Stop",
        "origin": 1,
        "status": 1,
        "priority": 2,
        "block": "123",
        "address": "4234 E. Example Ave",
        "postal": "456",
        "code": "10-39",
        "description": "Blue sedan",
        "notes": [{"time": "12:00:00", "label": "A-10", "type": "text", "content": "Suspect fled"}],
        "units": ["api-id-1", "api-id-2"],
    }


def test_new_dispatch_optional_fields_sent_only_when_set() -> None:
    body = wire(
        NewDispatch(
            title="T", primary=9, track_primary=False, meta_data={"k": 1}, delete_after_minutes=5
        )
    )
    assert body["primary"] == 9
    assert body["trackPrimary"] is False
    assert body["metaData"] == {"k": 1}
    assert body["deleteAfterMinutes"] == 5
    bare = wire(NewDispatch(title="T"))
    for key in ("primary", "trackPrimary", "metaData", "deleteAfterMinutes"):
        assert key not in bare
    assert bare["notes"] == [] and bare["units"] == []


def test_encode_names_the_field_json_cannot_carry() -> None:
    with pytest.raises(ValidationError) as info:
        encode_object(Call911(caller="a", location="b", meta_data={"x": object()}), 1)
    assert info.value.field == "meta_data"
    with pytest.raises(ValidationError) as info:
        encode_object(Call911(caller="a", location="b", delete_after_minutes=2**70), 1)
    assert info.value.field == "delete_after_minutes"


# --- property: encode -> JSON -> structure gives the same model ---------------------------

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_json = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_meta = st.none() | st.dictionaries(st.text(max_size=8), _json, max_size=4)
_non_empty = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != "")
_server = st.none() | st.integers(min_value=0, max_value=2**31)
_big = st.integers(min_value=1, max_value=2**63 - 1)


@st.composite
def call911s(draw: st.DrawFn) -> Call911:
    return Call911(
        caller=draw(_non_empty),
        location=draw(_non_empty),
        description=draw(st.text(max_size=40)),
        is_emergency=draw(st.booleans()),
        meta_data=draw(_meta),
        delete_after_minutes=draw(st.none() | _big),
        server_id=draw(_server),
    )


_EDIT_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "origin": st.sampled_from(list(Origin)),
    "status": st.sampled_from(list(CallStatus)),
    "priority": st.integers(1, 3),
    "block": st.text(max_size=10),
    "address": st.text(max_size=10),
    "postal": st.text(max_size=10),
    "title": st.text(max_size=10),
    "code": st.text(max_size=10),
    "primary": st.integers(0, 2**31),
    "track_primary": st.booleans(),
    "description": st.text(max_size=10),
    "meta_data": st.dictionaries(st.text(max_size=8), _json, max_size=3),
}


@st.composite
def dispatch_edits(draw: st.DrawFn) -> DispatchEdit:
    chosen = draw(st.sets(st.sampled_from(sorted(_EDIT_VALUES)), min_size=1))
    fields = {name: draw(_EDIT_VALUES[name]) for name in chosen}
    return DispatchEdit(call_id=draw(st.integers(0, 2**63 - 1)), server_id=draw(_server), **fields)


def _with_default_server(model: Any, default: int) -> Any:
    return model if model.server_id is not None else attrs.evolve(model, server_id=default)


@settings(max_examples=150, deadline=None)
@given(call=call911s(), default=st.integers(0, 50))
def test_call911_round_trip(call: Call911, default: int) -> None:
    body = wire(call, default)
    back = converter.structure(body, Call911)
    assert back == _with_default_server(call, default)
    optional = {"metaData": call.meta_data, "deleteAfterMinutes": call.delete_after_minutes}
    for key, value in optional.items():
        assert (key in body) == (value is not None)


@settings(max_examples=150, deadline=None)
@given(edit=dispatch_edits(), default=st.integers(0, 50))
def test_dispatch_edit_round_trip_and_only_set_fields(edit: DispatchEdit, default: int) -> None:
    body = wire(edit, default)
    back = converter.structure(body, DispatchEdit)
    assert back == _with_default_server(edit, default)
    set_fields = {
        f.name
        for f in attrs.fields(DispatchEdit)
        if f.name not in ("call_id", "server_id") and getattr(edit, f.name) is not None
    }
    camel = {"track_primary": "trackPrimary", "meta_data": "metaData"}
    assert set(body) == {"serverId", "callId"} | {camel.get(n, n) for n in set_fields}
