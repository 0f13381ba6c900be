"""Fixtures for the emulator tests: a client session and a request helper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import orjson
import pytest

# The plugin's fixtures, also when the package is not installed (no pytest11 entry point).
from sonoran_async.testing import sonoran_emulator, sonoran_emulator_factory  # noqa: F401

ID = "demo"
KEY = "demo-key"


@attrs.frozen
class Reply:
    status: int
    text: str
    content_type: str
    headers: dict[str, str]

    def json(self) -> Any:
        return orjson.loads(self.text)


class Api:
    """Posts envelopes to an emulator over real HTTP."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def raw(self, url: str, body: bytes, **kwargs: Any) -> Reply:
        headers = {"Content-Type": "application/json"}
        async with self.session.post(url, data=body, headers=headers, **kwargs) as resp:
            text = await resp.text()
            return Reply(resp.status, text, resp.content_type, dict(resp.headers))

    async def post(
        self,
        emu: Any,
        rtype: str,
        data: Any,
        *,
        path: str | None = None,
        **envelope: Any,
    ) -> Reply:
        body = {"id": ID, "key": KEY, "type": rtype, "data": data}
        body.update(envelope)
        url = f"{emu.url}/emergency/{(path or rtype).lower()}"
        return await self.raw(url, orjson.dumps(body))

    async def call_911(self, emu: Any, **fields: Any) -> int:
        obj = {"serverId": 1, "isEmergency": False, "caller": "John Doe"}
        obj.update({"location": "1234 E. Test St.", "description": "Help"})
        obj.update(fields)
        reply = await self.post(emu, "CALL_911", [obj])
        assert reply.status == 200, reply.text
        assert reply.text.startswith("EMERGENCY CALL ADDED ID: ")
        return int(reply.text.rsplit(" ", 1)[1])

    async def new_dispatch(self, emu: Any, **fields: Any) -> int:
        obj = {"serverId": 1, "origin": 0, "status": 1, "priority": 2, "title": "Stop"}
        obj.update(fields)
        reply = await self.post(emu, "NEW_DISPATCH", [obj])
        assert reply.status == 200, reply.text
        assert reply.text.startswith("NEW DISPATCH CREATED - ID: ")
        return int(reply.text.rsplit(" ", 1)[1])

    async def close(self, emu: Any, call_id: int) -> Reply:
        return await self.post(emu, "CLOSE_CALL", [{"serverId": 1, "callId": call_id}])

    async def get_calls(self, emu: Any, **fields: Any) -> Any:
        reply = await self.post(emu, "GET_CALLS", [{"serverId": 1, **fields}])
        assert reply.status == 200, reply.text
        assert reply.content_type == "application/json"
        return reply.json()


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session)
