"""What the v2 operations do to the emulated CAD: the `V2Store` contract, and
`CoreV2Store`, which applies them to an `EmulatorCore`'s state, so a call created
through one version is visible through the other.

It applies each object with the same checks as v1 (the `_handlers` functions, the same
log and listeners), gets the new call's id back as a value and the errors as types
(`NotFound`: 404, any other `ObjectError`: 422), and reads the records back from the
state in v2 shapes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Protocol, TypeVar

from . import _handlers
from ._core import EmulatorCore
from ._fields import NotFound, ObjectError, WireObject

#: v2's targets for a new dispatch call; v1 has none of them.
_TARGETS = ("communityUserIds", "accounts", "roblox", "discord")

T = TypeVar("T")


class V2Error(Exception):
    """A documented error: answered as `application/problem+json`."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


class V2Store(Protocol):
    """What the v2 operations need from the emulated CAD, in v2 wire shapes.

    Each method raises V2Error for a documented failure (404 unknown server or call,
    403 plan, 422 a field it refuses).
    """

    def authorized(self, api_key: str) -> bool: ...

    def create_911(self, server_id: int, body: WireObject) -> WireObject:
        """The new call object (with its `callId`)."""
        ...

    def remove_911(self, server_id: int, call_id: int) -> WireObject:
        """`{"callId", "serverId"}` of the removed call."""
        ...

    def get_calls(
        self, server_id: int, closed_limit: int, closed_offset: int, call_type: int
    ) -> WireObject:
        """`ActiveCalls`, `EmergencyCalls`, `ClosedCalls` and `ClosedCallCount`."""
        ...

    def close_dispatch_calls(self, server_id: int, call_ids: list[int]) -> WireObject:
        """`{"callIds": [...]}`: the calls it closed."""
        ...

    def update_dispatch_call(self, server_id: int, call_id: int, body: WireObject) -> WireObject:
        """The updated call object (a metaData sent replaces the stored one)."""
        ...

    def create_dispatch_call(self, server_id: int, body: WireObject) -> WireObject:
        """The new dispatch call object (with its `callId`)."""
        ...


class CoreV2Store:
    """`V2Store` on an `EmulatorCore`."""

    def __init__(self, core: EmulatorCore) -> None:
        self.core = core

    def authorized(self, api_key: str) -> bool:
        return secrets.compare_digest(api_key.encode(), self.core.api_key.encode())

    def create_911(self, server_id: int, body: WireObject) -> WireObject:
        self._gate("CALL_911", server_id)
        obj = {**body, "serverId": server_id}
        call_id = self._apply("CALL_911", _handlers.add_911, obj)
        state = self.core.state
        return dict(state.find(state.emergency_calls, call_id, server_id))

    def remove_911(self, server_id: int, call_id: int) -> WireObject:
        self._gate("REMOVE_911", server_id)
        self._apply("REMOVE_911", _handlers.remove_911, {"serverId": server_id, "callId": call_id})
        return {"callId": call_id, "serverId": server_id}

    def get_calls(
        self, server_id: int, closed_limit: int, closed_offset: int, call_type: int
    ) -> WireObject:
        self._gate("GET_CALLS", server_id)
        query = {
            "serverId": server_id,
            "closedLimit": closed_limit,
            "closedOffset": closed_offset,
            "type": call_type,
        }
        snapshot = self._apply("GET_CALLS", _handlers.get_calls, query)
        state = self.core.state
        closed = [c for c in state.closed_calls if state.server_of(c["callId"]) == server_id]
        return {
            "ActiveCalls": snapshot["activeCalls"],
            "EmergencyCalls": snapshot["emergencyCalls"],
            "ClosedCalls": snapshot["closedCalls"],
            "ClosedCallCount": len(closed) if call_type != 1 else 0,
        }

    def close_dispatch_calls(self, server_id: int, call_ids: list[int]) -> WireObject:
        """Closes the calls it knows; the reply names those. None known: 404."""
        self._gate("CLOSE_CALL", server_id)
        closed: list[int] = []
        for call_id in call_ids:
            obj = {"serverId": server_id, "callId": call_id}
            try:
                _handlers.close_call(self.core, obj)
            except NotFound:  # the server is known (`_gate`): the call is not
                continue
            except ObjectError as exc:
                raise V2Error(422, "Unprocessable Entity", exc.text) from None
            closed.append(call_id)
        if not closed:
            raise V2Error(404, "Not Found", f"Call not found with ID: {call_ids[0]}")
        self.core.count_applied("CLOSE_CALL", len(closed))
        return {"callIds": closed}

    def update_dispatch_call(self, server_id: int, call_id: int, body: WireObject) -> WireObject:
        self._gate("EDIT_DISPATCH", server_id)
        obj = {**body, "serverId": server_id, "callId": call_id}
        self._apply("EDIT_DISPATCH", _handlers.edit_dispatch, obj)  # metaData replaces
        state = self.core.state
        return dict(state.find(state.dispatch_calls, call_id, server_id))

    def create_dispatch_call(self, server_id: int, body: WireObject) -> WireObject:
        self._gate("NEW_DISPATCH", server_id)
        if not any(target in body for target in _TARGETS):
            raise V2Error(
                422,
                "Unprocessable Entity",
                "At least one of communityUserIds, accounts, roblox or discord is required.",
            )
        for name in ("origin", "status", "priority", "title"):
            if name not in body:
                raise V2Error(422, "Unprocessable Entity", f"{name} is required.")
        obj = {k: v for k, v in body.items() if k not in _TARGETS}
        obj["serverId"] = server_id
        call_id = self._apply("NEW_DISPATCH", _handlers.add_dispatch, obj)
        state = self.core.state
        return dict(state.find(state.dispatch_calls, call_id, server_id))

    def _gate(self, request_type: str, server_id: int) -> None:
        """The community's checks, in v1's order, then the server the path names."""
        core = self.core
        core.state.expire(core.clock())
        if not core.api_enabled:
            raise V2Error(403, "Forbidden", "API is not enabled for this community.")
        if not core.plan_allows(request_type):
            raise V2Error(403, "Forbidden", "API endpoint is not enabled for this community.")
        if server_id not in core.server_ids:
            raise V2Error(404, "Not Found", f"Server not found with ID: {server_id}")

    def _apply(
        self, request_type: str, handler: Callable[[EmulatorCore, WireObject], T], obj: WireObject
    ) -> T:
        """One object through `handler`, counted as applied; its errors as V2Error."""
        try:
            result = handler(self.core, obj)
        except NotFound as exc:
            raise V2Error(404, "Not Found", exc.text) from None
        except ObjectError as exc:
            raise V2Error(422, "Unprocessable Entity", exc.text) from None
        self.core.count_applied(request_type, 1)
        return result
