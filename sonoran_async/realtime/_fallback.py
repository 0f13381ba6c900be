"""While the socket is down: unit locations over HTTP UNIT_LOCATION, when the user opts in.

Only updates that name a unit by `api_id` can go this way (UNIT_LOCATION takes an API ID;
`z`, `w`, `peerId` and `vehicle` are not sent); the others wait for the socket. The HTTP
client groups, conflates and paces them within its own rate budget.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from .._bridge import Coordinates, LocationUpdate, UnitLocation
from ._models import LiveLocation, RealtimeStats
from ._queue import LocationQueue, Waiting, settle

#: How often the fallback looks for updates it can send while none are waiting.
POLL: float = 0.25


class HttpFallback(Protocol):
    """What the fallback needs: a `SonoranClient` has it."""

    async def unit_location(self, update: UnitLocation) -> LocationUpdate: ...


def as_http(update: LiveLocation) -> UnitLocation:
    assert update.api_id is not None
    xy = update.coordinates
    return UnitLocation(
        api_id=update.api_id,
        location=update.location,
        coordinates=None if xy is None else Coordinates(x=xy.x, y=xy.y),
    )


def _by_api_id(item: Waiting) -> bool:
    return item.update.api_id is not None


async def run_fallback(client: HttpFallback, queue: LocationQueue, stats: RealtimeStats) -> None:
    """Send `api_id` updates over HTTP until cancelled (when the socket is back); anything
    not confirmed goes back to the queue for the socket."""
    while True:
        batch = queue.take(100, only=_by_api_id)
        if not batch:
            await asyncio.sleep(POLL)
            continue
        try:
            results = await asyncio.gather(
                *(client.unit_location(as_http(item.update)) for item in batch),
                return_exceptions=True,
            )
        except asyncio.CancelledError:
            queue.put_back(batch)
            raise
        unsent = []
        for item, result in zip(batch, results, strict=True):
            if isinstance(result, LocationUpdate):
                stats.fallback_sent += result is LocationUpdate.SENT
                settle(item.future, result)
            else:
                unsent.append(item)
        if unsent:
            queue.put_back(unsent)
            await asyncio.sleep(POLL)
