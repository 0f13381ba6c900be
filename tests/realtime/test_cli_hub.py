"""`sonoran-async emulate` (here `python -m sonoran_async.emulator`) serves `/apiWsHub`."""

from __future__ import annotations

import asyncio
import signal

from sonoran_async import LocationUpdate
from sonoran_async.realtime import LiveLocation, SonoranRealtime

from ..emulator.test_emulator_cli import cli


async def test_the_command_line_emulator_serves_the_hub() -> None:
    args = ("--community-id", "cid", "--api-key", "secret-KEY-123")
    async with cli(*args) as (url, proc):
        rt = SonoranRealtime("cid", "secret-KEY-123", base_url=url)
        await rt.connect()
        update = LiveLocation(community_user_id="player-1", location="Route 68")
        assert await rt.unit_location(update) is LocationUpdate.SENT
        proc.send_signal(signal.SIGTERM)  # stops with a socket open
        out, err = await asyncio.wait_for(proc.communicate(), 10)
        await rt.aclose()
        assert proc.returncode == 0
    assert b"secret-KEY-123" not in out + err
    assert b"Traceback" not in err
