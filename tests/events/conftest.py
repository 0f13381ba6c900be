"""A receiver served on a real loopback socket, and a helper posting to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from sonoran_async.events import EventReceiver, PushEvent

KEY = "Sonoran-API-Key-123"


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` on 127.0.0.1 (any free port), cleaned up on exit; yields its base URL."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


class Listener:
    """A running receiver: post bodies to it; events its catch-all handler saw."""

    def __init__(self, receiver: EventReceiver, url: str, session: aiohttp.ClientSession):
        self.receiver = receiver
        self.url = url + receiver.path
        self.session = session
        self.seen: list[PushEvent] = []

    async def post_bytes(self, body: bytes, **kwargs: Any) -> tuple[int, str]:
        async with self.session.post(self.url, data=body, **kwargs) as reply:
            return reply.status, await reply.text()

    async def push(self, event_type: Any, data: Any, *, key: Any = KEY) -> tuple[int, str]:
        return await self.post_bytes(orjson.dumps({"key": key, "type": event_type, "data": data}))

    async def settle(self) -> None:
        """Wait until the handlers scheduled so far have run."""
        await self.receiver.aclose()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    receiver = EventReceiver(KEY)
    async with serving(receiver.make_app()) as url, aiohttp.ClientSession() as session:
        result = Listener(receiver, url, session)

        @receiver.on_any
        async def remember(event: PushEvent) -> None:
            result.seen.append(event)

        yield result
