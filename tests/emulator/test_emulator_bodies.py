"""Bad bodies get a clear 4xx, never a 500, and the server keeps serving."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sonoran_async.emulator import Emulator

from .threaded import ThreadedEmulator

OBJ = {"serverId": 1, "isEmergency": False, "caller": "c", "location": "l", "description": "d"}
ENVELOPE = {"id": "demo", "key": "demo-key", "type": "CALL_911"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "ERROR: Invalid JSON body"),
        (b"", "ERROR: Invalid JSON body"),
        (b"\xff\xfe", "ERROR: Invalid JSON body"),
        (b"[1, 2]", "ERROR: Request body must be a JSON object"),
        (b'"text"', "ERROR: Request body must be a JSON object"),
        (
            orjson.dumps(ENVELOPE),
            "ERROR: Missing field data: must be an array of request objects",
        ),
        (
            orjson.dumps({**ENVELOPE, "data": {"serverId": 1}}),
            "ERROR: Invalid field data: must be an array of request objects",
        ),
        (
            orjson.dumps({**ENVELOPE, "data": []}),
            "ERROR: Invalid field data: must contain at least one request object",
        ),
        (
            orjson.dumps({**ENVELOPE, "data": [OBJ, 5]}),
            "ERROR: Invalid field data[1]: must be a JSON object",
        ),
    ],
)
async def test_bad_bodies(sonoran_emulator: Emulator, api: Any, body: bytes, expected: str) -> None:
    url = sonoran_emulator.url + "/emergency/call_911"
    r = await api.raw(url, body)
    assert (r.status, r.text) == (400, expected)
    assert sonoran_emulator.state.log == []
    r = await api.post(sonoran_emulator, "CALL_911", [OBJ])
    assert (r.status, r.text) == (200, "EMERGENCY CALL ADDED ID: 1")


async def test_oversize_body_413(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(max_body_bytes=2000)
    big = orjson.dumps({**ENVELOPE, "data": [OBJ] * 40})
    assert len(big) > 2000
    r = await api.raw(emu.url + "/emergency/call_911", big)
    assert (r.status, r.text) == (413, "ERROR: Request body too large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked upload
        for i in range(0, len(big), 500):
            yield big[i : i + 500]

    r = await api.raw(emu.url + "/emergency/call_911", chunks())
    assert (r.status, r.text) == (413, "ERROR: Request body too large")
    assert emu.state.log == []
    r = await api.post(emu, "CALL_911", [OBJ])
    assert r.status == 200


# --- hypothesis: random bodies against one emulator running in a background thread ---


@pytest.fixture(scope="module")
def threaded() -> Iterator[ThreadedEmulator]:
    server = ThreadedEmulator(server_ids=(1, 2))
    yield server
    server.close()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "serverId",
    "callId",
    "isEmergency",
    "caller",
    "location",
    "description",
    "metaData",
    "deleteAfterMinutes",
    "origin",
    "status",
    "priority",
    "block",
    "address",
    "postal",
    "title",
    "code",
    "primary",
    "trackPrimary",
    "notes",
    "units",
    "closedLimit",
    "closedOffset",
    "type",
]
small_values = st.one_of(
    st.integers(min_value=-3, max_value=120),
    st.sampled_from(["1", "2", "x", "", "-1", "9" * 30]),
    json_values,
)
TYPE_NAMES = ["CALL_911", "REMOVE_911", "GET_CALLS", "CLOSE_CALL", "EDIT_DISPATCH", "NEW_DISPATCH"]
VALID: dict[str, dict[str, Any]] = {
    "CALL_911": OBJ,
    "NEW_DISPATCH": {"serverId": "1", "title": "t", "priority": 2, "notes": [], "units": ["u"]},
    "EDIT_DISPATCH": {"serverId": 1, "callId": 1, "title": "edited"},
    "REMOVE_911": {"serverId": 1, "callId": 2},
    "CLOSE_CALL": {"serverId": 1, "callId": 3},
    "GET_CALLS": {},
}
changes = st.dictionaries(st.sampled_from(FIELDS), small_values, max_size=2)
random_objects = st.dictionaries(st.sampled_from(FIELDS), small_values, max_size=8)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, bytes]:
    """A path and a body: random bytes, random JSON, or an envelope with mutated objects."""
    path = draw(st.sampled_from(TYPE_NAMES))
    kind = draw(st.sampled_from(["bytes", "json", "envelope", "envelope", "envelope"]))
    if kind == "bytes":
        return path, draw(st.binary(max_size=200))
    if kind == "json":
        return path, orjson.dumps(draw(json_values))
    objects = st.one_of(
        changes.map(lambda c: {**VALID[path], **c}),
        st.just(VALID[path]),
        st.just(VALID[path]),
        random_objects,
        json_values,
    )
    envelope: dict[str, Any] = {
        "id": draw(st.sampled_from(["demo", "demo", "demo", "other"])),
        "key": draw(st.sampled_from(["demo-key", "demo-key", "demo-key", "bad"])),
        "type": draw(st.sampled_from([path] * 6 + ["X", draw(st.sampled_from(TYPE_NAMES))])),
        "data": draw(st.one_of(*[st.lists(objects, min_size=1, max_size=5)] * 3, json_values)),
    }
    dropped = draw(st.sampled_from([None] * 8 + ["id", "key", "type", "data"]))
    if dropped is not None:
        del envelope[dropped]
    return path, orjson.dumps(envelope)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_random_bodies_never_5xx(threaded: ThreadedEmulator, request: tuple[str, bytes]) -> None:
    path, body = request
    status = threaded.post("/emergency/" + path.lower(), body)
    assert 200 <= status < 500, (status, body)


def test_random_bodies_reach_the_object_checks(threaded: ThreadedEmulator) -> None:
    """The fuzzing is not vacuous: its bodies get past the envelope and apply objects."""
    stats = threaded.emu.stats
    requests_before, objects_before = stats.requests, stats.objects

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(request=requests())
    def fire(request: tuple[str, bytes]) -> None:
        path, body = request
        threaded.post("/emergency/" + path.lower(), body)

    fire()
    assert stats.requests - requests_before >= 100
    assert stats.objects > objects_before
    assert len(stats.per_type) >= 3, stats
