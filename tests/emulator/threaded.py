"""An emulator on its own event loop thread, for synchronous hypothesis tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import aiohttp

from sonoran_async.emulator import Emulator

T = TypeVar("T")


class ThreadedEmulator:
    """One real emulator and one client session, both on a background loop; every call
    blocks until its request is answered (a dropped connection raises)."""

    def __init__(self, **settings: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.emu = Emulator(**settings)
        self.session: aiohttp.ClientSession | None = None
        self.run(self._start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    async def _start(self) -> None:
        await self.emu.start()
        self.session = aiohttp.ClientSession()

    async def _stop(self) -> None:
        assert self.session is not None
        await self.session.close()
        await self.emu.stop()

    async def _exchange(
        self, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, str]:
        assert self.session is not None
        async with self.session.post(self.emu.url + path, data=body, headers=dict(headers)) as r:
            return r.status, (await r.read()).decode("utf-8", "replace")

    def exchange(
        self, path: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str]:
        """POST `body` to `path`; the reply's status and text."""
        return self.run(self._exchange(path, body, headers or {}))

    def post(self, path: str, body: bytes) -> int:
        return self.exchange(path, body)[0]

    def close(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()
