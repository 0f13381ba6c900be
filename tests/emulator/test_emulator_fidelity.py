"""What real clients send, the general endpoints, the bridge endpoints, limits, flat memory."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import aiohttp
import orjson
import pytest

from sonoran_async import (
    AddCallNote,
    AttachUnits,
    BatchPolicy,
    Coordinates,
    DetachUnits,
    LocationUpdate,
    Plan,
    SetCallPrimary,
    SonoranClient,
    UnitLocation,
)
from sonoran_async.emulator import CadState, Emulator
from sonoran_async.testing import EmulatorFactory

ENVELOPE = {"id": "demo", "key": "demo-key"}
DEEP: Any = 1
for _ in range(40):
    DEEP = [DEEP]


async def post(url: str, body: bytes, **headers: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers={"Content-Type": "application/json", **headers}) as r,
    ):
        return r.status, await r.text()


@pytest.mark.parametrize(
    ("plan", "digit"), [("STANDARD", "2"), ("PLUS", "3"), ("SONORAN ONE", "6")]
)
async def test_get_version_answers_the_plan_digit(
    sonoran_emulator_factory: EmulatorFactory, plan: str, digit: str
) -> None:
    emu = await sonoran_emulator_factory(plan=plan)
    body = orjson.dumps({**ENVELOPE, "type": "GET_VERSION", "data": []})
    status, text = await post(f"{emu.url}/general/get_version", body)
    assert (status, text[0]) == (200, digit)  # Sonoran's Lua reads the first character


async def test_get_servers_lists_the_configured_servers(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(server_ids=(1, 3))
    body = orjson.dumps({**ENVELOPE, "type": "GET_SERVERS", "data": []})
    status, text = await post(f"{emu.url}/general/get_servers", body)
    assert status == 200
    assert [s["id"] for s in orjson.loads(text)["servers"]] == [1, 3]


async def test_sonoran_js_positional_call_911_is_accepted(sonoran_emulator: Emulator) -> None:
    data = [{"0": 1, "1": True, "2": "John Doe", "3": "1234 E. Test St.", "4": "Help!", "5": {}}]
    body = orjson.dumps({**ENVELOPE, "type": "911_CALL", "data": data})
    status, text = await post(f"{sonoran_emulator.url}/emergency/911_call", body)
    assert (status, text) == (200, "EMERGENCY CALL ADDED ID: 1")
    assert sonoran_emulator.state.emergency_calls[1]["caller"] == "John Doe"


async def test_lua_dispatch_with_empty_tables_and_extra_keys_is_accepted(
    sonoran_emulator: Emulator,
) -> None:
    obj = {
        "serverId": "1", "origin": 2, "status": 1, "priority": 2, "block": "", "address": "x",
        "postal": "", "title": "New Call", "code": "", "primary": -1, "trackPrimary": False,
        "description": "", "notes": [], "metaData": [], "units": [], "callId": -1, "idents": [],
        "id": "YOUR_COMMUNITY_ID", "key": "YOUR_API_KEY", "type": "NEW_DISPATCH",
    }  # fmt: skip
    body = orjson.dumps({**ENVELOPE, "type": "NEW_DISPATCH", "data": [obj]})
    status, text = await post(f"{sonoran_emulator.url}/emergency/new_dispatch", body)
    assert (status, text) == (200, "NEW DISPATCH CREATED - ID: 1")


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (b"not gzip at all", {"Content-Encoding": "gzip"}, "Content-Encoding"),
        (
            orjson.dumps({**ENVELOPE, "type": "CALL_911", "data": [{"metaData": {"a": DEEP}}]}),
            {},
            "nested too deeply",
        ),
        (
            orjson.dumps({**ENVELOPE, "type": "CALL_911", "data": [{"caller": "x" * 70_000}]}),
            {},
            "too long",
        ),
    ],
)
async def test_limits_answer_a_clear_4xx_and_later_replies_still_work(
    sonoran_emulator: Emulator, body: bytes, headers: dict[str, str], expected: str
) -> None:
    status, text = await post(f"{sonoran_emulator.url}/emergency/call_911", body, **headers)
    assert 400 <= status < 500 and expected in text and text.startswith("ERROR")
    ok = orjson.dumps({**ENVELOPE, "type": "GET_CALLS", "data": [{}]})
    assert (await post(f"{sonoran_emulator.url}/emergency/get_calls", ok))[0] == 200


async def test_a_real_gzip_body_is_read(sonoran_emulator: Emulator) -> None:
    body = orjson.dumps({**ENVELOPE, "type": "GET_CALLS", "data": [{}]})
    url = f"{sonoran_emulator.url}/emergency/get_calls"
    status, _ = await post(url, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert status == 200


async def test_healthz(sonoran_emulator: Emulator) -> None:
    url = f"{sonoran_emulator.url}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        assert (r.status, await r.text()) == (200, "ok")


def test_state_returns_to_its_size_after_create_and_remove() -> None:
    state = CadState(log_size=10)
    for _ in range(1000):
        call_id = state.add_call(state.emergency_calls, {"callId": 0}, 1, None, 0.0)
        state.record("CALL_911", call_id, {})
        state.remove_emergency(call_id, 1)
        state.record("REMOVE_911", call_id, {})
    assert state.emergency_calls == {} and state.server_of(1000) is None
    assert len(state.log) == 10  # a ring


async def test_listener_hears_every_applied_change(sonoran_emulator: Emulator) -> None:
    heard: list[tuple[str, int]] = []
    sonoran_emulator.core.add_listener(lambda kind, call_id, obj: heard.append((kind, call_id)))
    url = sonoran_emulator.url
    async with SonoranClient("demo", "demo-key", base_url=url, rate_limit=None) as cad:
        call_id = await cad.call_911(_call("a"))
        await cad.remove_911(call_id)
    assert heard == [("CALL_911", call_id), ("REMOVE_911", call_id)]


def _call(caller: str) -> Any:
    from sonoran_async import Call911

    return Call911(caller=caller, location="x")


async def test_bridge_endpoints_through_the_client(sonoran_emulator: Emulator) -> None:
    quick = {"UNIT_LOCATION": BatchPolicy(max_delay=0.01)}
    async with SonoranClient(
        "demo", "demo-key", base_url=sonoran_emulator.url, rate_limit=None, batch_overrides=quick
    ) as cad:
        assert await cad.get_version() is Plan.PRO
        from sonoran_async import NewDispatch

        call_id = await cad.new_dispatch(NewDispatch(title="Stop"))
        await cad.attach_units(AttachUnits(call_id=call_id, units=["STEAM:1", "STEAM:2"]))
        await cad.add_call_note(AddCallNote(call_id=call_id, note="Plate 8ABC123", label="A-10"))
        await cad.set_call_postal(call_id, "7001")
        await cad.set_call_primary(SetCallPrimary(call_id=call_id, primary=3))
        await cad.detach_units(DetachUnits(units=["STEAM:2"]))
        results = await asyncio.gather(
            *(
                cad.unit_location(
                    UnitLocation(
                        api_id=f"STEAM:{i % 3}", location=str(i), coordinates=Coordinates(x=i, y=i)
                    )
                )
                for i in range(9)
            )
        )
        snapshot = await cad.get_calls()
    (call,) = snapshot.active_calls
    assert call.postal == "7001" and call.primary == 3
    assert call.raw["units"] == ["STEAM:1"]
    assert [n.content for n in call.notes or ()] == ["Plate 8ABC123"]
    assert results.count(LocationUpdate.SENT) == 3
    assert {u: v["location"] for u, v in sonoran_emulator.state.units.items()} == {
        "STEAM:0": "6", "STEAM:1": "7", "STEAM:2": "8"
    }  # fmt: skip


async def test_plan_gates_the_bridge_endpoints(sonoran_emulator_factory: EmulatorFactory) -> None:
    emu = await sonoran_emulator_factory(plan="STANDARD")
    async with SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=None) as cad:
        from sonoran_async import EndpointNotEnabledError

        with pytest.raises(EndpointNotEnabledError):
            await cad.add_call_note(AddCallNote(call_id=1, note="x"))
