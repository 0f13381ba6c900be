"""The multi-object wire contract: per_item and first_only."""

from __future__ import annotations

from typing import Any

from sonoran_async.emulator import Emulator


def obj(caller: str, server: object = 1) -> dict[str, Any]:
    return {
        "serverId": server,
        "isEmergency": False,
        "caller": caller,
        "location": "here",
        "description": "d",
    }


async def test_per_item_one_line_per_object_in_order(sonoran_emulator: Emulator, api: Any) -> None:
    emu = sonoran_emulator
    data = [obj("a"), obj("b", 9), {**obj("c"), "caller": 1}, obj("d", "1")]
    r = await api.post(emu, "CALL_911", data)
    assert r.status == 200
    assert r.text.split("\n") == [
        "EMERGENCY CALL ADDED ID: 1",
        "ERROR: Server not found with ID: 9",
        "ERROR: Invalid field caller: must be a string",
        "EMERGENCY CALL ADDED ID: 2",
    ]
    assert [c["caller"] for c in emu.state.emergency_calls.values()] == ["a", "d"]
    assert (emu.stats.objects, emu.stats.per_type) == (2, {"CALL_911": 2})


async def test_per_item_error_already_prefixed_is_not_doubled(
    sonoran_emulator: Emulator, api: Any
) -> None:
    emu = sonoran_emulator
    cid = await api.new_dispatch(emu)
    data = [{"serverId": 1, "callId": cid}, {"serverId": 1, "callId": cid, "code": "10-50"}]
    r = await api.post(emu, "EDIT_DISPATCH", data)
    assert r.status == 200
    assert r.text == (
        "ERROR: Missing editable dispatch fields. Provide at least one field to update.\n"
        f"DISPATCH CALL {cid} UPDATED"
    )


async def test_per_item_all_errors_still_200_with_n_lines(
    sonoran_emulator: Emulator, api: Any
) -> None:
    data = [{"serverId": 1, "callId": 50}, {"serverId": 1, "callId": 51}]
    r = await api.post(sonoran_emulator, "REMOVE_911", data)
    assert (r.status, r.text) == (
        200,
        "ERROR: Call not found with ID: 50\nERROR: Call not found with ID: 51",
    )


async def test_per_item_500_objects(sonoran_emulator: Emulator, api: Any) -> None:
    r = await api.post(sonoran_emulator, "CALL_911", [obj(str(i)) for i in range(500)])
    lines = r.text.split("\n")
    assert lines == [f"EMERGENCY CALL ADDED ID: {i}" for i in range(1, 501)]
    assert [e[2]["caller"] for e in sonoran_emulator.state.log] == [str(i) for i in range(500)]


async def test_per_item_get_calls_array(sonoran_emulator: Emulator, api: Any) -> None:
    emu = sonoran_emulator
    await api.call_911(emu)
    cid = await api.new_dispatch(emu)
    data = [{"type": 1}, {"type": 5}, {"serverId": 1, "type": 0}]
    r = await api.post(emu, "GET_CALLS", data)
    assert (r.status, r.content_type) == (200, "application/json")
    first, second, third = r.json()
    assert [c["callId"] for c in first["emergencyCalls"]] == [1]
    assert first["activeCalls"] == []
    assert second == "ERROR: Invalid field type: must be 0, 1 or 100"
    assert [c["callId"] for c in third["activeCalls"]] == [cid]
    assert third["emergencyCalls"] == []
    assert emu.stats.per_type["GET_CALLS"] == 2


async def test_single_object_error_is_http_400(sonoran_emulator: Emulator, api: Any) -> None:
    r = await api.post(sonoran_emulator, "CALL_911", [obj("a", 2)])
    assert (r.status, r.text) == (400, "Server not found with ID: 2")


async def test_first_only_applies_only_the_first(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(multi="first_only")
    r = await api.post(emu, "CALL_911", [obj("a"), obj("b"), "not even an object"])
    assert (r.status, r.text) == (200, "EMERGENCY CALL ADDED ID: 1")
    assert [c["caller"] for c in emu.state.emergency_calls.values()] == ["a"]
    assert (emu.stats.objects, len(emu.state.log)) == (1, 1)
    r = await api.post(emu, "CALL_911", [obj("c", 3), obj("d")])
    assert (r.status, r.text) == (400, "Server not found with ID: 3")
    assert len(emu.state.emergency_calls) == 1
    r = await api.post(emu, "GET_CALLS", [{"type": 1}, {"type": 0}])
    assert r.status == 200
    snap = r.json()
    assert isinstance(snap, dict)
    assert len(snap["emergencyCalls"]) == 1
    assert emu.stats.objects == 2


async def test_multi_can_be_switched(sonoran_emulator: Emulator, api: Any) -> None:
    sonoran_emulator.multi = "first_only"
    r = await api.post(sonoran_emulator, "CALL_911", [obj("a"), obj("b")])
    assert r.text == "EMERGENCY CALL ADDED ID: 1"
    sonoran_emulator.multi = "per_item"
    r = await api.post(sonoran_emulator, "CALL_911", [obj("a"), obj("b")])
    assert r.text == "EMERGENCY CALL ADDED ID: 2\nEMERGENCY CALL ADDED ID: 3"
