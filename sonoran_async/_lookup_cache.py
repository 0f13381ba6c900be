"""The opt-in lookup cache: pure reads served for `ttl` seconds, keyed on the normalised
search, with single flight for identical lookups in flight.

- Only pure reads come here: a lookup that names a user (`apiId`, `account`) opens the
  results on that user's CAD, so the client sends every such lookup itself, never from
  or into the cache and never shared (`LookupQuery.notifies`).
- Time is the client's `Clock`: an entry is served while `now - answered < ttl`, where
  `answered` is when its reply arrived (what the server said then; a lookup that waited
  long for a rate slot is as fresh as its answer, not as old as its wait).
- Bounded: past `max_entries` the least recently used entry leaves.
- `invalidate()` (called for the record push events once `follow(receiver)` is set up)
  empties it, and a lookup already in flight when it is called is neither stored nor
  shared with lookups made after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import attrs

from ._clock import Clock

log = logging.getLogger("sonoran_async")

T = TypeVar("T")


class EventSource(Protocol):
    """Anything with the `EventReceiver`'s handler registration (the websocket client too)."""

    def on(self, event_type: Any) -> Callable[[Any], Any]: ...


@attrs.define(eq=False)
class LookupCacheStats:
    """Counters since the cache was created (mutable, updated in place)."""

    hits: int = 0  # served from a fresh entry
    misses: int = 0  # sent (a request of its own)
    shared: int = 0  # joined an identical lookup in flight
    invalidations: int = 0  # times invalidate() emptied it
    evicted: int = 0  # entries dropped for room


class LookupCache:
    """See the module docstring. `ttl` in seconds (or a timedelta)."""

    def __init__(self, ttl: float | timedelta, clock: Clock, *, max_entries: int = 1024) -> None:
        seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
        if not seconds > 0:
            raise ValueError(f"lookup_cache TTL must be > 0 seconds, got {ttl!r}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries!r}")
        self.ttl = seconds
        self.max_entries = max_entries
        self.stats = LookupCacheStats()
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._in_flight: dict[Hashable, asyncio.Future[Any]] = {}

    def __repr__(self) -> str:
        return f"<LookupCache ttl={self.ttl}s entries={len(self._entries)}/{self.max_entries}>"

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """The cached value for `key`, the result of an identical fetch in flight, or the
        result of `fetch()` (stored for `ttl`). An error is never stored."""
        now = self._clock.monotonic()
        entry = self._entries.get(key)
        if entry is not None:
            if now - entry[0] < self.ttl:
                self._entries.move_to_end(key)
                self.stats.hits += 1
                value: T = entry[1]
                return value
            del self._entries[key]
        flight = self._in_flight.get(key)
        if flight is not None:
            self.stats.shared += 1
            shared: T = await asyncio.shield(flight)
            return shared
        self.stats.misses += 1
        task: asyncio.Future[T] = asyncio.ensure_future(fetch())
        self._in_flight[key] = task
        task.add_done_callback(lambda done: self._landed(key, done))
        # The fetch is shielded: one caller's cancellation never cancels the others'.
        return await asyncio.shield(task)

    def _landed(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        flight = self._in_flight.get(key)
        if flight is not task:
            # Invalidated while in flight (or replaced): its result is not stored.
            if not task.cancelled():
                task.exception()
            return
        del self._in_flight[key]
        if task.cancelled() or task.exception() is not None:
            return
        self._entries[key] = (self._clock.monotonic(), task.result())
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self.stats.evicted += 1

    def invalidate(self) -> None:
        """Forget every entry, and let no lookup already in flight be stored or shared."""
        self._entries.clear()
        self._in_flight.clear()
        self.stats.invalidations += 1

    def follow(self, events: EventSource) -> None:
        """Invalidate on the record push events (added, edited, removed) and on a
        character selection (it reorders GET_CHARACTERS), from an `EventReceiver` or
        anything with its `on(...)` registration."""
        from .events import EventCharSelected, EventRecordAdd, EventRecordEdit, EventRecordRemove

        async def changed(event: Any) -> None:
            log.debug("lookup cache invalidated by %s", type(event).__name__)
            self.invalidate()

        for kind in (EventRecordAdd, EventRecordEdit, EventRecordRemove, EventCharSelected):
            events.on(kind)(changed)


#: `SonoranClient(lookup_cache=...)`: a TTL in seconds, a timedelta, a ready cache, or None.
LookupCacheSetting = float | timedelta | LookupCache | None


def make_lookup_cache(setting: LookupCacheSetting, clock: Clock) -> LookupCache | None:
    """The client's `lookup_cache=` setting: a TTL, a ready cache, or None (off)."""
    if setting is None or isinstance(setting, LookupCache):
        return setting
    return LookupCache(setting, clock)
