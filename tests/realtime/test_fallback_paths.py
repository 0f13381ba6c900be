"""The HTTP fallback on its own, with a fake HTTP client: what goes over HTTP, what waits for
the socket, what a failed or interrupted call leaves in the queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from sonoran_async import LocationUpdate, UnitLocation
from sonoran_async.realtime import LiveCoordinates, LiveLocation, RealtimeStats, _fallback
from sonoran_async.realtime._queue import LocationQueue, Waiting


class FakeHttp:
    """Answers `unit_location` after `gate` opens; the first `failures` calls raise."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[UnitLocation] = []
        self.failures = failures
        self.gate = asyncio.Event()
        self.gate.set()
        self.called = asyncio.Event()

    async def unit_location(self, update: UnitLocation) -> LocationUpdate:
        self.called.set()
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("HTTP down too")
        self.sent.append(update)
        return LocationUpdate.SENT


@pytest.fixture(autouse=True)
def _fast_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fallback, "POLL", 0.001)


def _queue(*updates: LiveLocation) -> tuple[LocationQueue, RealtimeStats, list[Waiting]]:
    stats = RealtimeStats()
    queue = LocationQueue(100, stats)
    loop = asyncio.get_running_loop()
    items = [Waiting(u, loop.create_future()) for u in updates]
    for item in items:
        queue.put(item)
    return queue, stats, items


async def _until(done: Callable[[], bool]) -> None:
    for _ in range(2000):  # bounded: ~2 s at the 1 ms poll
        if done():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_only_api_id_updates_go_over_http_the_rest_wait_for_the_socket() -> None:
    by_api = LiveLocation(api_id="S:1", location="Main St", coordinates=LiveCoordinates(x=1, y=2))
    by_ident = LiveLocation(ident_id=7, location="socket only")
    queue, stats, (sent, waiting) = _queue(by_api, by_ident)
    http = FakeHttp()
    task = asyncio.create_task(_fallback.run_fallback(http, queue, stats))
    assert await asyncio.wait_for(sent.future, 2) is LocationUpdate.SENT
    (call,) = http.sent
    assert (call.api_id, call.location) == ("S:1", "Main St")
    assert call.coordinates is not None and (call.coordinates.x, call.coordinates.y) == (1, 2)
    assert stats.fallback_sent == 1
    await asyncio.sleep(0.01)  # several polls: the ident update is never taken
    await _stop(task)
    assert not waiting.future.done() and queue.take(10) == [waiting]


async def test_a_failed_http_call_goes_back_to_the_queue_and_is_retried() -> None:
    queue, stats, (first, second) = _queue(
        LiveLocation(api_id="S:1", location="a"), LiveLocation(api_id="S:2", location="b")
    )
    http = FakeHttp(failures=2)  # the first batch fails entirely
    task = asyncio.create_task(_fallback.run_fallback(http, queue, stats))
    assert await asyncio.wait_for(first.future, 2) is LocationUpdate.SENT
    assert await asyncio.wait_for(second.future, 2) is LocationUpdate.SENT
    assert sorted(u.api_id for u in http.sent) == ["S:1", "S:2"]
    assert stats.fallback_sent == 2
    await _stop(task)


async def test_an_update_that_fails_is_superseded_by_a_newer_one_meanwhile() -> None:
    queue, stats, (older,) = _queue(LiveLocation(api_id="S:1", location="old"))
    http = FakeHttp(failures=1)
    http.gate.clear()
    task = asyncio.create_task(_fallback.run_fallback(http, queue, stats))
    await asyncio.wait_for(http.called.wait(), 2)
    newer = Waiting(LiveLocation(api_id="S:1", location="new"), asyncio.Future())
    queue.put(newer)  # arrives while the older is on the wire
    http.gate.set()  # the older fails: put back, the newer wins
    assert await asyncio.wait_for(older.future, 2) is LocationUpdate.SUPERSEDED
    assert await asyncio.wait_for(newer.future, 2) is LocationUpdate.SENT
    assert [u.location for u in http.sent] == ["new"]
    await _stop(task)


async def test_stopping_mid_call_puts_the_batch_back_for_the_socket() -> None:
    queue, stats, (item,) = _queue(LiveLocation(api_id="S:1", location="in flight"))
    http = FakeHttp()
    http.gate.clear()  # the HTTP call never answers
    task = asyncio.create_task(_fallback.run_fallback(http, queue, stats))
    await asyncio.wait_for(http.called.wait(), 2)
    assert len(queue) == 0  # taken
    await _stop(task)  # the socket is back (or the session closes)
    assert not item.future.done()
    assert queue.take(10) == [item] and stats.fallback_sent == 0


async def test_an_idle_fallback_waits_for_updates() -> None:
    queue, stats, _ = _queue()
    http = FakeHttp()
    task = asyncio.create_task(_fallback.run_fallback(http, queue, stats))
    await asyncio.sleep(0.005)
    item = Waiting(LiveLocation(api_id="S:9", location="late"), asyncio.Future())
    queue.put(item)
    await _until(item.future.done)
    assert item.future.result() is LocationUpdate.SENT
    await _stop(task)
