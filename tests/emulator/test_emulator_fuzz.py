"""Hostile bodies at every request type and path: never a 5xx, never a dropped connection,
and every reply afterwards (GET_CALLS above all) still well-formed.

Bodies are enveloped (mostly with the right community, key and type, so they reach the
field checks), their objects built from each endpoint's valid shape with documented fields
set to random JSON: huge strings, deep nesting, 1e308, numbers past 64 bits, unicode,
random extra keys, random metaData. One emulator serves the whole module.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sonoran_async.emulator._handlers import HANDLERS, JSON_TYPES, ROUTES

from .threaded import ThreadedEmulator

PATHS = {t: f"/{category}/{name}" for (category, name), t in ROUTES.items()}
TYPES = sorted(HANDLERS)
SERVER_IDS = (1, 2)

#: Every field the v1 pages document for these endpoints (and Sonoran.js's `accounts`).
FIELDS = [
    "serverId", "callId", "isEmergency", "caller", "location", "description", "metaData",
    "deleteAfterMinutes", "origin", "status", "priority", "block", "address", "postal",
    "title", "code", "primary", "trackPrimary", "notes", "units", "accounts", "closedLimit",
    "closedOffset", "type", "apiId", "coordinates", "account", "identIds", "note", "label",
    "0", "1", "2", "3", "4", "5",
]  # fmt: skip

CALL_ID = "@@call-id@@"
#: The call each type's valid object needs, created before its request.
NEEDS = {
    "REMOVE_911": "CALL_911",
    **dict.fromkeys(
        ("EDIT_DISPATCH", "CLOSE_CALL", "ATTACH_UNIT", "ADD_CALL_NOTE", "SET_CALL_POSTAL",
         "SET_CALL_PRIMARY"),
        "NEW_DISPATCH",
    ),
}  # fmt: skip

#: A valid object per type; `CALL_ID` becomes a call created just before (see `NEEDS`).
VALID: dict[str, dict[str, Any]] = {
    "CALL_911": {"serverId": 1, "isEmergency": True, "caller": "c", "location": "l",
                 "description": "d"},
    "911_CALL": {"0": 1, "1": True, "2": "John Doe", "3": "here", "4": "Help!", "5": {}},
    "NEW_DISPATCH": {"serverId": "1", "title": "t", "priority": 2, "notes": [], "units": ["u"]},
    "EDIT_DISPATCH": {"serverId": 1, "callId": CALL_ID, "title": "edited"},
    "REMOVE_911": {"serverId": 1, "callId": CALL_ID},
    "CLOSE_CALL": {"serverId": 1, "callId": CALL_ID},
    "GET_CALLS": {"serverId": 1, "closedLimit": 100},
    "UNIT_LOCATION": {"apiId": "STEAM:1", "location": "x", "coordinates": {"x": 1, "y": 2}},
    "ATTACH_UNIT": {"serverId": 1, "callId": CALL_ID, "units": ["STEAM:1"]},
    "DETACH_UNIT": {"serverId": 1, "units": ["STEAM:1"]},
    "ADD_CALL_NOTE": {"serverId": 1, "callId": CALL_ID, "note": "n", "label": "A-10"},
    "SET_CALL_POSTAL": {"serverId": 1, "callId": CALL_ID, "postal": "321"},
    "SET_CALL_PRIMARY": {"serverId": 1, "callId": CALL_ID, "primary": 3, "trackPrimary": True},
    "GET_VERSION": {},
    "GET_SERVERS": {},
    "LOOKUP": {"first": "John", "last": "", "mi": "", "plate": "", "types": [2, 3]},
    "LOOKUP_INT": {"searchType": 3, "value": 1, "types": [2], "limit": 10, "offset": 0},
    "GET_CHARACTERS": {"apiId": "STEAM:1"},
    "GET_IDENTIFIERS": {"account": "acc-1"},
    "GET_ACTIVE_UNITS": {"serverId": 1, "onlyUnits": True, "limit": 100, "offset": 0},
    "UNIT_STATUS": {"apiId": "STEAM:1", "status": 2, "serverId": 1},
    "UNIT_PANIC": {"identIds": [1], "isPanic": True},
}  # fmt: skip

#: Spliced in after encoding: numbers orjson will not write (past 64 bits, huge exponents).
BIG_NUMBERS = {
    "@@big-int@@": b"123456789012345678901234567890123456789",
    "@@neg-big-int@@": b"-98765432109876543210987654321",
    "@@tiny@@": b"1e-400",
    "@@long-fraction@@": b"0." + b"1" * 500,
}


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=24)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 2**63 - 1, -(2**63), 2**64 - 1]),
    unicode_text,
    st.sampled_from(
        ["1", "2", "-1", "0", " 1", "0x10", "1e3", "9" * 30, "", "\x00", "🚓", "\u202e"]
    ),
    st.sampled_from(list(BIG_NUMBERS)),
)
edge_numbers = st.sampled_from(
    [
        "9" * 30, "18446744073709551616", "-9223372036854775809", "9223372036854775807",
        2**64 - 1, -(2**63), 1e308, -1e308, *BIG_NUMBERS,
    ]
)  # fmt: skip
huge = st.sampled_from(["x" * 65_536, "é" * 65_537, "y" * 200_000])
deep = st.integers(min_value=20, max_value=60).map(nested)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(unicode_text, children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def wild(draw: st.DrawFn) -> Any:
    """Any JSON; one value in 20 huge or deeply nested (either refuses the whole body)."""
    roll = draw(st.integers(0, 19))  # hypothesis favours the ends: those stay ordinary
    return draw(
        huge if roll == 7 else deep if roll == 13 else edge_numbers if roll in (4, 10, 16)
        else json_values
    )  # fmt: skip


meta_data = st.one_of(
    st.just([]), st.just({}), st.dictionaries(unicode_text, wild(), max_size=5), wild()
)
field_names = st.one_of(st.sampled_from(FIELDS), unicode_text)


@st.composite
def data_objects(draw: st.DrawFn, request_type: str) -> Any:
    """The type's valid object with random metaData, extra keys, or fields set to random
    values or left out (a few at a time, so many objects still pass the field checks)."""
    obj = dict(VALID[request_type])
    if draw(st.booleans()):
        obj["metaData"] = draw(meta_data)
    own_fields = st.sampled_from(sorted(obj) or FIELDS)
    if draw(st.booleans()):  # one of its own fields with a value of another type or size
        obj[draw(own_fields)] = draw(st.one_of(edge_numbers, scalars, wild()))
    for _ in range(draw(st.integers(0, 2))):
        obj[draw(st.one_of(own_fields, field_names))] = draw(wild())
    if obj and draw(st.integers(0, 5)) == 3:
        del obj[draw(st.sampled_from(sorted(obj)))]
    return obj


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, bytes, bool]:
    """A request type, an enveloped body, and whether to send it gzipped."""
    request_type = draw(st.sampled_from(TYPES))

    def one_object() -> Any:
        return draw(wild() if draw(st.integers(0, 11)) == 5 else data_objects(request_type))

    objects = [one_object() for _ in range(draw(st.integers(1, 4)))]
    roll = draw(st.integers(0, 11))
    data = (
        [objects] if roll == 3  # Sonoran.js's nested form
        else [] if roll == 5
        else draw(wild()) if roll == 8
        else objects
    )  # fmt: skip
    envelope: dict[str, Any] = {
        "id": draw(st.sampled_from(["demo"] * 8 + ["other", ""])),
        "key": draw(st.sampled_from(["demo-key"] * 8 + ["wrong", None])),
        "type": draw(st.sampled_from([request_type] * 8 + [draw(st.sampled_from(TYPES))])),
        "data": data,
    }
    if draw(st.booleans()):
        envelope.update(draw(st.dictionaries(unicode_text, wild(), max_size=2)))
    body = orjson.dumps(envelope)
    for marker, number in BIG_NUMBERS.items():
        body = body.replace(b'"' + marker.encode() + b'"', number)
    return request_type, body, draw(st.integers(0, 9)) == 4


GET_EVERY_CALL = orjson.dumps(
    {"id": "demo", "key": "demo-key", "type": "GET_CALLS", "data": [{"closedLimit": 100}]}
)


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedEmulator]:
    emulator = ThreadedEmulator(plan="SONORAN ONE", server_ids=SERVER_IDS)
    yield emulator
    emulator.close()


def create(server: ThreadedEmulator, request_type: str) -> int:
    body = {"id": "demo", "key": "demo-key", "type": request_type, "data": [VALID[request_type]]}
    status, text = server.exchange(PATHS[request_type], orjson.dumps(body))
    assert status == 200, text
    return int(text.rsplit(" ", 1)[1])


def check_reply(path: str, status: int, text: str) -> None:
    assert status < 500, (path, status, text[:200])
    request_type = ROUTES[tuple(path.strip("/").split("/"))]  # type: ignore[index]
    if status == 200 and request_type in JSON_TYPES:
        assert isinstance(orjson.loads(text), dict | list)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(request=requests())
def test_hostile_bodies_never_5xx_nor_drop_the_connection(
    server: ThreadedEmulator, request: tuple[str, bytes, bool]
) -> None:
    request_type, body, gzipped = request
    if request_type in NEEDS:
        call_id = create(server, NEEDS[request_type])
        body = body.replace(f'"{CALL_ID}"'.encode(), str(call_id).encode())
    headers = {"Content-Type": "application/json"}
    if gzipped:
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    path = PATHS[request_type]
    status, text = server.exchange(path, body, headers)  # a dropped connection raises
    check_reply(path, status, text)
    if status == 200:  # something may have been stored: it must not break a later reply
        status, text = server.exchange(PATHS["GET_CALLS"], GET_EVERY_CALL)
        assert status == 200 and isinstance(orjson.loads(text), dict), text[:200]


def test_after_the_fuzzing_every_reply_is_still_well_formed(server: ThreadedEmulator) -> None:
    """Runs after the fuzz test (same module, same emulator): whatever it stored, every
    server's GET_CALLS, GET_SERVERS and GET_VERSION still answer."""
    stats = server.emu.stats
    assert stats.requests > 300
    assert len(stats.per_type) >= 12, stats.per_type  # the bodies got past the envelope
    for sid in SERVER_IDS:
        for call_type in (0, 1, 100):
            query = {"serverId": sid, "closedLimit": 100, "type": call_type}
            body = {"id": "demo", "key": "demo-key", "type": "GET_CALLS", "data": [query]}
            status, text = server.exchange(PATHS["GET_CALLS"], orjson.dumps(body))
            assert status == 200, text[:200]
            assert set(orjson.loads(text)) == {"activeCalls", "emergencyCalls", "closedCalls"}
    for request_type in ("GET_SERVERS", "GET_VERSION"):
        body = {"id": "demo", "key": "demo-key", "type": request_type, "data": []}
        assert server.exchange(PATHS[request_type], orjson.dumps(body))[0] == 200


@pytest.mark.parametrize("value", ["9" * 30, "9223372036854775808", 2**64 - 1, -(2**63) - 1])
@pytest.mark.parametrize("field", ["primary", "callId", "serverId"])
def test_ids_past_64_bits_are_refused_not_stored(
    server: ThreadedEmulator, field: str, value: object
) -> None:
    """An id stored past 64 bits made every later GET_CALLS a 500 (orjson cannot write it)."""
    call_id = create(server, "NEW_DISPATCH")
    obj = {"serverId": 1, "callId": call_id, "primary": 3, field: "@@value@@"}
    body = {"id": "demo", "key": "demo-key", "type": "SET_CALL_PRIMARY", "data": [obj]}
    literal = orjson.dumps(value) if isinstance(value, str) else str(value).encode()
    raw = orjson.dumps(body).replace(b'"@@value@@"', literal)  # orjson writes no int < -2**63
    assert server.exchange(PATHS["SET_CALL_PRIMARY"], raw) == (
        400,
        f"ERROR: Invalid field {field}: must be an integer",
    )
    status, text = server.exchange(PATHS["GET_CALLS"], GET_EVERY_CALL)
    assert status == 200, text[:200]
