"""Property tests for the reply parsers: whatever the server sends, they either give a
typed value or a ProtocolError/ApiError, never anything else."""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sonoran_async import ApiError, CallsSnapshot, ProtocolError
from sonoran_async._codec import parse_created_id, parse_snapshot, split_json, split_text
from sonoran_async._errors import error_from_reply

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
extra_keys = st.dictionaries(
    st.text(min_size=1, max_size=10).filter(lambda k: k not in {"callId"}), json_values, max_size=3
)
dispatch = st.builds(
    lambda cid, extra, status: {**extra, "callId": cid, "status": status, "title": "t"},
    st.integers(0, 10**9),
    extra_keys,
    st.integers(0, 50),
)
emergency = st.builds(
    lambda cid, extra: {**extra, "callId": cid, "caller": "c", "isEmergency": False},
    st.integers(0, 10**9),
    extra_keys,
)


@given(document=json_values)
def test_snapshot_parser_fails_only_with_protocol_error(document: Any) -> None:
    try:
        snapshot = parse_snapshot(document)
    except ProtocolError:
        return
    assert isinstance(snapshot, CallsSnapshot)


@given(active=st.lists(dispatch, max_size=5), calls=st.lists(emergency, max_size=5))
def test_snapshot_keeps_every_call_whatever_extra_keys_come_along(
    active: list[dict[str, Any]], calls: list[dict[str, Any]]
) -> None:
    document = {"activeCalls": active, "emergencyCalls": calls, "closedCalls": [], "new": 1}
    try:
        snapshot = parse_snapshot(document)
    except ProtocolError:
        # Only an extra key colliding with a modelled one, given a wrong type, may fail.
        modelled = {"notes", "idents", "metaData", "origin", "priority", "primary"}
        assert any(modelled & set(call) for call in active + calls)
        return
    assert [c.call_id for c in snapshot.active_calls] == [c["callId"] for c in active]
    assert [c.call_id for c in snapshot.emergency_calls] == [c["callId"] for c in calls]
    assert all(c.title == "t" for c in snapshot.active_calls)


line_text = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), min_size=1)
    .map(str.strip)
    .filter(bool)
)


@given(lines=st.lists(line_text, min_size=1, max_size=10), crlf=st.booleans())
def test_split_text_gives_back_the_lines(lines: list[str], crlf: bool) -> None:
    body = ("\r\n" if crlf else "\n").join(lines).encode()
    assert split_text(body) == lines


@given(
    documents=st.lists(
        st.dictionaries(st.text(max_size=5), st.integers(-(2**63), 2**63 - 1)), min_size=2
    )
)
def test_split_json_gives_one_part_per_snapshot(documents: list[dict[str, int]]) -> None:
    assert split_json(orjson.dumps(documents)) == documents


@given(call_id=st.integers(0, 10**12))
def test_created_ids_round_trip(call_id: int) -> None:
    assert parse_created_id(f"EMERGENCY CALL ADDED ID: {call_id}") == call_id
    assert parse_created_id(f"NEW DISPATCH CREATED - ID: {call_id}") == call_id


@given(text=st.text())
def test_created_id_parser_gives_an_int_or_protocol_error(text: str) -> None:
    with contextlib.suppress(ProtocolError):
        assert parse_created_id(text) >= 0


@given(status=st.integers(400, 599), text=st.text())
def test_any_error_text_maps_to_an_api_error_carrying_it(status: int, text: str) -> None:
    error = error_from_reply(status, text)
    assert isinstance(error, ApiError)
    assert error.status == status and error.text == text.strip()


@pytest.mark.parametrize("text", ["<html>502 Bad Gateway</html>", "OK", "ID: x"])
def test_replies_without_an_id_are_not_mistaken_for_one(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_created_id(text)
