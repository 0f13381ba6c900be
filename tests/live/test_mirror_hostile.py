"""The live mirror attacked: resyncs that fail in unexpected ways, on_change handlers that
hang or close the mirror, own writes the mirror cannot apply. Each pins a break fixed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sonoran_async import CallsSnapshot, Change, LiveMirror
from sonoran_async import _mirror as mirror_module
from sonoran_async.events import Unit
from tests.virtual_clock import ManualClock


class _Client:
    api_version = 1
    _server_id = 1

    def __init__(self) -> None:
        self._observers: list[Any] = []
        self.units: tuple[Unit, ...] = (Unit(ident_id=1),)
        self.error: BaseException | None = None
        self.snapshots = 0

    async def all_active_units(self, *, server_id: int | None = None) -> Any:
        self.snapshots += 1
        if self.error is not None:
            raise self.error
        return self.units

    async def get_calls(self, **_: Any) -> Any:
        return CallsSnapshot()


@pytest.mark.parametrize("error", [RuntimeError("a bug"), KeyError("id"), ValueError("bad")])
async def test_a_resync_failing_in_an_unexpected_way_keeps_the_loop_and_the_view(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    """Only SonoranError, TimeoutError and OSError were caught: anything else ended the
    resync loop for good (silently: the mirror went stale for ever)."""
    clock, client = ManualClock(), _Client()
    mirror = LiveMirror(client, server_id=1, events=None, resync_interval=30, clock=clock)
    async with mirror:
        client.error = error
        for _ in range(3):  # failing again and again: once per interval, no faster
            await clock.tick()
        assert set(mirror.units) == {1} and mirror.stats.resync_failures == 3
        client.error, client.units = None, (Unit(ident_id=2),)
        await clock.tick()
        assert set(mirror.units) == {2} and client.snapshots == 5
        assert clock.sleeps == [30.0] * 5
    assert "mirror resync failed" in caplog.text


async def test_aclose_with_a_hung_on_change_handler_is_bounded() -> None:
    """An async on_change handler that never finishes: aclose() used to wait for it for
    ever; now it waits `close_timeout`, then cancels it."""
    client = _Client()
    mirror = LiveMirror(client, server_id=1, events=None, close_timeout=0.05)
    cancelled = asyncio.Event()

    async def hangs(change: Change) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    mirror.on_change(hangs)
    await mirror.start()
    async with asyncio.timeout(5):  # a hang guard, not a timing figure
        await mirror.aclose()
    assert cancelled.is_set()


async def test_an_on_change_handler_that_closes_the_mirror() -> None:
    """A handler awaiting aclose() used to wait for itself (a deadlock)."""
    client = _Client()
    mirror = LiveMirror(client, server_id=1, events=None)
    closed = asyncio.Event()

    async def close_on_first(change: Change) -> None:
        await mirror.aclose()
        closed.set()

    mirror.on_change(close_on_first)
    await mirror.start()
    async with asyncio.timeout(5):  # a hang guard
        await closed.wait()


async def test_a_write_the_mirror_cannot_apply_never_fails_the_write(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The client tells the mirror of each write that succeeded: a mirror bug raised out of
    the user's successful write (inviting a retry: a duplicate call)."""
    client = _Client()

    def broken(*args: Any) -> Any:
        raise AttributeError("a bug")

    monkeypatch.setattr(mirror_module, "apply_write", broken)
    async with LiveMirror(client, server_id=1, events=None) as mirror:
        for observer in client._observers:
            observer(object(), 42)  # what `_wrote` does after a write succeeded
        assert mirror.stats.writes == 1 and mirror.stats.apply_errors == 1
    assert "could not apply" in caplog.text


async def test_duplicate_events_and_writes_for_another_server_change_nothing() -> None:
    """Held: a push delivered twice (socket, then the HTTP fallback) changes the view once;
    the client's own writes to another server never touch this server's view."""
    from sonoran_async import Call911
    from sonoran_async.events import parse_events

    handlers: list[Any] = []

    class Source:
        def on(self, kind: Any) -> Any:
            return handlers.append

    client = _Client()
    changes: list[Change] = []
    async with LiveMirror(client, server_id=1, events=Source()) as mirror:
        mirror.on_change(changes.append)
        (handler,) = handlers
        call = {"call": {"callId": 5, "caller": "A", "location": "B"}}
        for _ in range(2):
            for event in parse_events("EVENT_911", call):
                await handler(event)
        assert set(mirror.emergency) == {5} and len(changes) == 1
        for observer in client._observers:
            observer(Call911(caller="C", location="D", server_id=2), 6)
            observer(Call911(caller="C", location="D"), 7)  # the client's default: 1
        assert set(mirror.emergency) == {5, 7}
