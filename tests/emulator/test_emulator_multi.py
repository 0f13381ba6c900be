"""The multi-object wire contract: per_item and first_only."""

from __future__ import annotations

from typing import Any

import pytest

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


async def test_get_calls_answers_data_0_only(sonoran_emulator: Emulator, api: Any) -> None:
    # It reads one query; thousands of `{}` must not make a reply thousands of times larger.
    emu = sonoran_emulator
    await api.call_911(emu)
    r = await api.post(emu, "GET_CALLS", [{"type": 1}, {"type": 5}, *([{}] * 2000)])
    assert (r.status, r.content_type) == (200, "application/json")
    snapshot = r.json()
    assert [c["callId"] for c in snapshot["emergencyCalls"]] == [1]
    assert len(r.text) < 1000
    assert emu.stats.per_type["GET_CALLS"] == 1


def _objects(*callers: str, bad_at: int | None = None) -> list[dict[str, Any]]:
    objects = [
        {"serverId": 1, "caller": c, "location": "x", "description": "", "isEmergency": True}
        for c in callers
    ]
    if bad_at is not None:
        objects[bad_at]["serverId"] = 99
    return objects


async def test_all_one_line_applies_every_object_and_answers_one_line(
    sonoran_emulator_factory: Any, api: Any
) -> None:
    emu = await sonoran_emulator_factory(multi="all_one_line")
    r = await api.post(emu, "CALL_911", _objects("a", "b", "c", bad_at=1))
    assert (r.status, r.text) == (200, "EMERGENCY CALL ADDED ID: 2")  # the last applied
    assert sorted(c["caller"] for c in emu.state.emergency_calls.values()) == ["a", "c"]
    r = await api.post(emu, "CALL_911", _objects("d", bad_at=0) + _objects("e", bad_at=0))
    assert (r.status, r.text) == (400, "Server not found with ID: 99")


async def test_all_then_400_applies_in_order_up_to_the_bad_object(
    sonoran_emulator_factory: Any, api: Any
) -> None:
    emu = await sonoran_emulator_factory(multi="all_then_400")
    r = await api.post(emu, "CALL_911", _objects("a", "b", "c", "d", bad_at=2))
    assert (r.status, r.text) == (400, "Server not found with ID: 99")
    assert sorted(c["caller"] for c in emu.state.emergency_calls.values()) == ["a", "b"]
    r = await api.post(emu, "CALL_911", _objects("e", "f"))
    assert (r.status, r.text) == (200, "EMERGENCY CALL ADDED ID: 3\nEMERGENCY CALL ADDED ID: 4")


async def test_unknown_multi_mode_is_refused(sonoran_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="all_one_line"):
        sonoran_emulator.multi = "some"  # type: ignore[assignment]


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
