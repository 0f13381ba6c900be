"""Envelope checks, plan gating and each endpoint of the emulator, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from sonoran_async.emulator import Emulator, create_app

OBJ_911 = {
    "serverId": 1,
    "isEmergency": True,
    "caller": "John Doe",
    "location": "1234 E. Test St.",
    "description": "Help, someone is breaking into my house!",
}
TYPES = ["CALL_911", "REMOVE_911", "GET_CALLS", "CLOSE_CALL", "EDIT_DISPATCH", "NEW_DISPATCH"]


async def test_every_endpoint_success_text_and_state(sonoran_emulator: Emulator, api: Any) -> None:
    emu = sonoran_emulator
    r = await api.post(emu, "CALL_911", [OBJ_911])
    assert (r.status, r.text) == (200, "EMERGENCY CALL ADDED ID: 1")
    assert emu.state.emergency_calls == {
        1: {
            "callId": 1,
            "isEmergency": True,
            "caller": "John Doe",
            "location": "1234 E. Test St.",
            "description": "Help, someone is breaking into my house!",
        }
    }
    note = {"time": "12:00:00", "label": "A-10", "type": "text", "content": "hi"}
    dispatch = {
        "serverId": 1,
        "origin": 1,
        "status": 1,
        "priority": 3,
        "block": "123",
        "address": "4234 E. Example Ave",
        "postal": "456",
        "title": "Traffic Stop",
        "code": "10-39",
        "primary": 123,
        "trackPrimary": True,
        "description": "Blue Sedan",
        "notes": [note],
        "metaData": {"k": "v"},
        "units": ["unit-1"],
    }
    r = await api.post(emu, "NEW_DISPATCH", [dispatch])
    assert (r.status, r.text) == (200, "NEW DISPATCH CREATED - ID: 2")
    assert emu.state.dispatch_calls[2] == {
        "callId": 2,
        "origin": 1,
        "status": 1,
        "priority": 3,
        "block": "123",
        "address": "4234 E. Example Ave",
        "postal": "456",
        "title": "Traffic Stop",
        "code": "10-39",
        "description": "Blue Sedan",
        "notes": [note],
        "idents": [],
        "units": ["unit-1"],  # attached units show in GET_CALLS
        "primary": 123,
        "trackPrimary": True,
        "metaData": {"k": "v"},
    }
    r = await api.post(emu, "EDIT_DISPATCH", [{"serverId": 1, "callId": 2, "title": "Felony"}])
    assert (r.status, r.text) == (200, "DISPATCH CALL 2 UPDATED")
    r = await api.post(emu, "CLOSE_CALL", [{"serverId": 1, "callId": 2}])
    assert (r.status, r.text) == (200, "UNITS ATTACHED")
    r = await api.post(emu, "REMOVE_911", [{"serverId": 1, "callId": 1}])
    assert (r.status, r.text) == (200, "API ID(s) set!")
    assert emu.state.emergency_calls == {}
    assert emu.state.dispatch_calls == {}
    assert [c["callId"] for c in emu.state.closed_calls] == [2]
    assert emu.state.closed_calls[0]["title"] == "Felony"
    assert emu.state.closed_calls[0]["status"] == 2
    assert [(t, cid) for t, cid, _ in emu.state.log] == [
        ("CALL_911", 1),
        ("NEW_DISPATCH", 2),
        ("EDIT_DISPATCH", 2),
        ("CLOSE_CALL", 2),
        ("REMOVE_911", 1),
    ]
    assert emu.state.log[0][2] == OBJ_911
    assert emu.stats.requests == 5
    assert emu.stats.objects == 5
    assert emu.stats.per_type == {t: 1 for t in TYPES if t != "GET_CALLS"}


async def test_ids_shared_increasing_never_reused(sonoran_emulator: Emulator, api: Any) -> None:
    emu = sonoran_emulator
    a = await api.call_911(emu)
    b = await api.new_dispatch(emu)
    r = await api.post(emu, "REMOVE_911", [{"serverId": 1, "callId": a}])
    assert r.status == 200
    c = await api.call_911(emu)
    assert (a, b, c) == (1, 2, 3)


@pytest.mark.parametrize(
    ("envelope", "path", "expected"),
    [
        ({"type": "NOPE", "id": "x", "key": "y"}, "call_911", "INVALID REQUEST TYPE"),
        ({"type": "GET_CALLS"}, "call_911", "INVALID REQUEST TYPE"),
        ({"type": None}, "call_911", "INVALID REQUEST TYPE"),
        ({"id": "other", "key": "wrong"}, "call_911", "INVALID COMMUNITY ID"),
        ({"id": 5}, "call_911", "INVALID COMMUNITY ID"),
        ({"key": "wrong"}, "call_911", "INVALID API KEY"),
        ({"key": None}, "call_911", "INVALID API KEY"),
    ],
)
async def test_envelope_errors_in_order(
    sonoran_emulator: Emulator, api: Any, envelope: dict[str, Any], path: str, expected: str
) -> None:
    r = await api.post(sonoran_emulator, "CALL_911", [OBJ_911, OBJ_911], path=path, **envelope)
    assert (r.status, r.text) == (400, expected)
    assert sonoran_emulator.state.log == []


async def test_api_disabled_checked_before_key_and_after_id(
    sonoran_emulator_factory: Any, api: Any
) -> None:
    emu = await sonoran_emulator_factory(api_enabled=False)
    r = await api.post(emu, "CALL_911", [OBJ_911], key="wrong")
    assert (r.status, r.text) == (400, "API IS NOT ENABLED FOR THIS COMMUNITY")
    r = await api.post(emu, "CALL_911", [OBJ_911], id="other")
    assert (r.status, r.text) == (400, "INVALID COMMUNITY ID")
    emu.api_enabled = True
    r = await api.post(emu, "CALL_911", [OBJ_911], key="wrong")
    assert (r.status, r.text) == (400, "INVALID API KEY")


def _sample(rtype: str) -> list[dict[str, Any]]:
    if rtype == "CALL_911":
        return [OBJ_911]
    if rtype == "EDIT_DISPATCH":
        return [{"serverId": 1, "callId": 1, "title": "x"}]
    if rtype == "NEW_DISPATCH":
        return [{"serverId": 1, "title": "x"}]
    return [{"serverId": 1, "callId": 1}]


@pytest.mark.parametrize(
    ("plan", "allowed"),
    [
        ("FREE", set()),
        ("STARTER", set()),
        ("STANDARD", {"CALL_911", "REMOVE_911", "CLOSE_CALL"}),
        ("PLUS", set(TYPES)),
        ("PRO", set(TYPES)),
        ("SONORAN ONE", set(TYPES)),
        ("sonoran_one", set(TYPES)),
    ],
)
async def test_plan_gating(
    sonoran_emulator_factory: Any, api: Any, plan: str, allowed: set[str]
) -> None:
    emu = await sonoran_emulator_factory(plan=plan)
    for rtype in TYPES:
        r = await api.post(emu, rtype, _sample(rtype))
        gated = r.text == "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"
        assert gated == (rtype not in allowed), (rtype, r.status, r.text)
        assert r.status == 400 if gated else r.status in (200, 400)


async def test_close_call_plan_setting(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(plan="STANDARD", close_call_plan="PLUS")
    r = await api.post(emu, "CLOSE_CALL", [{"serverId": 1, "callId": 1}])
    assert (r.status, r.text) == (400, "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY")
    emu = await sonoran_emulator_factory(plan="PLUS", close_call_plan="PLUS")
    r = await api.post(emu, "CLOSE_CALL", [{"serverId": 1, "callId": 1}])
    assert (r.status, r.text) == (400, "Call not found with ID: 1")


def test_bad_settings_rejected() -> None:
    with pytest.raises(ValueError, match="unknown plan"):
        Emulator(plan="GOLD")
    with pytest.raises(ValueError, match="multi"):
        Emulator(multi="all")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate_limit"):
        Emulator(rate_limit=0)


@pytest.mark.parametrize("path", ["/emergency/kick_unit", "/general/check_api_id"])
async def test_other_paths_reach_backend(sonoran_emulator: Emulator, api: Any, path: str) -> None:
    r = await api.raw(sonoran_emulator.url + path, b"{}")
    assert (r.status, r.text) == (200, "Backend Service Reached")


@pytest.mark.parametrize("server_id", [1, "1"])
async def test_server_id_int_or_numeric_string(
    sonoran_emulator: Emulator, api: Any, server_id: object
) -> None:
    call_id = await api.call_911(sonoran_emulator, serverId=server_id)
    r = await api.post(sonoran_emulator, "REMOVE_911", [{"serverId": server_id, "callId": call_id}])
    assert (r.status, r.text) == (200, "API ID(s) set!")


@pytest.mark.parametrize("rtype", TYPES)
async def test_unknown_server(sonoran_emulator: Emulator, api: Any, rtype: str) -> None:
    obj = {**_sample(rtype)[0], "serverId": "7"}
    r = await api.post(sonoran_emulator, rtype, [obj])
    assert (r.status, r.text) == (400, "Server not found with ID: 7")


async def test_several_servers_keep_calls_apart(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(server_ids=(1, 2))
    one = await api.call_911(emu, serverId=1)
    two = await api.call_911(emu, serverId=2)
    r = await api.post(emu, "GET_CALLS", [{"serverId": 2}])
    assert [c["callId"] for c in r.json()["emergencyCalls"]] == [two]
    r = await api.post(emu, "GET_CALLS", [{}])  # serverId defaults to 1
    assert [c["callId"] for c in r.json()["emergencyCalls"]] == [one]
    r = await api.post(emu, "REMOVE_911", [{"serverId": 2, "callId": one}])
    assert (r.status, r.text) == (400, f"Call not found with ID: {one}")


FIELD_ERRORS = [
    ("CALL_911", {"serverId": "x"}, "Invalid field serverId: must be an integer"),
    ("CALL_911", {"serverId": True}, "Invalid field serverId: must be an integer"),
    ("CALL_911", {"serverId": None}, "Missing required field: serverId"),
    ("CALL_911", {"caller": 5}, "Invalid field caller: must be a string"),
    ("CALL_911", {"location": None}, "Missing required field: location"),
    ("CALL_911", {"isEmergency": "yes"}, "Invalid field isEmergency: must be a boolean"),
    ("CALL_911", {"metaData": "x"}, "Invalid field metaData: must be an object"),
    (
        "CALL_911",
        {"deleteAfterMinutes": 0},
        "Invalid field deleteAfterMinutes: must be a positive integer",
    ),
    (
        "CALL_911",
        {"deleteAfterMinutes": 1.5},
        "Invalid field deleteAfterMinutes: must be a positive integer",
    ),
    ("NEW_DISPATCH", {"priority": 0}, "Invalid field priority: must be 1, 2 or 3"),
    ("NEW_DISPATCH", {"priority": "2"}, "Invalid field priority: must be 1, 2 or 3"),
    ("NEW_DISPATCH", {"origin": 4}, "Invalid field origin: must be 0, 1, 2 or 3"),
    ("NEW_DISPATCH", {"status": 3}, "Invalid field status: must be 0, 1 or 2"),
    ("NEW_DISPATCH", {"title": 1}, "Invalid field title: must be a string"),
    ("NEW_DISPATCH", {"trackPrimary": 1}, "Invalid field trackPrimary: must be a boolean"),
    ("NEW_DISPATCH", {"primary": 1.5}, "Invalid field primary: must be an integer or a string"),
    ("NEW_DISPATCH", {"notes": {}}, "Invalid field notes: must be an array of note objects"),
    ("NEW_DISPATCH", {"notes": ["x"]}, "Invalid field notes[0]: must be a note object"),
    ("NEW_DISPATCH", {"notes": [{"time": 1}]}, "Invalid field notes[0].time: must be a string"),
    ("NEW_DISPATCH", {"units": [1]}, "Invalid field units: must be an array of strings"),
    ("EDIT_DISPATCH", {"callId": None}, "Missing required field: callId"),
    ("EDIT_DISPATCH", {"callId": "abc"}, "Invalid field callId: must be an integer"),
    ("EDIT_DISPATCH", {"priority": 9}, "Invalid field priority: must be 1, 2 or 3"),
    ("REMOVE_911", {"callId": None}, "Missing required field: callId"),
    (
        "GET_CALLS",
        {"closedLimit": 0},
        "Invalid field closedLimit: must be an integer from 1 to 100",
    ),
    (
        "GET_CALLS",
        {"closedLimit": 101},
        "Invalid field closedLimit: must be an integer from 1 to 100",
    ),
    (
        "GET_CALLS",
        {"closedOffset": -1},
        "Invalid field closedOffset: must be a non-negative integer",
    ),
    ("GET_CALLS", {"type": 2}, "Invalid field type: must be 0, 1 or 100"),
]


@pytest.mark.parametrize(("rtype", "change", "expected"), FIELD_ERRORS)
async def test_field_errors(
    sonoran_emulator: Emulator, api: Any, rtype: str, change: dict[str, Any], expected: str
) -> None:
    emu = sonoran_emulator
    dispatch_id = await api.new_dispatch(emu)
    base = {**_sample(rtype)[0], "callId": dispatch_id} if rtype != "CALL_911" else dict(OBJ_911)
    before = (len(emu.state.log), emu.state.last_id, emu.stats.objects)
    r = await api.post(emu, rtype, [{**base, **change}])
    assert (r.status, r.text) == (400, f"ERROR: {expected}")  # invented texts carry ERROR:
    assert (len(emu.state.log), emu.state.last_id, emu.stats.objects) == before
    assert emu.state.dispatch_calls[dispatch_id]["title"] == "Stop"


@pytest.mark.parametrize("rtype", ["REMOVE_911", "CLOSE_CALL", "EDIT_DISPATCH"])
async def test_unknown_call_id(sonoran_emulator: Emulator, api: Any, rtype: str) -> None:
    emu = sonoran_emulator
    emergency = await api.call_911(emu)
    dispatch = await api.new_dispatch(emu)
    # A 911 call id is unknown to dispatch endpoints and the other way round.
    wrong = dispatch if rtype == "REMOVE_911" else emergency
    for call_id in (99, wrong):
        obj = {"serverId": 1, "callId": call_id, "title": "t"}
        r = await api.post(emu, rtype, [obj])
        assert (r.status, r.text) == (400, f"Call not found with ID: {call_id}")
    assert len(emu.state.log) == 2


async def test_edit_partial_and_missing_fields(sonoran_emulator: Emulator, api: Any) -> None:
    emu = sonoran_emulator
    cid = await api.new_dispatch(emu, address="1 Main St", metaData={"a": 1})
    before = dict(emu.state.dispatch_calls[cid])
    edit = {"serverId": "1", "callId": cid, "title": "Felony Stop", "priority": 1}
    r = await api.post(emu, "EDIT_DISPATCH", [edit])
    assert (r.status, r.text) == (200, f"DISPATCH CALL {cid} UPDATED")
    after = emu.state.dispatch_calls[cid]
    assert after == {**before, "title": "Felony Stop", "priority": 1}
    missing = "ERROR: Missing editable dispatch fields. Provide at least one field to update."
    for obj in ({"serverId": 1, "callId": cid}, {"serverId": 1, "callId": cid, "title": None}):
        r = await api.post(emu, "EDIT_DISPATCH", [{**obj, "units": ["x"], "notes": []}])
        assert (r.status, r.text) == (400, missing)
    assert emu.state.dispatch_calls[cid] == after


async def test_close_moves_newest_first(sonoran_emulator: Emulator, api: Any) -> None:
    emu = sonoran_emulator
    ids = [await api.new_dispatch(emu, title=f"t{i}") for i in range(3)]
    for cid in (ids[1], ids[0], ids[2]):
        assert (await api.close(emu, cid)).text == "UNITS ATTACHED"
    assert emu.state.dispatch_calls == {}
    assert [c["callId"] for c in emu.state.closed_calls] == [ids[2], ids[0], ids[1]]
    assert {c["status"] for c in emu.state.closed_calls} == {2}
    snap = await api.get_calls(emu)
    assert [c["callId"] for c in snap["closedCalls"]] == [ids[2], ids[0], ids[1]]
    r = await api.close(emu, ids[0])
    assert (r.status, r.text) == (400, f"Call not found with ID: {ids[0]}")


async def test_get_calls_limit_offset_and_type(sonoran_emulator: Emulator, api: Any) -> None:
    emu = sonoran_emulator
    ids = [await api.new_dispatch(emu) for _ in range(105)]
    for cid in ids:
        await api.close(emu, cid)
    active = await api.new_dispatch(emu, title="open")
    emergency = await api.call_911(emu, metaData={"priority": 2, "x": 10})
    newest_first = ids[::-1]

    snap = await api.get_calls(emu)
    assert set(snap) == {"activeCalls", "emergencyCalls", "closedCalls"}
    assert [c["callId"] for c in snap["closedCalls"]] == newest_first[:10]
    assert [c["callId"] for c in snap["activeCalls"]] == [active]
    assert snap["activeCalls"][0]["idents"] == []
    assert snap["emergencyCalls"] == [emu.state.emergency_calls[emergency]]
    assert snap["emergencyCalls"][0]["metaData"] == {"priority": 2, "x": 10}

    snap = await api.get_calls(emu, closedLimit=100)
    assert [c["callId"] for c in snap["closedCalls"]] == newest_first[:100]
    snap = await api.get_calls(emu, closedLimit=100, closedOffset=100)
    assert [c["callId"] for c in snap["closedCalls"]] == newest_first[100:]
    snap = await api.get_calls(emu, closedLimit=3, closedOffset=4)
    assert [c["callId"] for c in snap["closedCalls"]] == newest_first[4:7]
    snap = await api.get_calls(emu, closedOffset=500)
    assert snap["closedCalls"] == []

    snap = await api.get_calls(emu, type=0)
    assert snap["emergencyCalls"] == []
    assert len(snap["activeCalls"]) == 1
    assert len(snap["closedCalls"]) == 10
    snap = await api.get_calls(emu, type=1)
    assert (snap["activeCalls"], snap["closedCalls"]) == ([], [])
    assert len(snap["emergencyCalls"]) == 1
    snap = await api.get_calls(emu, type=100)
    assert (len(snap["activeCalls"]), len(snap["emergencyCalls"])) == (1, 1)


async def test_delete_after_minutes_expires_by_clock(
    sonoran_emulator_factory: Any, api: Any
) -> None:
    now = [1000.0]
    emu = await sonoran_emulator_factory(clock=lambda: now[0])
    temp = await api.call_911(emu, deleteAfterMinutes=2)
    keep = await api.call_911(emu)
    temp_dispatch = await api.new_dispatch(emu, deleteAfterMinutes=1)
    now[0] += 59
    snap = await api.get_calls(emu)
    assert [c["callId"] for c in snap["emergencyCalls"]] == [temp, keep]
    assert [c["callId"] for c in snap["activeCalls"]] == [temp_dispatch]
    now[0] += 1
    snap = await api.get_calls(emu)
    assert snap["activeCalls"] == []
    assert len(snap["emergencyCalls"]) == 2
    now[0] += 60
    snap = await api.get_calls(emu)
    assert [c["callId"] for c in snap["emergencyCalls"]] == [keep]
    assert list(emu.state.emergency_calls) == [keep]
    r = await api.post(emu, "REMOVE_911", [{"serverId": 1, "callId": temp}])
    assert (r.status, r.text) == (400, f"Call not found with ID: {temp}")


def test_create_app_for_embedding() -> None:
    from aiohttp import web

    from sonoran_async.emulator import CORE_KEY

    app = create_app("c", "k", plan="PLUS", multi="first_only")
    assert isinstance(app, web.Application)
    core = app[CORE_KEY]
    assert (core.community_id, core.api_key, core.multi) == ("c", "k", "first_only")


async def test_create_app_serves() -> None:
    import aiohttp
    from aiohttp import web

    from sonoran_async.emulator import CORE_KEY

    app = create_app("c", "k")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        body = {"id": "c", "key": "k", "type": "CALL_911", "data": [OBJ_911]}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/emergency/call_911", json=body) as resp,
        ):
            assert (resp.status, await resp.text()) == (200, "EMERGENCY CALL ADDED ID: 1")
        assert app[CORE_KEY].stats.objects == 1
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    "meta", [{}, [], {"postal": 5, "priority": 9, "nested": {"a": [1, None, 2.5]}}]
)
async def test_metadata_is_free_form_and_stored_as_given(
    sonoran_emulator: Emulator, api: Any, meta: Any
) -> None:
    call_id = await api.call_911(sonoran_emulator, metaData=meta)
    assert sonoran_emulator.state.emergency_calls[call_id]["metaData"] == meta
    snapshot = await api.get_calls(sonoran_emulator)
    assert snapshot["emergencyCalls"][0]["metaData"] == meta
