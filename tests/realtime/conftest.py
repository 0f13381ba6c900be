"""Helpers for the realtime tests: a raw SignalR socket to the emulator's hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from sonoran_async.emulator import Emulator

RS = "\x1e"


class RawHub:
    """A hand-driven SignalR JSON connection (handshake done), for the hub's own tests."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(orjson.dumps(message).decode() + RS)

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a ping."""
        while True:
            msg = await self.ws.receive(5)
            assert msg.type is aiohttp.WSMsgType.TEXT, msg
            for part in msg.data.split(RS)[:-1]:
                message: dict[str, Any] = orjson.loads(part)
                if message.get("type") != 6:
                    return message

    async def invoke(self, target: str, *arguments: Any) -> Any:
        self._ids += 1
        invocation_id = str(self._ids)
        await self.send(
            {"type": 1, "invocationId": invocation_id, "target": target, "arguments": arguments}
        )
        reply = await self.receive()
        assert reply["type"] == 3 and reply["invocationId"] == invocation_id, reply
        assert "error" not in reply, reply
        return reply["result"]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator("hub-community", "hub-key", server_ids=(1, 2)) as emulator:
        yield emulator


@pytest.fixture
async def raw(emu: Emulator) -> AsyncIterator[RawHub]:
    async with aiohttp.ClientSession() as session, session.ws_connect(emu.url + "/apiWsHub") as ws:
        await ws.send_str('{"protocol":"json","version":1}' + RS)
        assert (await ws.receive(5)).data == "{}" + RS
        yield RawHub(ws)
