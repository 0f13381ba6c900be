"""The official JavaScript SignalR client (`@microsoft/signalr`, installed by `make test`
with `npm ci` in tests/realtime/js) against the emulator's hub: proof that the emulator
speaks real SignalR (skip-negotiation, WebSockets), as Sonoran's documentation connects."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from sonoran_async.emulator import Emulator

JS = Path(__file__).parent / "js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed (the JS client needs it)"),
    pytest.mark.skipif(
        not (JS / "node_modules" / "@microsoft" / "signalr").is_dir(),
        reason="@microsoft/signalr is not installed: run `npm ci` in tests/realtime/js "
        "(make test does)",
    ),
]


async def _line(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert line, "the JS client ended early"
    step: dict[str, Any] = orjson.loads(line)
    assert step["step"] != "error", step
    return step


async def test_official_client_authenticates_sends_locations_and_receives_push() -> None:
    assert NODE is not None
    async with Emulator("js-community", "js-key", server_ids=(1, 2)) as emu:
        proc = await asyncio.create_subprocess_exec(
            NODE,
            str(JS / "client.js"),
            emu.url,
            "js-community",
            "js-key",
            "2",
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            auth = await _line(proc)
            assert auth["auth"] == {"success": True, "error": None, "count": 1}
            sent = await _line(proc)
            assert sent["sent"] == {"success": True, "error": None, "count": 1}
            too_fast = await _line(proc)
            assert too_fast["tooFast"]["error"] == (
                "UNIT_LOCATION updates are limited to every 200ms."
            )
            assert (await _line(proc))["step"] == "ready"
            assert emu.state.units["js-unit"]["coordinates"] == {
                "x": 1.5,
                "y": 2.5,
                "z": 3,
                "w": 90,
            }
            assert emu.hub.listening(2) == 1
            assert emu.hub.push("EVENT_UNIT_STATUS", {"units": []}, server_id=1) == 0
            assert emu.hub.push("EVENT_UNIT_STATUS", {"units": [{"id": 7}]}, server_id=2) == 1
            pushed = await _line(proc)
            assert pushed == {
                "step": "pushEvent",
                "type": "EVENT_UNIT_STATUS",
                "data": {"units": [{"id": 7}]},
            }
            assert (await _line(proc))["step"] == "closed"
            assert await asyncio.wait_for(proc.wait(), 10) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert emu.hub.stats.connections == 1
