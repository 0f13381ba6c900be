"""The emulated CAD's state and the request counters, with bounded memory.

Everything the API changes goes through `CadState`'s methods, so the handlers never reach
into its containers. The change log and the closed calls are rings; a call's bookkeeping
leaves with the call, so a long-running emulator's memory stays flat.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs

from ._changelog import ChangeLog
from ._fields import NotFound, WireObject
from ._snapshots import SnapshotMode, render

Listener = Callable[[str, int, WireObject], None]

#: Default ring sizes: enough to prove exactly-once over a long soak from the log.
DEFAULT_LOG_SIZE = 100_000
#: The change log's budget in bytes (its entries as JSON lines): about 70,000 typical
#: changes; bigger objects push the oldest out sooner.
DEFAULT_LOG_BYTES = 16 << 20
DEFAULT_CLOSED_SIZE = 10_000
DEFAULT_UNITS_SIZE = 10_000


@attrs.define(eq=False)
class EmulatorStats:
    """Counters since the emulator was created (mutable, updated in place)."""

    requests: int = 0  # HTTP requests received (every one, including 429s and faults)
    objects: int = 0  # data objects applied successfully
    per_type: dict[str, int] = attrs.Factory(dict)  # request type -> objects applied
    rate_limited: int = 0  # 429 replies sent (rate limit and scripted "429")
    faults: int = 0  # faults injected (scripted or random; "ok" is not a fault)
    faults_by_kind: dict[str, int] = attrs.Factory(dict)  # fault name -> times injected
    refused: int = 0  # requests refused by a limit (size, depth, encoding)
    pushed: int = 0  # push events the push_url listener accepted (2xx)
    push_failed: int = 0  # push events that failed (connection, timeout, non-2xx)
    push_dropped: int = 0  # push events dropped because the push queue was full


class CadState:
    """What the emulated CAD holds, in wire shape (camelCase), as GET_CALLS returns it.

    - `emergency_calls`: call id -> active emergency (911) call.
    - `dispatch_calls`: call id -> active dispatch call.
    - `closed_calls`: closed dispatch calls, newest first (the newest `closed_size`).
    - `units`: API ID -> the unit's last reported location (the `units_size` most recently
      reported units).
    - `log`: the newest `log_size` applied changes as (type, call id, object as received),
      within `log_bytes` bytes.
    """

    def __init__(
        self,
        *,
        log_size: int = DEFAULT_LOG_SIZE,
        closed_size: int = DEFAULT_CLOSED_SIZE,
        units_size: int = DEFAULT_UNITS_SIZE,
        log_bytes: int = DEFAULT_LOG_BYTES,
    ) -> None:
        if closed_size < 1 or units_size < 1:
            raise ValueError("log_size, closed_size and units_size must be >= 1")
        self.units_size = units_size
        self.emergency_calls: dict[int, WireObject] = {}
        self.dispatch_calls: dict[int, WireObject] = {}
        self.units: dict[str, WireObject] = {}
        self._log = ChangeLog(log_size, log_bytes)  # within `log_size` and `log_bytes`
        self.last_id = 0
        self._closed: deque[WireObject] = deque(maxlen=closed_size)  # oldest first
        self._server_of: dict[int, int] = {}  # live or closed call -> its server
        self._expiry: list[tuple[float, int]] = []  # (deadline, call id)
        #: Called with (type, call id, object as received) after every applied change.
        self.listeners: list[Listener] = []
        #: How GET_CALLS shows the calls (`_snapshots.py`); "lagging" hides the newest
        #: create for `replica_lag` seconds.
        self.snapshot_mode: SnapshotMode = "faithful"
        self.replica_lag = 0.01
        self._newest: tuple[int, float] | None = None  # (call id, created at)

    @property
    def log(self) -> list[tuple[str, int, WireObject]]:
        """The newest applied changes (at most `log_size`, within `log_bytes`), oldest
        first, each object as received (a copy, decoded)."""
        return self._log.entries()

    @property
    def log_bytes(self) -> int:
        """Bytes the change log holds now (at most `log_bytes` and one chunk)."""
        return self._log.bytes

    @property
    def closed_calls(self) -> list[WireObject]:
        return list(reversed(self._closed))

    def record(self, kind: str, call_id: int, obj: WireObject) -> None:
        self._log.append(kind, call_id, obj)
        for listener in self.listeners:
            listener(kind, call_id, obj)

    def server_of(self, call_id: int) -> int | None:
        return self._server_of.get(call_id)

    # --- calls ----------------------------------------------------------------------------

    def add_call(
        self,
        calls: dict[int, WireObject],
        record: WireObject,
        server_id: int,
        minutes: int | None,
        now: float,
    ) -> int:
        """File a new call (emergency or dispatch) under the next id; its id."""
        self.last_id = call_id = self.last_id + 1
        self._newest = (call_id, now)
        record["callId"] = call_id
        calls[call_id] = record
        self._server_of[call_id] = server_id
        if minutes is not None:
            heapq.heappush(self._expiry, (now + minutes * 60.0, call_id))
            if len(self._expiry) > 2 * self.live_calls + 64:
                self._compact_expiry()
        return call_id

    @property
    def live_calls(self) -> int:
        return len(self.emergency_calls) + len(self.dispatch_calls)

    def _compact_expiry(self) -> None:
        """Forget the deadlines of calls already removed or closed (amortised: the heap
        is rebuilt only once it holds twice as many deadlines as there are live calls)."""
        live = self.emergency_calls.keys() | self.dispatch_calls.keys()
        self._expiry = [entry for entry in self._expiry if entry[1] in live]
        heapq.heapify(self._expiry)

    def set_unit(self, api_id: str, location: WireObject) -> None:
        """Store a unit's newest location; past `units_size` units the stalest leaves."""
        units = self.units
        units.pop(api_id, None)
        units[api_id] = location
        if len(units) > self.units_size:
            del units[next(iter(units))]

    def sizes(self) -> dict[str, int]:
        """How many entries each container holds (memory stays flat: see the tests)."""
        return {
            "emergency_calls": len(self.emergency_calls),
            "dispatch_calls": len(self.dispatch_calls),
            "units": len(self.units),
            "log": len(self._log),
            "closed": len(self._closed),
            "servers": len(self._server_of),
            "expiry": len(self._expiry),
            "listeners": len(self.listeners),
        }

    def find(self, calls: dict[int, WireObject], call_id: int, server_id: int) -> WireObject:
        record = calls.get(call_id)
        if record is None or self._server_of.get(call_id) != server_id:
            raise NotFound(f"Call not found with ID: {call_id}")
        return record

    def remove_emergency(self, call_id: int, server_id: int) -> None:
        self.find(self.emergency_calls, call_id, server_id)
        del self.emergency_calls[call_id]
        self._server_of.pop(call_id, None)

    def close_dispatch(self, call_id: int, server_id: int, closed_status: int) -> None:
        record = self.find(self.dispatch_calls, call_id, server_id)
        del self.dispatch_calls[call_id]
        record["status"] = closed_status
        if len(self._closed) == self._closed.maxlen:
            self._server_of.pop(self._closed[0]["callId"], None)  # leaves the ring
        self._closed.append(record)

    def expire(self, now: float) -> None:
        """Drop the records whose deleteAfterMinutes deadline has passed."""
        heap = self._expiry
        while heap and heap[0][0] <= now:
            _, call_id = heapq.heappop(heap)
            gone = self.emergency_calls.pop(call_id, None) or self.dispatch_calls.pop(call_id, None)
            if gone is not None:
                self._server_of.pop(call_id, None)

    def snapshot(
        self,
        server_id: int,
        *,
        every_server: bool,
        call_type: int,
        limit: int,
        offset: int,
        now: float = 0.0,
    ) -> dict[str, list[WireObject]]:
        """The GET_CALLS reply for one query, as `snapshot_mode` renders it."""

        def mine(calls: Any) -> list[WireObject]:
            if every_server:
                return list(calls)
            return [c for c in calls if self._server_of.get(c["callId"]) == server_id]

        active: list[WireObject] = []
        closed_page: list[WireObject] = []
        emergency: list[WireObject] = []
        if call_type != 1:
            active = mine(self.dispatch_calls.values())
            closed = mine(self._closed)
            end = len(closed) - offset
            if end > 0:
                closed_page = closed[max(0, end - limit) : end][::-1]
        if call_type != 0:
            emergency = mine(self.emergency_calls.values())
        document = {"activeCalls": active, "emergencyCalls": emergency, "closedCalls": closed_page}
        hidden = None
        if self._newest is not None and now - self._newest[1] < self.replica_lag:
            hidden = self._newest[0]
        return render(document, self.snapshot_mode, hidden)
