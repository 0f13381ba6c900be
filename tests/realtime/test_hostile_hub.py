"""`SonoranRealtime` against a scripted hub answering in the worst plausible ways: each
test pins an attack that once broke the session (or one that must keep holding)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import random
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from sonoran_async import LocationUpdate
from sonoran_async.events import Event911, EventReceiver
from sonoran_async.realtime import (
    ConnectionState,
    LiveCoordinates,
    LiveLocation,
    LocationRefusedError,
    RealtimeClosedError,
    RealtimeError,
    SonoranRealtime,
    _connection,
    _sending,
)

KEY = "hostile-hub-key-0042"
RS = "\x1e"
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

Script = Callable[[web.WebSocketResponse, int], Awaitable[None]]


class Hub:
    """A websocket endpoint on 127.0.0.1 whose every connection runs `script(ws, n)`
    (n counts connections from 1)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.url = ""

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        await self.script(ws, self.connections)
        return ws


Serve = Callable[[Script], Awaitable["Hub"]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], Awaitable[Hub]]]:
    runners: list[web.AppRunner] = []

    async def start(script: Script) -> Hub:
        hub = Hub(script)
        app = web.Application()
        app.router.add_get("/apiWsHub", hub._handle)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        hub.url = f"http://127.0.0.1:{port}"
        return hub

    yield start
    for runner in runners:
        await runner.cleanup()


async def messages(ws: web.WebSocketResponse) -> AsyncIterator[dict[str, Any]]:
    """The client's messages (pings skipped) until its socket closes."""
    async for msg in ws:
        if msg.type is not aiohttp.WSMsgType.TEXT:
            return
        for part in msg.data.split(RS)[:-1]:
            message: dict[str, Any] = orjson.loads(part)
            if message.get("type") != 6:
                yield message


async def send(ws: web.WebSocketResponse, *items: dict[str, Any]) -> None:
    await ws.send_str("".join(orjson.dumps(m).decode() + RS for m in items))


def completion(message: dict[str, Any], result: Any) -> dict[str, Any]:
    return {"type": 3, "invocationId": message["invocationId"], "result": result}


async def accept(ws: web.WebSocketResponse) -> None:
    """Read the handshake, answer `{}`."""
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.TEXT and msg.data.startswith('{"protocol":"json"')
    await ws.send_str("{}" + RS)


async def serve_ok(ws: web.WebSocketResponse) -> None:
    """Answer every invocation with success until the socket closes."""
    async for message in messages(ws):
        if message.get("type") == 1 and "invocationId" in message:
            await send(ws, completion(message, {"success": True}))


def _loc(unit: int, seq: int = 0) -> LiveLocation:
    return LiveLocation(
        api_id=f"unit-{unit}",
        location=f"seq {seq}",
        coordinates=LiveCoordinates(x=float(seq), y=float(unit), z=1.0, w=90.0),
    )


def _session(url: str, **options: Any) -> SonoranRealtime:
    settings: dict[str, Any] = {"backoff": 0.05, "backoff_cap": 0.4, "interval": 0.2}
    settings.update(options)
    return SonoranRealtime("demo", KEY, base_url=url, **settings)


async def test_a_hub_that_drops_every_link_at_once_is_not_hammered(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """Authenticated, then dropped at once, every time: the backoff carries over from one
    short-lived link to the next (it used to restart at 0 s: hundreds of connects a
    second), and the whole flapping run is one outage with one WARNING."""

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await accept(ws)
        async for message in messages(ws):
            await send(ws, completion(message, {"success": True}))
            if n > 1 or message["target"] == "unitLocation":
                await ws.close()

    hub = await serve(script)
    caplog.set_level(logging.WARNING, "sonoran_async.realtime")
    async with _session(hub.url) as rt:
        sent = asyncio.ensure_future(rt.unit_location(_loc(1)))
        assert await sent is LocationUpdate.SENT
        await asyncio.sleep(1.0)
        # Delays at least 0.05, 0.1, 0.2, 0.2, ... (jitter halves at most): <= 8 in 1 s.
        assert hub.connections <= 10, hub.connections
        assert rt.stats.outages == 1
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "sonoran_async.realtime"
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


async def test_a_record_separator_split_across_websocket_messages(
    serve: Serve,
) -> None:
    """A peer may cut a message anywhere (the .NET client buffers across websocket
    messages): the handshake reply and each completion arrive in pieces."""

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await ws.receive()
        await ws.send_str("{")
        await ws.send_str("}")
        await ws.send_str(RS + '{"type":6')
        await ws.send_str("}" + RS)
        async for message in messages(ws):
            text = orjson.dumps(completion(message, {"success": True})).decode() + RS
            for piece in (text[:5], text[5:-1], text[-1:]):
                await ws.send_str(piece)

    hub = await serve(script)
    async with _session(hub.url) as rt:
        assert await rt.unit_location(_loc(1)) is LocationUpdate.SENT
        assert await rt.unit_location(_loc(2)) is LocationUpdate.SENT
        assert rt.stats.outages == 0 and hub.connections == 1


async def test_a_message_that_never_ends_is_bounded(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_connection, "MAX_PARTIAL", 64)

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await accept(ws)
        async for message in messages(ws):
            await send(ws, completion(message, {"success": True}))
            if n == 1:
                for _ in range(10):
                    await ws.send_str('{"type":1,"target":"pushEvent","arguments":["' + "x" * 9)

    hub = await serve(script)
    async with _session(hub.url) as rt:
        assert await rt.unit_location(_loc(1)) is LocationUpdate.SENT
        assert rt.stats.outages == 1 and "no end" in str(rt.stats.last_error)


async def test_aclose_while_reconnecting_to_a_hub_that_never_answers(
    serve: Serve,
) -> None:
    """Reconnecting to a hub that upgrades the socket and then reads nothing (not the
    handshake, not our close): aclose() returns at once (aiohttp gives up the close of a
    socket whose receive was cancelled, rather than wait 10 s for the peer's); the
    waiting caller fails, nothing hangs. (Held; pinned.)"""
    hub = await serve(_answer_ok)
    rt = _session(hub.url, connect_timeout=30.0)
    await rt.connect()
    mute = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def upgrade_then_nothing(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept_key = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_key + b"\r\n\r\n"
        )
        held.append(writer)
        mute.set()

    server = await asyncio.start_server(upgrade_then_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rt.url = f"http://127.0.0.1:{port}/apiWsHub"
    try:
        assert rt._conn is not None
        await rt._conn._ws.close()  # lost: the session reconnects, to the mute hub
        await asyncio.wait_for(mute.wait(), 5)
        waiting = asyncio.ensure_future(rt.unit_location(_loc(1)))
        await asyncio.sleep(0.05)  # the handshake is out, unanswered
        async with asyncio.timeout(5):  # a hang guard, not a timing figure (hung: 10 s)
            await rt.aclose()
        with pytest.raises(RealtimeClosedError):
            await waiting
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def _answer_ok(ws: web.WebSocketResponse, n: int) -> None:
    await accept(ws)
    await serve_ok(ws)


async def test_the_key_echoed_by_the_hub_is_never_logged_nor_raised(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """A hub that quotes the key back (in a Close, a completion error, a handshake error):
    the key stays out of DEBUG logs, stats and exception texts."""

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        if n > 1:
            await ws.receive()
            await send(ws, {"error": f"handshake refused for {KEY}"})
            return
        await accept(ws)
        locations = 0
        async for message in messages(ws):
            if message.get("target") == "authenticatev2":
                await send(ws, completion(message, {"success": True}))
            elif message.get("target") == "unitLocation":
                locations += 1
                if locations == 1:
                    error = {"type": 3, "invocationId": message["invocationId"], "error": KEY}
                    await send(ws, error)
                else:
                    await send(ws, {"type": 7, "error": f"bad key {KEY}"})

    hub = await serve(script)
    caplog.set_level(logging.DEBUG)
    rt = _session(hub.url, max_outage=0.2)
    async with rt:
        with pytest.raises(Exception) as refused:
            await rt.unit_location(_loc(1))
        with pytest.raises(RealtimeError) as failed:
            await asyncio.wait_for(rt.unit_location(_loc(2)), 5)
    texts = [caplog.text, str(rt.stats), repr(rt)]
    for caught in (refused, failed):
        texts += [str(caught.value), repr(caught.value)]
        texts += traceback.TracebackException.from_exception(
            caught.value, capture_locals=True
        ).format()
    assert hub.connections >= 3
    for text in texts:
        assert KEY not in text


def test_the_key_is_not_in_the_locals_of_a_refused_construction() -> None:
    with pytest.raises(ValueError) as caught:
        SonoranRealtime("demo", KEY, interval=0.1)
    with_locals = traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    assert KEY not in "".join(with_locals.format())


async def test_reconnecting_for_ever_never_overflows_the_backoff(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`max_outage=None` reconnects for ever: past 1,023 attempts `backoff * 2**attempt`
    overflowed a float, the reconnect loop died, and callers waited for ever."""

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await accept(ws)
        await serve_ok(ws)

    hub = await serve(script)
    attempts = 0
    many = asyncio.Event()

    async def refused(*args: Any, **kwargs: Any) -> Any:
        nonlocal attempts
        attempts += 1
        if attempts == 1100:
            many.set()
        raise _connection.ConnectionLost("refused")

    monkeypatch.setattr(random, "uniform", lambda a, b: 0.0)
    rt = _session(hub.url, max_outage=None)
    async with rt:
        monkeypatch.setattr(_connection.HubConnection, "open", refused)
        assert rt._conn is not None
        await rt._conn._ws.close()
        async with asyncio.timeout(10):  # a hang guard: ~0.1 s when it holds
            await many.wait()
        assert rt.state is ConnectionState.RECONNECTING
        assert rt._run_task is not None and not rt._run_task.done()


@pytest.mark.parametrize(
    "fault",
    ["unknown-id", "not-json", "no-object", "binary", "close", "pings-only", "null-result"],
)
async def test_a_hub_misbehaving_mid_call_costs_one_reconnect_and_no_position(
    serve: Serve, fault: str
) -> None:
    """The first link answers a unitLocation call in the worst plausible ways; the
    update is re-sent over the second link (or, for a completion that is no reply,
    refused with a typed error), and nothing else happens: one reconnect, no loop."""

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await accept(ws)
        async for message in messages(ws):
            if message.get("target") != "unitLocation" or n > 1:
                await send(ws, completion(message, {"success": True}))
                continue
            if fault == "unknown-id":
                await send(ws, {"type": 3, "invocationId": "999", "result": {"success": True}})
            elif fault == "not-json":
                await ws.send_str("{nope" + RS)
            elif fault == "no-object":
                await ws.send_str("[3]" + RS)
            elif fault == "binary":
                await ws.send_bytes(b"\x00\x01")
            elif fault == "close":
                await send(ws, {"type": 7, "error": "going away", "allowReconnect": True})
            elif fault == "pings-only":
                for _ in range(5):
                    await send(ws, {"type": 6})
                    await asyncio.sleep(0.05)
            else:
                await send(ws, completion(message, None))

    hub = await serve(script)
    async with _session(hub.url, invoke_timeout=0.2, server_timeout=5.0) as rt:
        if fault == "null-result":
            with pytest.raises(LocationRefusedError):
                await rt.unit_location(_loc(1))
            assert rt.stats.outages == 0 and hub.connections == 1
            return
        assert await asyncio.wait_for(rt.unit_location(_loc(1)), 5) is LocationUpdate.SENT
        assert rt.stats.outages == 1 and rt.stats.reconnects == 1 and hub.connections == 2
        assert rt.stats.resent == 1


@pytest.mark.parametrize("fault", ["close", "error", "garbage", "binary"])
async def test_a_reconnect_refused_in_the_handshake_is_retried_with_backoff(
    serve: Serve, fault: str
) -> None:
    async def script(ws: web.WebSocketResponse, n: int) -> None:
        if n in (2, 3):
            await ws.receive()
            if fault == "close":
                await ws.close()
            elif fault == "error":
                await send(ws, {"error": "Requested protocol 'json' is not available."})
            elif fault == "garbage":
                await ws.send_str("<html>" + RS)
            else:
                await ws.send_bytes(b"{}\x1e")
            return
        await accept(ws)
        async for message in messages(ws):
            await send(ws, completion(message, {"success": True}))
            if n == 1 and message.get("target") == "unitLocation":
                await ws.close()

    hub = await serve(script)
    async with _session(hub.url) as rt:
        assert await rt.unit_location(_loc(1)) is LocationUpdate.SENT
        assert await asyncio.wait_for(rt.unit_location(_loc(1, 2)), 5) is LocationUpdate.SENT
        assert hub.connections == 4 and rt.stats.outages == 1 and rt.stats.reconnects == 1


async def test_a_burst_of_10000_pushes_with_slow_handlers(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """10,000 pushEvents at once, every handler stuck: locations still go out, the
    handlers in flight stay bounded, the session stays up, and the 9,000 pushes not
    handled make one WARNING (they made one each)."""
    release = asyncio.Event()
    handled = 0

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await accept(ws)
        async for message in messages(ws):
            await send(ws, completion(message, {"success": True}))
            if message.get("target") == "authenticatev2":
                push = {"type": 1, "target": "pushEvent", "arguments": [{"type": "EVENT_911"}]}
                for _ in range(10):
                    await send(ws, *[push] * 1000)

    hub = await serve(script)
    caplog.set_level(logging.WARNING)
    receiver = EventReceiver("x")

    @receiver.on(Event911)
    async def slow(event: Event911) -> None:
        nonlocal handled
        await release.wait()
        handled += 1

    async with _session(hub.url, events=receiver) as rt:
        assert await asyncio.wait_for(rt.unit_location(_loc(1)), 5) is LocationUpdate.SENT
        async with asyncio.timeout(10):  # a hang guard
            while rt.stats.pushes < 10_000:  # noqa: ASYNC110 (a counter, no event to wait on)
                await asyncio.sleep(0.01)
        assert len(receiver._tasks) <= receiver.max_in_flight
        assert rt.state is ConnectionState.CONNECTED and hub.connections == 1
        release.set()
    await receiver.aclose()
    assert handled == receiver.max_in_flight
    ours = [r for r in caplog.records if r.name.startswith("sonoran_async")]
    assert len(ours) == 1, len(ours)  # one WARNING for the busy spell, not 9,000
    assert receiver.stats.busy == 10_000 - receiver.max_in_flight


def test_the_key_is_not_in_the_locals_of_a_refused_receiver() -> None:
    with pytest.raises(ValueError) as caught:
        EventReceiver(KEY, path="no-slash")
    with_locals = traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    assert KEY not in "".join(with_locals.format())


async def test_a_bug_in_the_sender_fails_the_session_instead_of_hanging_callers(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = await serve(_answer_ok)

    async def broken(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(_sending.LocationSender, "_send", broken)
    async with _session(hub.url) as rt:
        with pytest.raises(RealtimeError, match="broke: RuntimeError"):
            await asyncio.wait_for(rt.unit_location(_loc(1)), 5)
        assert rt.state is ConnectionState.FAILED


async def test_callers_cancelled_mid_send_change_nothing_for_the_others(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """Callers cancelled while their call is out (and one while queued): the call still
    completes, later updates go out, no 'exception never retrieved', no reconnect."""
    gate = asyncio.Event()

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await accept(ws)
        async for message in messages(ws):
            if message.get("target") == "unitLocation":
                await gate.wait()
            await send(ws, completion(message, {"success": True}))

    hub = await serve(script)
    caplog.set_level(logging.DEBUG)
    async with _session(hub.url) as rt:
        first = [asyncio.ensure_future(rt.unit_location(_loc(u))) for u in range(3)]
        async with asyncio.timeout(5):  # a hang guard
            while rt._sender is None or not rt._sender.in_flight:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        queued = asyncio.ensure_future(rt.unit_location(_loc(9)))
        await asyncio.sleep(0)
        for task in (*first[:2], queued):
            task.cancel()
        gate.set()
        assert await first[2] is LocationUpdate.SENT
        assert await rt.unit_location(_loc(1, 2)) is LocationUpdate.SENT
        assert rt.stats.outages == 0 and hub.connections == 1
    assert "never retrieved" not in caplog.text and "InvalidStateError" not in caplog.text


async def test_connect_cancelled_mid_handshake_leaves_nothing_open(serve: Serve) -> None:
    """A caller's timeout around `async with SonoranRealtime(...)` while the hub sits on
    the handshake: the aiohttp session it made was left unclosed (a leak per attempt)."""
    entered = asyncio.Event()

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        entered.set()
        await asyncio.sleep(30)

    hub = await serve(script)
    rt = _session(hub.url)
    attempt = asyncio.ensure_future(rt.connect())
    await asyncio.wait_for(entered.wait(), 5)
    attempt.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attempt
    assert rt._session is None and hub.connections == 1


@pytest.mark.parametrize(
    "options", [{"community_id": Decimal(1)}, {"server_id": "1"}, {"server_id": True}]
)
async def test_arguments_of_authenticatev2_are_checked_at_construction(
    serve: Serve, options: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A community id orjson cannot encode failed inside the frame builder, whose locals
    (the invocation's arguments) held the key; a server id of the wrong type reached the
    hub. Both are refused when the session is made."""
    hub = await serve(_answer_ok)
    settings: dict[str, Any] = {"community_id": "demo", "server_id": 1, **options}
    community_id = settings.pop("community_id")
    with pytest.raises(ValueError) as caught:
        SonoranRealtime(community_id, KEY, base_url=hub.url, **settings)
    with_locals = traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    assert KEY not in "".join(with_locals.format()) and hub.connections == 0


async def test_a_hub_that_forgets_us_after_every_login_is_not_hammered(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held: every unitLocation answered "unauthenticated" (the session reconnects to log
    in again): after MAX_REFUSALS in a row the update fails, and the reconnects back off."""

    async def script(ws: web.WebSocketResponse, n: int) -> None:
        await accept(ws)
        async for message in messages(ws):
            forgot = message.get("target") == "unitLocation"
            reply = {"success": False, "error": "Unauthenticated"} if forgot else {"success": True}
            await send(ws, completion(message, reply))

    hub = await serve(script)
    monkeypatch.setattr(_sending, "MAX_REFUSALS", 3)  # each refusal costs a 0.2 s pace
    async with _session(hub.url, backoff=0.01, backoff_cap=0.05) as rt:
        with pytest.raises(LocationRefusedError):
            await asyncio.wait_for(rt.unit_location(_loc(1)), 10)
        assert hub.connections == 3 + 1
