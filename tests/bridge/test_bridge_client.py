"""The bridge endpoints through the client, against an in-memory server that answers the
way Sonoran documents them (the emulator's own tests cover it separately)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sonoran_async import (
    AddCallNote,
    AttachUnits,
    BatchPolicy,
    Coordinates,
    DetachUnits,
    EndpointNotEnabledError,
    LocationUpdate,
    Plan,
    ProtocolError,
    Reply,
    SetCallPrimary,
    SonoranClient,
    UnitLocation,
    ValidationError,
)


class BridgeServer:
    """Answers each request type with its documented text; records every body."""

    def __init__(self, plan: str = "3 - PLUS") -> None:
        self.plan = plan
        self.bodies: list[dict[str, Any]] = []
        self.override: bytes | None = None

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        envelope = orjson.loads(bytes(body))
        self.bodies.append(envelope)
        await asyncio.sleep(0)
        if self.override is not None:
            return Reply(200, self.override)
        kind, data = envelope["type"], envelope["data"]
        if kind == "UNIT_LOCATION":
            return Reply(200, b"UNIT LOCATION UPDATED")
        if kind == "GET_VERSION":
            return Reply(200, self.plan.encode())
        lines: dict[str, Callable[[dict[str, Any]], str]] = {
            "ATTACH_UNIT": lambda o: "UNITS ATTACHED",
            "DETACH_UNIT": lambda o: "UNITS DETACHED",
            "ADD_CALL_NOTE": lambda o: f"NOTE '{o['note']}' added to call #{o['callId']}",
            "SET_CALL_POSTAL": lambda o: f"CALL {o['callId']} POSTAL SET TO {o['postal']}",
            "SET_CALL_PRIMARY": lambda o: f"CALL {o['callId']} PRIMARY SET",
        }
        return Reply(200, "\n".join(lines[kind](o) for o in data).encode())

    async def aclose(self) -> None:
        return None

    def sent(self, kind: str) -> list[dict[str, Any]]:
        return [o for body in self.bodies if body["type"] == kind for o in body["data"]]


def client(server: BridgeServer, **kwargs: Any) -> SonoranClient:
    return SonoranClient("demo", "demo-key", transport=server, rate_limit=None, **kwargs)


QUICK = {"UNIT_LOCATION": BatchPolicy(max_delay=0.01, max_items=500)}


async def test_unit_locations_are_grouped_and_one_line_proves_them_all() -> None:
    server = BridgeServer()
    async with client(server, batch_overrides=QUICK) as cad:
        updates = [
            UnitLocation(
                api_id=f"STEAM:{i}", location=f"{i} Alta St", coordinates=Coordinates(x=i, y=2.5)
            )
            for i in range(50)
        ]
        results = await asyncio.gather(*(cad.unit_location(u) for u in updates))
    assert results == [LocationUpdate.SENT] * 50
    assert [b["type"] for b in server.bodies] == ["UNIT_LOCATION"]  # one request
    assert server.sent("UNIT_LOCATION")[0] == {
        "apiId": "STEAM:0",
        "location": "0 Alta St",
        "coordinates": {"x": 0, "y": 2.5},
    }


async def test_newer_update_of_the_same_unit_supersedes_the_queued_one() -> None:
    server = BridgeServer()
    policy = BatchPolicy(max_delay=0.05)
    async with client(server, batch_overrides={"UNIT_LOCATION": policy}) as cad:
        first = await cad.submit(UnitLocation(api_id="STEAM:1", location="old"))
        other = await cad.submit(UnitLocation(api_id="STEAM:2", location="two"))
        newest = await cad.submit(UnitLocation(api_id="STEAM:1", location="new"))
        assert first.done() and first.result() is LocationUpdate.SUPERSEDED
        assert await newest is LocationUpdate.SENT and await other is LocationUpdate.SENT
    assert [(o["apiId"], o["location"]) for o in server.sent("UNIT_LOCATION")] == [
        ("STEAM:2", "two"),
        ("STEAM:1", "new"),
    ]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 1000)), min_size=1, max_size=40))
def test_conflation_newest_position_per_unit_wins_and_every_caller_resolves(
    moves: list[tuple[int, int]],
) -> None:
    async def scenario() -> None:
        server = BridgeServer()
        async with client(
            server, batch_overrides={"UNIT_LOCATION": BatchPolicy(max_delay=60)}
        ) as cad:
            futures = [
                await cad.submit(UnitLocation(api_id=f"U{unit}", location=str(where)))
                for unit, where in moves
            ]
            await cad.flush()
        newest = {f"U{unit}": str(where) for unit, where in moves}
        sent = {o["apiId"]: o["location"] for o in server.sent("UNIT_LOCATION")}
        assert sent == newest
        assert len(server.sent("UNIT_LOCATION")) == len(newest)  # one object per unit
        last_index = {unit: i for i, (unit, _) in enumerate(moves)}
        for i, ((unit, _), future) in enumerate(zip(moves, futures, strict=True)):
            expected = LocationUpdate.SENT if last_index[unit] == i else LocationUpdate.SUPERSEDED
            assert future.result() is expected

    asyncio.run(scenario())


async def test_unit_location_reply_that_proves_nothing_is_a_protocol_error() -> None:
    server = BridgeServer()
    server.override = b"Backend Service Reached"
    async with client(server, batch_overrides={"UNIT_LOCATION": BatchPolicy()}) as cad:
        with pytest.raises(ProtocolError):
            await cad.unit_location(UnitLocation(api_id="STEAM:1"))


async def test_attach_detach_note_postal_primary_send_their_documented_fields() -> None:
    server = BridgeServer()
    async with client(server) as cad:
        await cad.attach_units(AttachUnits(call_id=100, units=["STEAM:1"], ident_ids=[1, 2]))
        await cad.detach_units(DetachUnits(account="000-000-0000"))
        await cad.add_call_note(AddCallNote(call_id=123, note="This is a test!", label="A-10"))
        await cad.set_call_postal(100, "321")
        await cad.set_call_primary(SetCallPrimary(call_id=100, primary=-1))
    assert server.sent("ATTACH_UNIT") == [
        {"serverId": 1, "callId": 100, "units": ["STEAM:1"], "identIds": [1, 2]}
    ]
    assert server.sent("DETACH_UNIT") == [{"serverId": 1, "account": "000-000-0000", "units": []}]
    assert server.sent("ADD_CALL_NOTE") == [
        {"serverId": 1, "callId": 123, "note": "This is a test!", "label": "A-10"}
    ]
    assert server.sent("SET_CALL_POSTAL") == [{"serverId": 1, "callId": 100, "postal": "321"}]
    assert server.sent("SET_CALL_PRIMARY") == [
        {"serverId": 1, "callId": 100, "primary": -1, "trackPrimary": False}
    ]


@pytest.mark.parametrize(
    ("reply", "call"),
    [
        (b"NOTE 'x' added to call #99", "note"),
        (b"CALL 99 POSTAL SET TO 321", "postal"),
        (b"CALL 99 PRIMARY SET", "primary"),
        (b"UNITS DETACHED", "attach"),
    ],
)
async def test_a_reply_naming_another_call_proves_nothing(reply: bytes, call: str) -> None:
    server = BridgeServer()
    server.override = reply
    async with client(server) as cad:
        actions: dict[str, Callable[[], Awaitable[None]]] = {
            "note": lambda: cad.add_call_note(AddCallNote(call_id=5, note="x")),
            "postal": lambda: cad.set_call_postal(5, "321"),
            "primary": lambda: cad.set_call_primary(SetCallPrimary(call_id=5, primary=3)),
            "attach": lambda: cad.attach_units(AttachUnits(call_id=5, units=["STEAM:1"])),
        }
        with pytest.raises(Exception) as caught:
            await actions[call]()
    # A note is a create (a re-send could add it twice): unknown, not a plain error.
    expected = "OutcomeUnknownError" if call == "note" else "ProtocolError"
    assert type(caught.value).__name__ == expected


@pytest.mark.parametrize(
    ("text", "plan"), [("3 - PLUS", Plan.PLUS), ("6", Plan.SONORAN_ONE), ("2\n", Plan.STANDARD)]
)
async def test_get_version_reads_the_plan_and_sends_empty_data(text: str, plan: Plan) -> None:
    server = BridgeServer(plan=text)
    async with client(server) as cad:
        assert await cad.get_version() is plan
        assert cad.plan is plan
    assert server.bodies[0]["data"] == [] and server.bodies[0]["type"] == "GET_VERSION"


async def test_endpoints_above_the_plan_are_refused_before_sending() -> None:
    server = BridgeServer(plan="2 - STANDARD")
    async with client(server, batch_overrides=QUICK) as cad:
        await cad.get_version()
        with pytest.raises(EndpointNotEnabledError) as caught:
            await cad.attach_units(AttachUnits(call_id=1, units=["STEAM:1"]))
        assert "PLUS" in "".join(caught.value.__notes__)
        assert await cad.unit_location(UnitLocation(api_id="STEAM:1")) is LocationUpdate.SENT
    assert [b["type"] for b in server.bodies] == ["GET_VERSION", "UNIT_LOCATION"]


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        AttachUnits(call_id=1)
    assert caught.value.field == "AttachUnits"
    with pytest.raises(ValidationError) as caught:
        UnitLocation(api_id="")
    assert caught.value.field == "api_id"
    with pytest.raises(ValidationError) as caught:
        Coordinates(x=float("nan"), y=1)
    assert caught.value.field == "x"
    with pytest.raises(ValidationError):
        SetCallPrimary(call_id=1, primary=-2)


def test_batch_overrides_must_name_known_types() -> None:
    with pytest.raises(ValueError, match="UNIT_LOCATIONS"):
        SonoranClient("demo", "k", batch_overrides={"UNIT_LOCATIONS": BatchPolicy()})
