"""`SonoranRealtime` against the emulator's hub: authentication, locations under faults,
push events either way, the key kept out of logs, reprs and errors."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable

import pytest

from sonoran_async import (
    BatchPolicy,
    Call911,
    Coordinates,
    LocationUpdate,
    SonoranClient,
    UnitLocation,
)
from sonoran_async.emulator import Emulator
from sonoran_async.events import Event911, EventReceiver, EventUnitStatus, PushEvent
from sonoran_async.realtime import (
    ConnectionState,
    LiveCoordinates,
    LiveLocation,
    LocationRefusedError,
    RealtimeAuthError,
    RealtimeClosedError,
    RealtimeError,
    SonoranRealtime,
)

from ..events.conftest import serving
from ..virtual_clock import VirtualClock

KEY = "s3cret-realtime-key"


def _loc(unit: int, seq: int) -> LiveLocation:
    return LiveLocation(
        api_id=f"unit-{unit}",
        location=f"seq {seq}",
        coordinates=LiveCoordinates(x=float(seq), y=float(unit), z=1.0, w=90.0),
    )


def _session(emu: Emulator, **options: object) -> SonoranRealtime:
    settings: dict[str, object] = {"backoff": 0.05, "backoff_cap": 0.2, "interval": 0.2}
    settings.update(options)
    return SonoranRealtime("demo", KEY, base_url=emu.url, **settings)  # type: ignore[arg-type]


async def test_auth_failure_is_one_clear_error_and_no_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Emulator("demo", KEY) as emu:
        emu.hub.refuse_auth = True
        rt = _session(emu)
        with pytest.raises(RealtimeAuthError) as caught:
            async with rt:
                raise AssertionError("entered")
        assert caught.value.text == "INVALID API KEY"
        await asyncio.sleep(0.3)  # backoff is 0.05 s: a loop would have retried by now
        assert emu.hub.stats.auth_refused == 1 and emu.hub.stats.connections == 1
        assert rt.state is ConnectionState.FAILED
        with pytest.raises(RealtimeClosedError):
            await rt.unit_location(_loc(1, 1))
    with_locals = traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    texts = (caplog.text, repr(rt), str(caught.value), repr(caught.value), *with_locals.format())
    for text in texts:
        assert KEY not in text


async def test_refused_on_reconnect_fails_waiting_callers_once() -> None:
    async with Emulator("demo", KEY) as emu, _session(emu) as rt:
        emu.hub.refuse_auth = True
        emu.hub.silence()
        emu.hub.drop()
        with pytest.raises(RealtimeAuthError):
            await asyncio.wait_for(rt.unit_location(_loc(1, 1)), 10)
        assert rt.state is ConnectionState.FAILED
        assert emu.hub.stats.auth_refused == 1


async def test_plain_ws_only_to_loopback() -> None:
    with pytest.raises(ValueError, match="plain http"):
        SonoranRealtime("demo", KEY, base_url="http://cad.example.com")
    with pytest.raises(ValueError, match="interval"):
        SonoranRealtime("demo", KEY, interval=0.19)
    with pytest.raises(ValueError, match="max_per_call"):
        SonoranRealtime("demo", KEY, max_per_call=26)


async def _stream(rt: SonoranRealtime, units: int, rounds: int, fault: object) -> list[object]:
    """`rounds` positions per unit, a fault injected in the middle; every caller's result."""
    tasks = []
    for seq in range(rounds):
        tasks += [asyncio.create_task(rt.unit_location(_loc(u, seq))) for u in range(units)]
        await asyncio.sleep(0.05)
        if seq == rounds // 2:
            fault()  # type: ignore[operator]
    return await asyncio.wait_for(asyncio.gather(*tasks), 20)


@pytest.mark.parametrize("fault", ["drop", "silence"])
async def test_lost_mid_stream_reconnects_and_loses_no_position(
    fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Emulator("demo", KEY) as emu:
        async with _session(emu, server_timeout=0.4, ping_interval=0.1) as rt:
            results = await _stream(rt, 60, 6, getattr(emu.hub, fault))
            assert set(results) <= {LocationUpdate.SENT, LocationUpdate.SUPERSEDED}
            assert rt.stats.reconnects == 1 and rt.stats.outages == 1
            assert rt.state is ConnectionState.CONNECTED
        for unit in range(60):  # the newest position of every unit arrived
            assert emu.state.units[f"unit-{unit}"]["location"] == "seq 5"
        sent = sum(r is LocationUpdate.SENT for r in results)
        assert sent == rt.stats.updates_sent
        assert rt.stats.updates_sent + rt.stats.superseded == len(results)
        assert emu.hub.stats.too_fast == 0 and emu.hub.stats.max_batch <= 25
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "reconnecting" in warnings[0].getMessage()
    assert KEY not in caplog.text


async def test_flood_never_hits_the_limits() -> None:
    """10,000 updates for 1,000 units, paced on a virtual clock the hub also reads."""
    clock = VirtualClock()
    async with Emulator("demo", KEY) as emu:
        emu.hub.clock = clock.monotonic
        async with _session(emu, interval=0.25, clock=clock) as rt:
            tasks = []
            for seq in range(10):
                tasks += [asyncio.create_task(rt.unit_location(_loc(u, seq))) for u in range(1000)]
                calls = emu.hub.stats.location_calls
                await _until(lambda: emu.hub.stats.location_calls >= calls + 3)  # noqa: B023
            results = await asyncio.wait_for(asyncio.gather(*tasks), 30)
        stats = emu.hub.stats
        assert (stats.too_fast, stats.too_many, stats.location_errors) == (0, 0, 0)
        assert stats.max_batch == 25 and stats.min_gap is not None and stats.min_gap >= 0.25
        assert all(emu.state.units[f"unit-{u}"]["location"] == "seq 9" for u in range(1000))
        assert sum(r is LocationUpdate.SENT for r in results) == stats.locations
        assert rt.stats.resent == 0


async def test_real_time_at_the_200ms_floor() -> None:
    async with Emulator("demo", KEY) as emu, _session(emu) as rt:
        await asyncio.gather(*(rt.unit_location(_loc(u, 0)) for u in range(100)))
        assert emu.hub.stats.location_calls == 4 and emu.hub.stats.too_fast == 0


async def test_refused_update_is_a_typed_error() -> None:
    async with Emulator("demo", KEY) as emu, _session(emu) as rt:
        emu.hub.max_updates = 0  # every call now "too many": halved until 1, then refused
        emu.hub.refuse_auth = False
        with pytest.raises(LocationRefusedError, match="Too many"):
            await asyncio.wait_for(rt.unit_location(_loc(1, 1)), 10)


async def test_events_over_the_socket_then_over_http_same_handlers() -> None:
    receiver = EventReceiver(KEY)
    seen: list[PushEvent] = []

    @receiver.on(Event911)
    async def on_911(event: Event911) -> None:
        seen.append(event)

    async with serving(receiver.make_app()) as listener:
        push_url = listener + receiver.path
        async with (
            Emulator("demo", KEY, push_url=push_url) as emu,
            SonoranClient("demo", KEY, base_url=emu.url) as cad,
        ):
            async with _session(emu, events=receiver) as rt:
                await cad.call_911(Call911(caller="Socket", location="L"))
                await _until(lambda: len(seen) == 1)
                assert rt.stats.pushes == 1 and emu.stats.pushed == 0
            await cad.call_911(Call911(caller="Http", location="L"))
            await _until(lambda: len(seen) == 2)
            assert emu.stats.pushed == 1
    assert [e.call.caller for e in seen if isinstance(e, Event911) and e.call] == [
        "Socket",
        "Http",
    ]


async def test_text_payloads_and_malformed_pushes() -> None:
    async with Emulator("demo", KEY) as emu, _session(emu) as rt:
        got: list[EventUnitStatus] = []

        @rt.events.on(EventUnitStatus)
        async def status(event: EventUnitStatus) -> None:
            got.append(event)

        emu.hub.push_as_text = True
        emu.hub.push("EVENT_UNIT_STATUS", {"identId": 3, "status": 2})
        emu.hub.push_as_text = False
        emu.hub.push("", {})
        await _until(lambda: len(got) == 1 and rt.stats.malformed_pushes == 1)


async def test_fallback_over_http_while_the_socket_is_down() -> None:
    async with (
        Emulator("demo", KEY) as emu,
        SonoranClient(
            "demo",
            KEY,
            base_url=emu.url,
            batch_overrides={"UNIT_LOCATION": BatchPolicy(max_delay=0.05)},
        ) as cad,
        _session(emu, fallback=cad) as rt,
    ):
        emu.hub.accepting = False
        emu.hub.drop()
        await _until(lambda: rt.state is ConnectionState.RECONNECTING)
        http = UnitLocation(api_id="h1", location="over http", coordinates=Coordinates(x=1, y=2))
        assert await asyncio.wait_for(rt.unit_location(http), 15) is LocationUpdate.SENT
        assert emu.state.units["h1"]["location"] == "over http"
        assert rt.stats.fallback_sent == 1
        by_ident = asyncio.create_task(
            rt.unit_location(LiveLocation(ident_id=7, location="socket only"))
        )
        await asyncio.sleep(0.3)
        assert not by_ident.done()  # no API ID: it waits for the socket
        emu.hub.accepting = True
        assert await asyncio.wait_for(by_ident, 10) is LocationUpdate.SENT
        assert emu.state.units["identId:7"]["location"] == "socket only"


async def test_close_sends_what_is_queued_then_fails_the_rest() -> None:
    async with Emulator("demo", KEY) as emu:
        rt = _session(emu)
        await rt.connect()
        tasks = [asyncio.create_task(rt.unit_location(_loc(u, 0))) for u in range(30)]
        await asyncio.sleep(0)
        await rt.aclose()
        assert all(t.result() is LocationUpdate.SENT for t in tasks)
        assert rt.state is ConnectionState.CLOSED

        rt = _session(emu, close_timeout=0.0)
        await rt.connect()
        emu.hub.silence()
        late = asyncio.create_task(rt.unit_location(_loc(1, 1)))
        await asyncio.sleep(0.05)
        await rt.aclose()
        with pytest.raises(RealtimeClosedError):
            await late


async def test_cannot_connect_is_a_realtime_error() -> None:
    async with Emulator("demo", KEY) as emu:
        emu.hub.accepting = False
        with pytest.raises(RealtimeError, match="cannot connect"):
            async with _session(emu):
                raise AssertionError("entered")


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 (polls counters, no event to wait on)
            await asyncio.sleep(0.005)


async def test_pings_both_ways_keep_an_idle_session_up() -> None:
    async with Emulator("demo", KEY) as emu:
        emu.hub.client_timeout = 0.3  # the hub closes a socket silent this long
        emu.hub.ping_interval = 0.1
        async with _session(emu, ping_interval=0.1, server_timeout=0.3) as rt:
            await asyncio.sleep(1.0)  # idle: only pings flow
            assert rt.stats.outages == 0 and rt.state is ConnectionState.CONNECTED


async def test_slow_or_failing_handlers_never_hold_up_the_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    async with Emulator("demo", KEY) as emu, _session(emu) as rt:

        @rt.events.on(EventUnitStatus)
        async def slow(event: EventUnitStatus) -> None:
            await release.wait()

        @rt.events.on(Event911)
        async def failing(event: Event911) -> None:
            raise RuntimeError("handler bug")

        for _ in range(3):
            emu.hub.push("EVENT_UNIT_STATUS", {"identId": 1, "status": 1})
        emu.hub.push("EVENT_911", {"call": {"callId": 1}})
        await _until(lambda: rt.stats.pushes == 4 and rt.events.stats.handler_errors == 1)
        assert rt.events.in_flight == 3
        assert await asyncio.wait_for(rt.unit_location(_loc(1, 1)), 5) is LocationUpdate.SENT
        release.set()
    assert "handler bug" in caplog.text
