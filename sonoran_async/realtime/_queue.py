"""The location queue: conflated per unit, fair across units.

Each unit (its target: field and value) has at most one update waiting; a newer one takes
its place, the caller of the older resolves SUPERSEDED at once, and the unit keeps its place
in line. The line is the order in which units started waiting (a dict keeps insertion
order, and assigning to a present key keeps the key where it is), so `take(n)` hands out
the n units that have waited longest: with K units waiting, every one leaves within
ceil(K / n) takes, and no unit starves however often the others move.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any

from .._bridge import LocationUpdate
from .._errors import QueueFullError
from ._models import LiveLocation, RealtimeStats


class Waiting:
    """One queued update and the future its caller awaits."""

    __slots__ = ("future", "update", "wire")

    def __init__(self, update: LiveLocation, future: asyncio.Future[LocationUpdate]) -> None:
        self.update = update
        self.wire: dict[str, Any] = update.wire()
        self.future = future

    @property
    def key(self) -> Hashable:
        return self.update.target


def settle(
    future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None
) -> None:
    """Resolve a caller's future unless it is already done (e.g. cancelled)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class LocationQueue:
    """Waiting updates, at most one per unit, oldest waiter first."""

    def __init__(self, max_units: int, stats: RealtimeStats) -> None:
        self.max_units = max_units
        self._stats = stats
        self._line: dict[Hashable, Waiting] = {}
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._line)

    def put(self, item: Waiting) -> None:
        """Queue an update; an older one of the same unit is superseded (keeping its place)."""
        key = item.key
        older = self._line.get(key)
        if older is None and len(self._line) >= self.max_units:
            raise QueueFullError(f"{self.max_units} units are already waiting to be sent")
        if older is not None:
            self._stats.superseded += 1
            settle(older.future, LocationUpdate.SUPERSEDED)
        self._line[key] = item
        self._changed.set()

    def take(self, n: int, only: Callable[[Waiting], bool] | None = None) -> list[Waiting]:
        """The (up to) n units that have waited longest (of those `only` accepts)."""
        batch: list[Waiting] = []
        for item in self._line.values():
            if len(batch) == n:
                break
            if only is None or only(item):
                batch.append(item)
        for item in batch:
            del self._line[item.key]
        if not self._line:
            self._changed.clear()
        return batch

    def put_back(self, batch: list[Waiting]) -> None:
        """Return a batch that did not leave to the front of the line (it waited longest).
        Where a newer update of a unit arrived meanwhile, the newer is kept, moves to the
        front with the unit, and the older's caller resolves SUPERSEDED."""
        front: dict[Hashable, Waiting] = {}
        for item in batch:
            newer = self._line.pop(item.key, None)
            if newer is not None:
                self._stats.superseded += 1
                settle(item.future, LocationUpdate.SUPERSEDED)
                item = newer
            front[item.key] = item
        self._line = {**front, **self._line}
        if self._line:
            self._changed.set()

    def futures(self) -> list[asyncio.Future[LocationUpdate]]:
        """The futures of the callers waiting now."""
        return [item.future for item in self._line.values()]

    async def wait(self) -> None:
        """Until something is waiting."""
        while not self._line:
            self._changed.clear()
            await self._changed.wait()

    def fail_all(self, error: BaseException) -> int:
        """Fail every waiting caller (on close or failure); how many."""
        items, self._line = list(self._line.values()), {}
        for item in items:
            settle(item.future, error=error)
        self._changed.clear()
        return len(items)
