"""`LiveMirror`: units and calls of one server, kept current by push events.

```python
async with cad.mirror(server_id=1, events=receiver) as live:
    live.on_change(print)
    ...  # live.units, live.calls, live.emergency are always the current view
```

- Start: one snapshot (every page of GET_ACTIVE_UNITS, then GET_CALLS).
- Then every push event is applied as it arrives, and so is each of the client's own
  successful writes made through its named methods (the CAD pushes no dispatch events
  for API changes, nor a panic event for an API panic).
- Events and writes that arrive while a snapshot is being taken are applied to the
  current view at once and replayed onto the snapshot when it lands: no change that
  raced the snapshot is lost, and readers never see a torn view.
- A resync every `resync_interval` seconds (default 60, as Sonoran's own resource polls;
  at least 20 s on v2, whose GET_ACTIVE_UNITS allows 3 a minute, and 5 s on v1). A
  failed resync keeps the current view (never blanks it) and is counted.
- `events` is anything with the `EventReceiver`'s `on(event_type)` registration (the
  websocket client too). Handlers cannot be unregistered there: after the mirror closes
  they stay registered and do nothing.
- Nothing the mirror does fails a caller: an event or write it cannot apply (a bug) is
  logged and counted, and the next resync corrects the view; `aclose()` gives async
  `on_change` handlers still running `close_timeout` seconds, then cancels them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, Protocol

import attrs

from ._clock import SYSTEM_CLOCK, Clock
from ._enums import CallType
from ._errors import SonoranError
from ._lookup_cache import EventSource
from ._mirror_apply import Change, View, apply_event, apply_write
from ._replies import CallsSnapshot, DispatchCall, EmergencyCall
from .events import PushEvent, Unit

log = logging.getLogger("sonoran_async.mirror")

ChangeHandler = Callable[[Change], Any]
DEFAULT_RESYNC = 60.0
#: The shortest resync interval per API version (v2: GET_ACTIVE_UNITS 3/min).
MIN_RESYNC = {1: 5.0, 2: 20.0}


class _Client(Protocol):
    api_version: int
    _server_id: int
    _observers: list[Callable[[Any, Any], None]]

    async def all_active_units(self, *, server_id: int | None = ...) -> tuple[Unit, ...]: ...

    async def get_calls(
        self, *, server_id: int | None = ..., call_type: CallType = ...
    ) -> CallsSnapshot: ...


@attrs.define(eq=False)
class MirrorStats:
    """Counters since the mirror started (mutable, updated in place)."""

    events: int = 0  # push events received while running
    writes: int = 0  # own writes applied
    replayed: int = 0  # events and writes replayed onto a snapshot
    resyncs: int = 0  # snapshots taken (the first one included)
    resync_failures: int = 0  # snapshots that failed (the view was kept)
    handler_errors: int = 0  # on_change callbacks that raised
    apply_errors: int = 0  # events or writes that could not be applied (a bug; logged)


class LiveMirror:
    """See the module docstring."""

    def __init__(
        self,
        client: _Client,
        *,
        server_id: int,
        events: EventSource | None,
        resync_interval: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        close_timeout: float = 5.0,
    ) -> None:
        interval = DEFAULT_RESYNC if resync_interval is None else float(resync_interval)
        least = MIN_RESYNC.get(client.api_version, 5.0)
        if not interval >= least:
            raise ValueError(
                f"resync_interval must be >= {least}s on API v{client.api_version} "
                f"(the published budget), got {resync_interval!r}"
            )
        self.server_id = server_id
        self.resync_interval = interval
        self.close_timeout = close_timeout
        self.stats = MirrorStats()
        self._client = client
        self._events = events
        self._clock = clock
        self._view = View()
        self._pending: list[tuple[str, Any, Any]] | None = None  # raced a snapshot
        self._handlers: list[ChangeHandler] = []
        self._tasks: set[asyncio.Future[Any]] = set()
        self._running = False
        self._registered = False
        self._loop_task: asyncio.Task[None] | None = None
        self._sync_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return (
            f"<LiveMirror server_id={self.server_id} units={len(self._view.units)} "
            f"calls={len(self._view.dispatch)} emergency={len(self._view.emergency)}>"
        )

    # --- the view ------------------------------------------------------------------------

    @property
    def units(self) -> Mapping[int, Unit]:
        """Active units by identifier id (read-only, always current)."""
        return MappingProxyType(self._view.units)

    @property
    def calls(self) -> Mapping[int, DispatchCall]:
        """Active dispatch calls by call id."""
        return MappingProxyType(self._view.dispatch)

    @property
    def emergency(self) -> Mapping[int, EmergencyCall]:
        """Active 911 calls by call id."""
        return MappingProxyType(self._view.emergency)

    def on_change(self, handler: ChangeHandler) -> ChangeHandler:
        """Call `handler(change)` after each change of the view (a coroutine function is
        scheduled as a task). Usable as a decorator."""
        self._handlers.append(handler)
        return handler

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> LiveMirror:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Listen, take the first snapshot (its failure is raised), start resyncing."""
        if self._running:
            return
        self._running = True
        if self._events is not None and not self._registered:
            self._events.on(PushEvent)(self._on_event)
            self._registered = True
        self._client._observers.append(self._on_write)
        try:
            if not await self.resync(raise_errors=True):
                raise RuntimeError("the first snapshot failed")
        except BaseException:
            await self.aclose()
            raise
        self._loop_task = asyncio.get_running_loop().create_task(self._resync_loop())

    async def aclose(self) -> None:
        """Stop resyncing and applying; the view stays as it was."""
        self._running = False
        if self._on_write in self._client._observers:
            self._client._observers.remove(self._on_write)
        task, self._loop_task = self._loop_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        # Bounded, and never waiting for itself (a handler may close the mirror).
        others = self._tasks - {asyncio.current_task()}
        if others:
            _, late = await asyncio.wait(others, timeout=self.close_timeout)
            for handler_task in late:
                handler_task.cancel()
            if late:
                log.warning("mirror closed: %d on_change handler(s) cancelled", len(late))
                await asyncio.gather(*late, return_exceptions=True)

    async def _resync_loop(self) -> None:
        while self._running:
            await self._clock.sleep(self.resync_interval)
            try:
                await self.resync()
            except Exception:  # not an API failure: a bug; the loop (and the view) stay
                self.stats.resync_failures += 1
                log.exception("mirror resync failed unexpectedly, view kept")

    async def resync(self, *, raise_errors: bool = False) -> bool:
        """Take a snapshot now and make it the view, with what raced it replayed onto it.
        False (the view kept) if it failed."""
        async with self._sync_lock:
            first = self.stats.resyncs == 0
            self._pending = []
            try:
                units = await self._client.all_active_units(server_id=self.server_id)
                calls = await self._client.get_calls(
                    server_id=self.server_id, call_type=CallType.ALL
                )
            except (SonoranError, TimeoutError, OSError) as exc:
                self._pending = None
                self.stats.resync_failures += 1
                log.warning("mirror resync failed, view kept: %s", type(exc).__name__)
                if raise_errors:
                    raise
                return False
            except BaseException:
                self._pending = None
                raise
            raced, self._pending = self._pending, None
            fresh = View.of(units, calls)
            for source, item, result in raced:
                self.stats.replayed += 1
                self._apply_safely(fresh, source, item, result)
            old, self._view = self._view, fresh
            self.stats.resyncs += 1
            self._emit(old.diff(fresh, "snapshot" if first else "resync"))
            return True

    # --- applying --------------------------------------------------------------------------

    def _apply_safely(self, view: View, source: str, item: Any, result: Any) -> list[Change]:
        try:
            if source == "event":
                return apply_event(view, item)
            return apply_write(view, item, result, self.server_id, self._client._server_id)
        except Exception:  # never out of a caller's successful write, nor a handler
            self.stats.apply_errors += 1
            log.exception("mirror could not apply a %s (%s)", source, type(item).__name__)
            return []

    async def _on_event(self, event: PushEvent) -> None:
        if not self._running:
            return
        self.stats.events += 1
        self._take("event", event, None)

    def _on_write(self, request: Any, result: Any) -> None:
        if self._running:
            self.stats.writes += 1
            self._take("write", request, result)

    def _take(self, source: str, item: Any, result: Any) -> None:
        if self._pending is not None:
            self._pending.append((source, item, result))
        self._emit(self._apply_safely(self._view, source, item, result))

    def _emit(self, changes: list[Change]) -> None:
        for change in changes:
            for handler in self._handlers:
                try:
                    outcome = handler(change)
                except Exception:
                    self.stats.handler_errors += 1
                    log.exception("mirror on_change handler failed")
                    continue
                if inspect.isawaitable(outcome):
                    task = asyncio.ensure_future(outcome)
                    self._tasks.add(task)
                    task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.stats.handler_errors += 1
            log.error("mirror on_change handler failed", exc_info=task.exception())
