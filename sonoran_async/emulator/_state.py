"""The emulated CAD's state and the request counters."""

from __future__ import annotations

import heapq
from typing import Any

import attrs

WireObject = dict[str, Any]


@attrs.define(eq=False)
class EmulatorStats:
    """Counters since the emulator was created (mutable, updated in place)."""

    requests: int = 0  # HTTP requests received (every one, including 429s and faults)
    objects: int = 0  # data objects applied successfully
    per_type: dict[str, int] = attrs.Factory(dict)  # request type -> objects applied
    rate_limited: int = 0  # 429 replies sent (rate limit and scripted "429")
    faults: int = 0  # faults injected (scripted or random; "ok" is not a fault)
    faults_by_kind: dict[str, int] = attrs.Factory(dict)  # fault name -> times injected


@attrs.define(eq=False)
class CadState:
    """What the emulated CAD holds, in wire shape (camelCase), as GET_CALLS returns it.

    - ``emergency_calls``: call id -> emergency (911) call.
    - ``dispatch_calls``: call id -> active dispatch call.
    - ``closed_calls``: closed dispatch calls, newest first (a fresh list on each access).
    - ``log``: every applied create/remove/edit/close as (type, call id, object as received).
    """

    emergency_calls: dict[int, WireObject] = attrs.Factory(dict)
    dispatch_calls: dict[int, WireObject] = attrs.Factory(dict)
    log: list[tuple[str, int, WireObject]] = attrs.Factory(list)
    last_id: int = 0
    # Closed calls, oldest first (appending is O(1)); ``closed_calls`` reverses it.
    _closed: list[WireObject] = attrs.Factory(list)
    # call id -> server id, for every call ever created.
    _server_of: dict[int, int] = attrs.Factory(dict)
    # (deadline in clock seconds, call id) for records with deleteAfterMinutes.
    _expiry: list[tuple[float, int]] = attrs.Factory(list)

    @property
    def closed_calls(self) -> list[WireObject]:
        return self._closed[::-1]

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def expire(self, now: float) -> None:
        """Drop the records whose deleteAfterMinutes deadline has passed."""
        heap = self._expiry
        while heap and heap[0][0] <= now:
            _, cid = heapq.heappop(heap)
            self.emergency_calls.pop(cid, None)
            self.dispatch_calls.pop(cid, None)

    def schedule_expiry(self, deadline: float, cid: int) -> None:
        heapq.heappush(self._expiry, (deadline, cid))
