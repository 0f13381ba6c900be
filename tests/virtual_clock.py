"""A virtual `Clock` for tests: sleeping advances time at once, nothing really waits."""

from __future__ import annotations

import asyncio


class VirtualClock:
    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class ManualClock:
    """A `Clock` whose `sleep` returns only when the test calls `tick()`: a loop that
    sleeps between rounds (a resync) runs one round per tick."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._tick = asyncio.Event()

    def monotonic(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self._tick.wait()
        self._tick.clear()

    async def tick(self) -> None:
        self._tick.set()
        for _ in range(10):
            await asyncio.sleep(0)
