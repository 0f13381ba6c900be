"""`V2Store` on today's `EmulatorCore`: v2 operations applied to the v1 emulator's state,
so a call created through one version is visible through the other.

It goes through the v1 handlers (the same checks, the same log, the same listeners) and
reads the records back in v2 shapes.
"""

from __future__ import annotations

import secrets
from typing import Any

from . import _handlers
from ._app import EmulatorCore
from ._fields import ObjectError
from ._v2 import V2Error, WireObject

#: v2's targets for a new dispatch call; v1 has none of them.
_TARGETS = ("communityUserIds", "accounts", "roblox", "discord")


class CoreV2Store:
    def __init__(self, core: EmulatorCore) -> None:
        self.core = core

    def authorized(self, api_key: str) -> bool:
        return secrets.compare_digest(api_key.encode(), self.core.api_key.encode())

    def create_911(self, server_id: int, body: WireObject) -> WireObject:
        self._gate("CALL_911")
        obj = {**body, "serverId": server_id}
        text = self._apply(_handlers.call_911, obj)
        return dict(self.core.state.emergency_calls[_id_in(text)])

    def remove_911(self, server_id: int, call_id: int) -> WireObject:
        self._gate("REMOVE_911")
        self._apply(_handlers.remove_911, {"serverId": server_id, "callId": call_id})
        return {"callId": call_id, "serverId": server_id}

    def get_calls(
        self, server_id: int, closed_limit: int, closed_offset: int, call_type: int
    ) -> WireObject:
        self._gate("GET_CALLS")
        query = {
            "serverId": server_id,
            "closedLimit": closed_limit,
            "closedOffset": closed_offset,
            "type": call_type,
        }
        snapshot: Any = self._apply(_handlers.get_calls, query)
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
        self._gate("CLOSE_CALL")
        closed: list[int] = []
        for call_id in call_ids:
            try:
                self._apply(_handlers.close_call, {"serverId": server_id, "callId": call_id})
            except V2Error as exc:
                if exc.status != 404 or "Call not found" not in exc.detail:
                    raise
                continue
            closed.append(call_id)
        if not closed:
            raise V2Error(404, "Not Found", f"Call not found with ID: {call_ids[0]}")
        return {"callIds": closed}

    def update_dispatch_call(self, server_id: int, call_id: int, body: WireObject) -> WireObject:
        self._gate("EDIT_DISPATCH")
        obj = {**body, "serverId": server_id, "callId": call_id}
        self._apply(_handlers.edit_dispatch, obj)  # metaData replaces, as v2 documents
        return dict(self.core.state.dispatch_calls[call_id])

    def create_dispatch_call(self, server_id: int, body: WireObject) -> WireObject:
        self._gate("NEW_DISPATCH")
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
        text = self._apply(_handlers.new_dispatch, obj)
        return dict(self.core.state.dispatch_calls[_id_in(text)])

    def _gate(self, request_type: str) -> None:
        core = self.core
        core.state.expire(core.clock())
        if not core.api_enabled:
            raise V2Error(403, "Forbidden", "API is not enabled for this community.")
        if not core.plan_allows(request_type):
            raise V2Error(403, "Forbidden", "API endpoint is not enabled for this community.")

    def _apply(self, handler: Any, obj: WireObject) -> Any:
        try:
            result = handler(self.core, obj)
        except ObjectError as exc:
            text = exc.text
            if text.startswith(("Server not found", "Call not found")):
                raise V2Error(404, "Not Found", text) from None
            raise V2Error(422, "Unprocessable Entity", text) from None
        self.core.stats.objects += 1
        return result


def _id_in(text: str) -> int:
    """The id at the end of a v1 success line (`... ID: 7`)."""
    return int(text.rsplit(":", 1)[1])
