"""Flat memory: after create+remove the state returns to its size; every container is a
ring or leaves with its call. Sizes, not RSS (benchmarks/emulator_memory.py measures that)."""

from __future__ import annotations

import orjson

from sonoran_async.emulator import CadState, EmulatorCore

ENVELOPE = {"id": "demo", "key": "demo-key"}


def send(core: EmulatorCore, request_type: str, obj: dict[str, object]) -> str:
    """One request through the core's apply path (what an HTTP request reaches)."""
    reply = core.process(
        request_type, orjson.dumps({**ENVELOPE, "type": request_type, "data": [obj]})
    )
    assert reply.status == 200, reply.text
    assert reply.text is not None
    return reply.text


def cycle(core: EmulatorCore, n: int) -> None:
    """One create+remove of each kind, with everything that leaves bookkeeping behind:
    a deadline, metaData, a unit never seen again, a closed call."""
    text = send(
        core,
        "CALL_911",
        {"serverId": 1, "caller": "c", "location": "l", "description": "d",
         "metaData": {"n": n, "postal": str(n)}, "deleteAfterMinutes": 60},
    )  # fmt: skip
    send(core, "REMOVE_911", {"serverId": 1, "callId": int(text.rsplit(" ", 1)[1])})
    text = send(core, "NEW_DISPATCH", {"serverId": 1, "title": "t", "deleteAfterMinutes": 60})
    call_id = int(text.rsplit(" ", 1)[1])
    send(core, "ADD_CALL_NOTE", {"serverId": 1, "callId": call_id, "note": "n"})
    send(core, "CLOSE_CALL", {"serverId": 1, "callId": call_id})
    send(core, "UNIT_LOCATION", {"apiId": f"STEAM:{n}", "location": "x"})


def small_core() -> EmulatorCore:
    core = EmulatorCore(server_ids=(1, 2), log_size=64)
    core.state = CadState(log_size=64, closed_size=16, units_size=32)  # rings that fill fast
    return core


def test_state_returns_to_its_size_after_create_and_remove() -> None:
    core = small_core()
    for n in range(100):  # every ring full
        cycle(core, n)
    settled = core.state.sizes()
    peak_expiry = 0
    for n in range(100, 3100):
        cycle(core, n)
        peak_expiry = max(peak_expiry, core.state.sizes()["expiry"])
    after = core.state.sizes()
    # The deadlines heap drops removed calls' deadlines in bulk, past 2 x live calls + 64
    # (at most one call is live at a time here).
    bound = 2 * 1 + 64
    assert peak_expiry <= bound and settled.pop("expiry") <= bound >= after.pop("expiry")
    assert after == settled
    assert settled == {
        "emergency_calls": 0,
        "dispatch_calls": 0,
        "units": 32,
        "log": 64,
        "closed": 16,
        "servers": 16,  # only the closed calls still in the ring
        "listeners": 0,
    }
    assert core.stats.per_type["CALL_911"] == 3100  # the cycles really applied


def test_live_calls_keep_only_their_own_bookkeeping() -> None:
    core = small_core()
    ids = [int(send(core, "CALL_911", {"serverId": 2, "caller": "c", "location": "l",
                                       "description": "d", "deleteAfterMinutes": 5})
               .rsplit(" ", 1)[1]) for _ in range(10)]  # fmt: skip
    for n in range(2000):
        cycle(core, n)
    sizes = core.state.sizes()
    assert (sizes["emergency_calls"], sizes["servers"]) == (10, 10 + 16)
    assert sizes["expiry"] <= 2 * 10 + 64  # deadlines of removed calls are dropped
    assert {core.state.server_of(call_id) for call_id in ids} == {2}


def test_expiry_still_removes_the_calls_left_after_compaction() -> None:
    now = [0.0]
    core = EmulatorCore(clock=lambda: now[0])
    keep = send(core, "CALL_911", {"serverId": 1, "caller": "c", "location": "l",
                                   "description": "d", "deleteAfterMinutes": 1})  # fmt: skip
    for n in range(500):
        cycle(core, n)
    now[0] = 61.0
    send(core, "GET_CALLS", {"serverId": 1})  # every request expires first
    assert int(keep.rsplit(" ", 1)[1]) not in core.state.emergency_calls
    assert core.state.sizes()["expiry"] <= 64
