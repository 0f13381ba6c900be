"""The named methods: one thin, typed wrapper per endpoint over `submit()`."""

from __future__ import annotations

from typing import Any, TypeVar

from ._bridge import (
    AddCallNote,
    AttachUnits,
    DetachUnits,
    LocationUpdate,
    SetCallPostal,
    SetCallPrimary,
    UnitLocation,
    VersionQuery,
)
from ._enums import CallType, Plan
from ._models import Call911, CallsQuery, CloseCall, DispatchEdit, NewDispatch, Remove911, Request
from ._replies import CallsSnapshot

ResultT = TypeVar("ResultT")


class EndpointMethods:
    """Mixed into `SonoranClient`, which provides `_call` and `_remember_plan`."""

    async def _call(self, request: Request[ResultT], kind: type[Any]) -> ResultT:
        raise NotImplementedError

    def _remember_plan(self, plan: Plan) -> None:
        raise NotImplementedError

    async def call_911(self, call: Call911) -> int:
        """Send a 911 call; returns the new emergency call's id."""
        return await self._call(call, Call911)

    async def new_dispatch(self, dispatch: NewDispatch) -> int:
        """Create a dispatch call; returns its id."""
        return await self._call(dispatch, NewDispatch)

    async def edit_dispatch(self, edit: DispatchEdit) -> None:
        """Change the fields set on `edit` (only those are sent)."""
        await self._call(edit, DispatchEdit)

    async def remove_911(self, call_id: int, *, server_id: int | None = None) -> None:
        """Remove an emergency (911) call."""
        await self._call(Remove911(call_id=call_id, server_id=server_id), Remove911)

    async def close_call(self, call_id: int, *, server_id: int | None = None) -> None:
        """Close a dispatch call (it moves to the closed list)."""
        await self._call(CloseCall(call_id=call_id, server_id=server_id), CloseCall)

    async def get_calls(
        self,
        *,
        server_id: int | None = None,
        closed_limit: int = 10,
        closed_offset: int = 0,
        call_type: CallType = CallType.ALL,
    ) -> CallsSnapshot:
        """Active dispatch calls, active 911 calls and a page of closed calls."""
        query = CallsQuery(
            server_id=server_id,
            closed_limit=closed_limit,
            closed_offset=closed_offset,
            call_type=call_type,
        )
        return await self._call(query, CallsQuery)

    async def unit_location(self, update: UnitLocation) -> LocationUpdate:
        """Report where a unit is. Updates are grouped (a few seconds by default) and only
        the newest per unit in a window is sent: SENT, or SUPERSEDED by a newer one."""
        return await self._call(update, UnitLocation)

    async def attach_units(self, attach: AttachUnits) -> None:
        """Attach units to a dispatch call."""
        await self._call(attach, AttachUnits)

    async def detach_units(self, detach: DetachUnits) -> None:
        """Detach units from their dispatch call."""
        await self._call(detach, DetachUnits)

    async def add_call_note(self, note: AddCallNote) -> None:
        """Add a note to a dispatch call."""
        await self._call(note, AddCallNote)

    async def set_call_postal(
        self, call_id: int, postal: str, *, server_id: int | None = None
    ) -> None:
        """Set a dispatch call's postal."""
        request = SetCallPostal(call_id=call_id, postal=postal, server_id=server_id)
        await self._call(request, SetCallPostal)

    async def set_call_primary(self, primary: SetCallPrimary) -> None:
        """Set (or, with -1, clear) a dispatch call's primary identifier (PLUS)."""
        await self._call(primary, SetCallPrimary)

    async def get_version(self) -> Plan:
        """The community's plan (GET_VERSION). The client remembers it and from then on
        refuses, before sending anything, the endpoints above it."""
        plan = await self._call(VersionQuery(), VersionQuery)
        self._remember_plan(plan)
        return plan
