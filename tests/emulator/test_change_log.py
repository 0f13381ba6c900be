"""Issue #21 item 18: the emulator's change log is bounded in bytes, not only in entries."""

from __future__ import annotations

from sonoran_async.emulator import CadState


def test_the_change_log_is_bounded_in_bytes_whatever_the_objects_size() -> None:
    state = CadState(log_size=100_000, log_bytes=256 * 1024)
    big = {"serverId": 1, "caller": "c", "description": "x" * 2000}
    for n in range(5_000):  # 10 MB of objects as JSON
        state.record("CALL_911", n, big)
    assert state.log_bytes <= 256 * 1024 + 64 * 1024
    log = state.log
    assert 50 < len(log) < 200 and log[-1] == ("CALL_911", 4999, big)
    assert [entry[1] for entry in log] == list(range(5000 - len(log), 5000))  # newest kept


def test_the_change_log_stays_an_exact_ring_of_log_size_entries() -> None:
    state = CadState(log_size=10)
    for n in range(1_000):
        state.record("REMOVE_911", n, {"serverId": 1, "callId": n})
    assert [entry[1] for entry in state.log] == list(range(990, 1000))
    assert state.sizes()["log"] == 10
