"""Property tests for the reply readers: whatever the server sends, they give a typed value,
an error the server stated, or "no proof", and nothing else."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sonoran_async import ApiError, Call911, CallsSnapshot, DispatchEdit, ProtocolError, Remove911
from sonoran_async._codec import parse_snapshot, reply_lines
from sonoran_async._endpoints import BY_TYPE
from sonoran_async._errors import error_from_text
from sonoran_async._outcomes import Proven, Refused, Unanswered, Unproven, read_reply
from sonoran_async._proof import NoProof, dispatch_created, emergency_call_added

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
def test_snapshot_keeps_every_call_whatever_comes_along(
    active: list[dict[str, Any]], calls: list[dict[str, Any]]
) -> None:
    document = {"activeCalls": active, "emergencyCalls": calls, "closedCalls": [], "new": 1}
    snapshot = parse_snapshot(document)  # an odd field never loses a call
    assert [c.call_id for c in snapshot.active_calls] == [c["callId"] for c in active]
    assert [c.call_id for c in snapshot.emergency_calls] == [c["callId"] for c in calls]
    assert all(c.raw == src for c, src in zip(snapshot.active_calls, active, strict=True))


line_text = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), min_size=1)
    .map(str.strip)
    .filter(bool)
)


@given(lines=st.lists(line_text, min_size=1, max_size=10), crlf=st.booleans())
def test_reply_lines_gives_back_the_lines(lines: list[str], crlf: bool) -> None:
    body = ("\r\n" if crlf else "\n").join(lines).encode()
    assert reply_lines(body) == lines


@given(call_id=st.integers(0, 10**12))
def test_created_ids_round_trip(call_id: int) -> None:
    assert emergency_call_added(f"EMERGENCY CALL ADDED ID: {call_id}", None) == call_id
    assert dispatch_created(f"NEW DISPATCH CREATED - ID: {call_id}", None) == call_id


@given(text=st.text())
def test_created_id_reader_gives_an_int_or_no_proof(text: str) -> None:
    with contextlib.suppress(NoProof):
        assert emergency_call_added(text, None) >= 0


@given(status=st.integers(200, 599), text=st.text())
def test_error_text_is_an_api_error_carrying_it_or_none(status: int, text: str) -> None:
    error = error_from_text(status, text)
    if error is not None:
        assert isinstance(error, ApiError)
        assert error.status == status and error.text == text.strip()


def _line(kind: str, call_id: int) -> str:
    return {
        "created": f"EMERGENCY CALL ADDED ID: {call_id}",
        "error": f"Server not found with ID: {call_id}",
        "prefixed": f"ERROR: Call not found with ID: {call_id}",
        "junk": "<html>Bad Gateway</html>",
        "blank": "",
        "proxy": "Cloudflare Ray ID: 7d1f",
    }[kind]


kinds = st.sampled_from(["created", "error", "prefixed", "junk", "blank", "proxy"])


@given(
    n=st.integers(1, 6),
    parts=st.lists(st.tuples(kinds, st.integers(0, 99)), max_size=8),
    status=st.sampled_from([200, 201, 204, 301, 307, 400, 404, 413]),
)
def test_read_reply_is_total_and_proves_only_with_the_documented_line(
    n: int, parts: list[tuple[str, int]], status: int
) -> None:
    requests = [Call911(caller=f"c{i}", location="x") for i in range(n)]
    body = "\n".join(_line(kind, call_id) for kind, call_id in parts).encode()
    reading = read_reply(BY_TYPE["CALL_911"], requests, status, body)
    assert len(reading.outcomes) == n
    lines = [_line(k, c) for k, c in parts if _line(k, c)]
    for index, outcome in enumerate(reading.outcomes):
        assert isinstance(outcome, Proven | Refused | Unproven | Unanswered)
        if isinstance(outcome, Proven):
            # Only a 2xx, one line per object, and this object's line the success line.
            assert 200 <= status < 300 and len(lines) == n
            assert lines[index] == f"EMERGENCY CALL ADDED ID: {outcome.value}"
        if isinstance(outcome, Unanswered):
            assert n > 1


@pytest.mark.parametrize(
    ("line", "proven"),
    [("DISPATCH CALL 5 UPDATED", True), ("DISPATCH CALL 99 UPDATED", False), ("OK", False)],
)
def test_edit_is_proven_only_by_a_line_naming_its_own_call(line: str, proven: bool) -> None:
    edit = DispatchEdit(call_id=5, title="x")
    (outcome,) = read_reply(BY_TYPE["EDIT_DISPATCH"], [edit], 200, line.encode()).outcomes
    assert isinstance(outcome, Proven) is proven


@pytest.mark.parametrize(
    ("status", "body", "proven"),
    [
        (200, b"API ID(s) set!", True),
        (200, b"", False),
        (200, b"<html>ok</html>", False),
        (204, b"", False),
        (302, b"Found", False),
        (200, b"Backend Service Reached", False),
        (200, b'{"ok": true}', False),
    ],
)
def test_remove_needs_a_plain_acknowledgement(status: int, body: bytes, proven: bool) -> None:
    (outcome,) = read_reply(BY_TYPE["REMOVE_911"], [Remove911(call_id=1)], status, body).outcomes
    assert isinstance(outcome, Proven) is proven
