"""The live mirror's view and how events and the client's own writes change it.

Pure, synchronous state: `View` holds units and calls by id; `apply_event` and
`apply_write` change it and return what changed. No I/O here (the lifecycle is
`_mirror.py`), so a reader in the event loop never sees a half-applied change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import attrs

from ._bridge import LocationUpdate, SetCallPostal, SetCallPrimary, UnitLocation
from ._models import EDITABLE_FIELDS, Call911, CloseCall, DispatchEdit, NewDispatch, Remove911
from ._replies import CallsSnapshot, DispatchCall, EmergencyCall
from ._units import UnitCommand, UnitPanicUpdate, UnitStatusUpdate
from .events import (
    Event911,
    EventDispatchClosed,
    EventDispatchEdit,
    EventDispatchNew,
    EventDispatchNote,
    EventDispatchUnitAttach,
    EventDispatchUnitDetach,
    EventRemove911,
    EventUnitLogin,
    EventUnitLogout,
    EventUnitPanic,
    EventUnitStatus,
    EventUnitUpdate,
    PushEvent,
    Unit,
)

Kind = Literal["unit", "emergency", "dispatch"]


@attrs.frozen
class Change:
    """One entry of the view that changed: `old` None when it appeared, `new` None when
    it left. `cause`: "snapshot", "event", "write" or "resync"."""

    kind: Kind
    key: int
    old: Any
    new: Any
    cause: str


@attrs.define(eq=False)
class View:
    units: dict[int, Unit] = attrs.Factory(dict)
    emergency: dict[int, EmergencyCall] = attrs.Factory(dict)
    dispatch: dict[int, DispatchCall] = attrs.Factory(dict)

    @classmethod
    def of(cls, units: Iterable[Unit], calls: CallsSnapshot) -> View:
        return cls(
            units={u.ident_id: u for u in units if u.ident_id is not None},
            emergency={c.call_id: c for c in calls.emergency_calls},
            dispatch={c.call_id: c for c in calls.active_calls},
        )

    def table(self, kind: Kind) -> dict[int, Any]:
        return (
            self.units
            if kind == "unit"
            else self.emergency
            if kind == "emergency"
            else (self.dispatch)
        )

    def diff(self, newer: View, cause: str) -> list[Change]:
        changes: list[Change] = []
        kinds: tuple[Kind, ...] = ("unit", "emergency", "dispatch")
        for kind in kinds:
            old, new = self.table(kind), newer.table(kind)
            for key in old.keys() | new.keys():
                if old.get(key) != new.get(key):
                    changes.append(Change(kind, key, old.get(key), new.get(key), cause))
        return changes


class _Editor:
    """Collects the changes of one application."""

    def __init__(self, view: View, cause: str) -> None:
        self.view = view
        self.cause = cause
        self.changes: list[Change] = []

    def put(self, kind: Kind, key: int | None, new: Any) -> None:
        if key is None:
            return
        table = self.view.table(kind)
        old = table.get(key)
        if old != new or (old is None) != (new is None):
            table[key] = new
            self.changes.append(Change(kind, key, old, new, self.cause))

    def drop(self, kind: Kind, keys: Iterable[int] | None) -> None:
        table = self.view.table(kind)
        for key in keys or ():
            old = table.pop(key, None)
            if old is not None:
                self.changes.append(Change(kind, key, old, None, self.cause))

    def evolve(self, kind: Kind, keys: Iterable[int] | None, **values: Any) -> None:
        table = self.view.table(kind)
        for key in keys or ():
            old = table.get(key)
            if old is not None:
                self.put(kind, key, attrs.evolve(old, **values))


def apply_event(view: View, event: PushEvent, *, only_units: bool = True) -> list[Change]:
    """Apply one push event to `view`; the changes it made."""
    edit = _Editor(view, "event")
    if isinstance(event, EventUnitLogin) and event.unit is not None:
        unit = event.unit
        if event.is_dispatch is not None and unit.is_dispatch is None:
            unit = attrs.evolve(unit, is_dispatch=event.is_dispatch)
        if not (only_units and unit.is_dispatch):
            edit.put("unit", unit.ident_id, unit)
    elif isinstance(event, EventUnitUpdate):
        for unit in event.units or ():
            if not (only_units and unit.is_dispatch):
                edit.put("unit", unit.ident_id, unit)
    elif isinstance(event, EventUnitLogout) and event.ident_id is not None:
        edit.drop("unit", (event.ident_id,))
    elif isinstance(event, EventUnitStatus) and event.status is not None:
        edit.evolve("unit", event.ident_ids, status=event.status)
    elif isinstance(event, EventUnitPanic) and event.is_panic is not None:
        edit.evolve("unit", event.ident_ids, is_panic=event.is_panic)
    elif isinstance(event, Event911) and event.call is not None:
        edit.put("emergency", event.call.call_id, event.call)
    elif isinstance(event, EventRemove911):
        edit.drop("emergency", event.call_ids)
    elif isinstance(event, EventDispatchNew | EventDispatchEdit) and event.dispatch is not None:
        edit.put("dispatch", event.dispatch.call_id, event.dispatch)
    elif isinstance(event, EventDispatchClosed):
        edit.drop("dispatch", event.call_ids)
    elif isinstance(event, EventDispatchNote) and event.call_id is not None and event.note:
        call = view.dispatch.get(event.call_id)
        if call is not None:
            edit.evolve("dispatch", (event.call_id,), notes=(*(call.notes or ()), event.note))
    elif isinstance(event, EventDispatchUnitAttach | EventDispatchUnitDetach):
        _idents(
            edit,
            event.call_id,
            event.idents or (),
            attach=isinstance(event, EventDispatchUnitAttach),
        )
    return edit.changes


def _idents(edit: _Editor, call_id: int | None, idents: Iterable[int], *, attach: bool) -> None:
    call = edit.view.dispatch.get(call_id) if call_id is not None else None
    if call is None:
        return
    now = tuple(call.idents or ())
    if attach:
        new = tuple(dict.fromkeys((*now, *idents)))
    else:
        leaving = set(idents)
        new = tuple(i for i in now if i not in leaving)
    edit.evolve("dispatch", (call.call_id,), idents=new)


def _targets(view: View, update: UnitStatusUpdate | UnitPanicUpdate | UnitLocation) -> list[int]:
    if isinstance(update, UnitLocation):
        return [k for k, u in view.units.items() if u.names(update.api_id)]
    if update.ident_ids:
        return [i for i in update.ident_ids if i in view.units]
    who = update.api_id or update.account or update.community_user_id
    return [k for k, u in view.units.items() if who is not None and u.names(who)]


def apply_write(
    view: View, request: Any, result: Any, server_id: int, default_server: int
) -> list[Change]:
    """Apply one of the client's own successful calls (the CAD pushes no dispatch events
    for API changes, nor a panic event for an API panic)."""
    sid = getattr(request, "server_id", None)
    if (default_server if sid is None else sid) != server_id:
        return []
    edit = _Editor(view, "write")
    if isinstance(request, Call911) and type(result) is int:
        edit.put(
            "emergency",
            result,
            EmergencyCall(
                call_id=result,
                is_emergency=request.is_emergency,
                caller=request.caller,
                location=request.location,
                description=request.description,
                meta_data=dict(request.meta_data) if request.meta_data is not None else None,
            ),
        )
    elif isinstance(request, Remove911):
        edit.drop("emergency", (request.call_id,))
    elif isinstance(request, NewDispatch) and type(result) is int:
        fields = {f: getattr(request, f) for f in _DISPATCH_FIELDS}
        meta = dict(request.meta_data) if request.meta_data is not None else None
        edit.put("dispatch", result, DispatchCall(call_id=result, meta_data=meta, **fields))
    elif isinstance(request, CloseCall):
        edit.drop("dispatch", (request.call_id,))
    elif isinstance(request, DispatchEdit):
        values = {f: getattr(request, f) for f in _EDITED if getattr(request, f) is not None}
        if request.meta_data is not None:
            values["meta_data"] = dict(request.meta_data)
        edit.evolve("dispatch", (request.call_id,), **values)
    elif isinstance(request, SetCallPostal):
        edit.evolve("dispatch", (request.call_id,), postal=request.postal)
    elif isinstance(request, SetCallPrimary):
        edit.evolve("dispatch", (request.call_id,), primary=request.primary)
    elif isinstance(request, UnitStatusUpdate) and result is UnitCommand.SENT:
        edit.evolve("unit", _targets(view, request), status=request.status)
    elif isinstance(request, UnitPanicUpdate) and result is UnitCommand.SENT:
        edit.evolve("unit", _targets(view, request), is_panic=request.is_panic)
    elif isinstance(request, UnitLocation) and result is LocationUpdate.SENT:
        edit.evolve("unit", _targets(view, request), location=request.location)
    return edit.changes


# meta_data is copied into a dict of its own; a new dispatch also carries its notes.
_EDITED = tuple(name for name in EDITABLE_FIELDS if name != "meta_data")
_DISPATCH_FIELDS = (*_EDITED, "notes")
