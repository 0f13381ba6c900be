"""Flow control: room left under `max_pending`, shared by every lane of a client."""

from __future__ import annotations

import asyncio
from collections import deque


class PendingBudget:
    """The idea of asyncio.Semaphore, but O(1) per item.

    Semaphore scans its waiters on every `locked()` and `acquire()`, a measurable cost on
    the hot path, and releases one at a time where a batch gives back hundreds of slots.
    Waiters are served in arrival order: a slot is handed over, not re-counted.
    """

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back(1)  # handed a slot, but cancelled before using it
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def give_back(self, count: int) -> None:
        waiters = self._waiters
        while count and waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1
        self.free += count
