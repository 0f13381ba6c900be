"""The live mirror against the emulator: snapshot, events, own writes, resyncs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from sonoran_async import (
    Call911,
    Change,
    LiveMirror,
    NewDispatch,
    RetryPolicy,
    UnitPanicUpdate,
    UnitStatus,
    UnitStatusUpdate,
)
from sonoran_async.emulator import create_app, live_of
from sonoran_async.events import EventReceiver, EventUnitStatus, PushEvent
from tests.virtual_clock import ManualClock

from .conftest import Seeded
from .events import LocalEvents


async def test_snapshot_events_and_own_writes(seeded: Seeded) -> None:
    live = seeded.live
    source = LocalEvents(seeded.core)
    seen: list[Change] = []
    async with seeded.client(1) as cad, cad.mirror(events=source) as mirror:
        mirror.on_change(seen.append)
        (ident,) = mirror.units
        assert mirror.units[ident].data is not None
        newcomer = live.add_identifier(accId="acc-2", apiId1="STEAM:2")
        live.login(newcomer)
        live.set_status([newcomer], 4)
        await source.deliver()
        assert mirror.units[newcomer].status == UnitStatus.ON_SCENE
        call_id = await cad.new_dispatch(NewDispatch(title="Shots fired", postal="123"))
        emergency = await cad.call_911(Call911(caller="C", location="L"))
        await cad.unit_panic(UnitPanicUpdate(ident_ids=[ident]))  # the CAD pushes nothing
        assert mirror.calls[call_id].postal == "123" and emergency in mirror.emergency
        assert mirror.units[ident].is_panic is True
        live.logout(newcomer)
        await source.deliver()
        assert set(mirror.units) == {ident}
    kinds = {(c.kind, c.cause) for c in seen}
    assert {("unit", "event"), ("dispatch", "write"), ("unit", "write")} <= kinds
    assert mirror.stats.resyncs == 1 and mirror.stats.writes >= 3


async def test_a_failed_resync_keeps_the_view(seeded: Seeded) -> None:
    async with seeded.client(1, retry=None) as cad, cad.mirror() as mirror:
        before = dict(mirror.units)
        seeded.core.inject("503", "503")
        assert await mirror.resync() is False
        assert dict(mirror.units) == before and mirror.units
        assert mirror.stats.resync_failures == 1


class _SlowClient:
    """A client whose snapshot waits until the test lets it land."""

    api_version = 1
    _server_id = 1

    def __init__(self, units: Any, calls: Any) -> None:
        self._observers: list[Any] = []
        self.units, self.calls = units, calls
        self.land = asyncio.Event()

    async def all_active_units(self, *, server_id: int | None = None) -> Any:
        await self.land.wait()
        return self.units

    async def get_calls(self, **_: Any) -> Any:
        return self.calls


async def test_events_that_race_the_snapshot_are_replayed_onto_it() -> None:
    from sonoran_async import CallsSnapshot
    from sonoran_async.events import Unit, parse_events

    unit = Unit(ident_id=7, status=UnitStatus.AVAILABLE)
    client = _SlowClient((unit,), CallsSnapshot())
    handlers: list[Any] = []

    class Source:
        def on(self, kind: type[PushEvent]) -> Any:
            return handlers.append

    mirror = LiveMirror(client, server_id=1, events=Source())
    start = asyncio.ensure_future(mirror.start())
    await asyncio.sleep(0)
    (handler,) = handlers
    # Taken before the snapshot landed, but the snapshot (read earlier) does not show it.
    (event,) = parse_events("EVENT_UNIT_STATUS", {"identIds": [7], "status": 4})
    assert isinstance(event, EventUnitStatus)
    await handler(event)
    client.land.set()
    await start
    try:
        assert mirror.units[7].status == UnitStatus.ON_SCENE and mirror.stats.replayed == 1
    finally:
        await mirror.aclose()


async def test_resync_interval_within_the_published_budget(seeded: Seeded) -> None:
    async with seeded.client(2) as cad:
        with pytest.raises(ValueError, match="20"):
            cad.mirror(resync_interval=10)
        assert cad.mirror().resync_interval == 60.0


async def test_over_http_push_with_the_event_receiver() -> None:
    receiver = EventReceiver("demo-key")
    listener = TestServer(receiver.make_app(), host="127.0.0.1")
    await listener.start_server()
    app = create_app("demo", "demo-key", push_url=str(listener.make_url("/sonorancad/event")))
    from sonoran_async.emulator import CORE_KEY

    core = app[CORE_KEY]
    emulator = TestServer(app, host="127.0.0.1")
    await emulator.start_server()
    live = live_of(core)
    ident = live.add_identifier(accId="acc", apiId1="STEAM:1")
    live.login(ident)
    try:
        from sonoran_async import SonoranClient

        url = str(emulator.make_url("")).rstrip("/")
        retry = RetryPolicy(base_delay=0.005, max_delay=0.02)
        async with (
            SonoranClient("demo", "demo-key", base_url=url, rate_limit=None, retry=retry) as cad,
            cad.mirror(events=receiver) as mirror,
        ):
            changed = asyncio.Event()
            mirror.on_change(lambda change: changed.set())
            await cad.unit_status(UnitStatusUpdate(api_id="STEAM:1", status=UnitStatus.BUSY))
            live.set_status([ident], 3)  # in the CAD: only the push tells the mirror
            for _ in range(200):  # bounded: the push arrives within a couple of seconds
                if mirror.units[ident].status == UnitStatus.ENROUTE:
                    break
                await asyncio.sleep(0.01)
            assert mirror.units[ident].status == UnitStatus.ENROUTE and changed.is_set()
    finally:
        await emulator.close()
        await listener.close()


class _FlakyClient(_SlowClient):
    def __init__(self, units: Any, calls: Any) -> None:
        super().__init__(units, calls)
        self.land.set()
        self.fail = False
        self.snapshots = 0

    async def all_active_units(self, *, server_id: int | None = None) -> Any:
        self.snapshots += 1
        if self.fail:
            raise TimeoutError
        return self.units


async def test_periodic_resyncs_replace_the_view_and_a_failure_keeps_it() -> None:
    from sonoran_async import CallsSnapshot
    from sonoran_async.events import Unit

    clock = ManualClock()
    client = _FlakyClient((Unit(ident_id=1),), CallsSnapshot())
    mirror = LiveMirror(client, server_id=1, events=None, resync_interval=30, clock=clock)
    changes: list[Change] = []
    mirror.on_change(changes.append)
    await mirror.start()
    try:
        assert set(mirror.units) == {1} and [c.cause for c in changes] == ["snapshot"]
        client.units = (Unit(ident_id=2),)
        await clock.tick()
        assert set(mirror.units) == {2} and mirror.stats.resyncs == 2
        assert {(c.key, c.cause) for c in changes[1:]} == {(1, "resync"), (2, "resync")}
        client.fail = True
        await clock.tick()
        assert set(mirror.units) == {2} and mirror.stats.resync_failures == 1
        assert clock.sleeps == [30.0, 30.0, 30.0] and client.snapshots == 3
    finally:
        await mirror.aclose()
