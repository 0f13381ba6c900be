"""An opt-in cache of GET_CALLS snapshots, for bridges that poll.

v2 allows GET_CALLS 5 times a minute per key (v1 shares about one request a second with
everything else). Single flight already merges identical concurrent queries; this
serves identical queries from a snapshot younger than `max_age` seconds. A change this
client makes (any other request type succeeding) empties it, so the client never
serves a snapshot older than its own last change.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from ._clock import Clock

#: Distinct queries remembered at once; the least recently fetched goes first.
_MAX_QUERIES = 64


class SnapshotCache:
    def __init__(self, max_age: float, clock: Clock) -> None:
        if not max_age > 0:
            raise ValueError(f"calls_cache_max_age must be > 0, got {max_age!r}")
        self._max_age = max_age
        self._clock = clock
        self._snapshots: OrderedDict[bytes, tuple[float, Any]] = OrderedDict()
        self._generation = 0  # counts the changes of ours that landed
        self.hits = 0

    def get(self, query: bytes) -> asyncio.Future[Any] | None:
        """A future already holding the snapshot for `query`, if one is fresh enough."""
        entry = self._snapshots.get(query)
        if entry is None:
            return None
        fetched_at, snapshot = entry
        if self._clock.monotonic() - fetched_at >= self._max_age:
            del self._snapshots[query]
            return None
        self.hits += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(snapshot)
        return future

    def remember(self, query: bytes, future: asyncio.Future[Any]) -> None:
        """Keep the snapshot `future` brings, once it does (errors are not kept)."""
        generation = self._generation

        def keep(done: asyncio.Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                return
            if generation != self._generation:
                return  # fetched before a change of ours landed: may not show it
            self._snapshots[query] = (self._clock.monotonic(), done.result())
            self._snapshots.move_to_end(query)
            while len(self._snapshots) > _MAX_QUERIES:
                self._snapshots.popitem(last=False)

        future.add_done_callback(keep)

    def watch(self, future: asyncio.Future[Any]) -> None:
        """A change of ours: once it succeeds, every snapshot is out of date."""

        def forget(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                self._generation += 1
                self._snapshots.clear()

        future.add_done_callback(forget)
