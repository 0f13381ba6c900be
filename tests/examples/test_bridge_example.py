"""examples/game_bridge.py end to end against the emulator, which pushes its events back
to the bridge: game event in -> call created in the CAD -> EVENT_911 pushed -> handler."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sonoran_async import BatchPolicy, SonoranClient
from sonoran_async.emulator import Emulator
from sonoran_async.events import Event911, EventReceiver

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "game_bridge.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("game_bridge", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bridge = _load()


class Running:
    def __init__(self, emu: Emulator, url: str, app: web.Application) -> None:
        self.emu, self.url, self.app = emu, url, app
        self.pushed: list[Event911] = []
        self.arrived = asyncio.Event()

    async def post(self, session: aiohttp.ClientSession, path: str, body: Any) -> Any:
        async with session.post(self.url + path, json=body) as reply:
            return reply.status, await reply.json()


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    # The bridge's socket first: the emulator must know where to push before it starts.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with Emulator("demo", "demo-key", push_url=url + "/sonorancad/event") as emu:
        positions = {"UNIT_LOCATION": BatchPolicy(max_delay=0)}
        async with SonoranClient(
            "demo", "demo-key", base_url=emu.url, batch_overrides=positions
        ) as cad:
            app = bridge.create_app(cad, "demo-key")
            result = Running(emu, url, app)

            receiver: EventReceiver = app[bridge.RECEIVER]

            @receiver.on(Event911)
            async def seen(event: Event911) -> None:
                result.pushed.append(event)
                result.arrived.set()

            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            await web.SockSite(runner, sock).start()
            try:
                yield result
            finally:
                await runner.cleanup()


async def test_a_game_911_comes_back_as_a_cad_event(running: Running) -> None:
    game = {"caller": "Jane", "location": "Route 68", "description": "Car fire", "x": 1.5, "y": -2}
    async with aiohttp.ClientSession() as session:
        status, reply = await running.post(session, "/game/911", game)
        assert (status, reply["outcome"]) == (201, "created")
        call_id = reply["callId"]
        stored = running.emu.state.emergency_calls[call_id]
        assert (stored["caller"], stored["metaData"]) == ("Jane", {"x": 1.5, "y": -2})

        await asyncio.wait_for(running.arrived.wait(), timeout=10)
        (event,) = running.pushed
        assert event.call is not None and event.call.call_id == call_id
        await running.app[bridge.RECEIVER].aclose()  # the example's own handler has run too
        async with session.get(running.url + "/game/calls") as listed:
            assert (await listed.json())["calls"] == [{"callId": call_id, "caller": "Jane"}]


async def test_positions_go_out_as_unit_locations(running: Running) -> None:
    position = {"apiId": "steam:1", "location": "Alta St", "x": 10.0, "y": 20.0}
    async with aiohttp.ClientSession() as session:
        assert await running.post(session, "/game/position", position) == (
            200,
            {"outcome": "sent"},
        )
        status, reply = await running.post(session, "/game/position", {"apiId": "steam:1"})
        assert (status, reply["outcome"], reply["field"]) == (422, "invalid", "x")
    unit = running.emu.state.units["steam:1"]
    assert unit["coordinates"] == {"x": 10.0, "y": 20.0}


async def test_the_game_hears_honest_errors(running: Running) -> None:
    async with aiohttp.ClientSession() as session:
        status, reply = await running.post(session, "/game/911", {"caller": "", "location": "x"})
        assert (status, reply["outcome"], reply["field"]) == (422, "invalid", "caller")
        assert running.emu.stats.requests == 0  # nothing was sent

        running.emu.inject("500_after")  # applied, then the reply is lost
        status, reply = await running.post(session, "/game/911", {"caller": "A", "location": "B"})
        assert (status, reply["outcome"]) == (502, "unknown")
        assert len(running.emu.state.emergency_calls) == 1  # it does exist: no blind resend

        running.emu.core.server_ids = frozenset({2})  # server 1 is gone: the CAD refuses
        status, reply = await running.post(session, "/game/911", {"caller": "A", "location": "B"})
        assert (status, reply["outcome"]) == (502, "refused")
        assert "Server not found" in reply["error"]
        assert len(running.emu.state.emergency_calls) == 1

        async with session.post(running.url + "/game/911", data=b"{") as bad:
            assert bad.status == 400


async def test_with_realtime_positions_and_events_use_the_socket() -> None:
    """--realtime: no push_url at all, yet the CAD's events reach the bridge's handlers
    (down the websocket), and positions go out as unitLocation calls."""
    async with (
        Emulator("demo", "demo-key") as emu,
        SonoranClient("demo", "demo-key", base_url=emu.url) as cad,
    ):
        app = bridge.create_app(
            cad, "demo-key", realtime=True, community_id="demo", cad_url=emu.url
        )
        arrived = asyncio.Event()
        receiver: EventReceiver = app[bridge.RECEIVER]

        @receiver.on(Event911)
        async def seen(event: Event911) -> None:
            arrived.set()

        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(
                    url + "/game/911", json={"caller": "Jo", "location": "Route 68"}
                ) as reply:
                    assert reply.status == 201
                await asyncio.wait_for(arrived.wait(), timeout=10)
                position = {"apiId": "steam:2", "location": "Alta St", "x": 1.0, "y": 2.0}
                async with session.post(url + "/game/position", json=position) as reply:
                    assert (await reply.json()) == {"outcome": "sent"}
            realtime = app[bridge.REALTIME]
            assert realtime.stats.pushes == 1 and emu.stats.pushed == 0
            assert emu.hub.stats.locations == 1
            assert emu.state.units["steam:2"]["coordinates"] == {"x": 1.0, "y": 2.0}
        finally:
            await runner.cleanup()
