"""Time as a seam: everything the client waits for or times goes through a `Clock`.

The lane's `max_delay` timer, the delivery deadline, retry backoffs, the rate budget and
the snapshot cache's age all read `monotonic()` and wait through `sleep()` (or a timer
made from it, `call_later`). Tests inject a virtual clock instead of patching
`asyncio.sleep` or `time.monotonic`, and a five-second batching window takes no real
time. (The HTTP exchange itself, and `close_timeout`, run on the event loop's time.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` without blocking the event loop."""
        ...


class Timer(Protocol):
    def cancel(self) -> object: ...


class SystemClock:
    """The real clock: `time.monotonic` and `asyncio.sleep` (the event loop's own time)."""

    #: `time.monotonic` itself: no Python frame per reading on the hot path.
    monotonic = staticmethod(time.monotonic)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Timer:
        """`callback()` in `seconds`: the loop's own timer, no task."""
        return asyncio.get_running_loop().call_later(seconds, callback)


SYSTEM_CLOCK = SystemClock()


def call_later(clock: Clock, seconds: float, callback: Callable[[], None]) -> Timer:
    """Run `callback()` once `seconds` have passed on `clock`; cancel the returned timer
    to stop it. A clock with its own `call_later` (the system clock) is asked; for any
    other, a task sleeps on the clock, so a virtual clock's timers fire in virtual time."""
    own = getattr(clock, "call_later", None)
    if own is not None:
        timer: Timer = own(seconds, callback)
        return timer
    return asyncio.get_running_loop().create_task(_after(clock, seconds, callback))


async def _after(clock: Clock, seconds: float, callback: Callable[[], None]) -> None:
    await clock.sleep(seconds)
    callback()
