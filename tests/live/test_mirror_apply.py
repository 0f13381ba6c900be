"""How each push event and each of the client's own writes changes the mirror's view."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sonoran_async import CallStatus, UnitStatus
from sonoran_async._bridge import LocationUpdate, SetCallPostal, SetCallPrimary, UnitLocation
from sonoran_async._mirror_apply import Change, View, apply_event, apply_write
from sonoran_async._models import Call911, CloseCall, DispatchEdit, NewDispatch, Remove911
from sonoran_async._replies import CallNote, CallsSnapshot, DispatchCall, EmergencyCall
from sonoran_async._units import UnitCommand, UnitPanicUpdate, UnitStatusUpdate
from sonoran_async.events import (
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
    UnitData,
)

_NOTE = CallNote(content="on scene")


def _unit(ident: int, api_id: str = "", **values: Any) -> Unit:
    return Unit(ident_id=ident, acc_id=f"acc-{ident}", data=UnitData(api_id1=api_id), **values)


def _view() -> View:
    calls = CallsSnapshot(
        active_calls=(DispatchCall(call_id=10, idents=(1,)),),
        emergency_calls=(EmergencyCall(call_id=20, caller="Bob"),),
    )
    units = [
        _unit(1, "steam:1", status=UnitStatus.AVAILABLE, is_panic=False),
        _unit(2, "steam:2", status=UnitStatus.BUSY, is_panic=False),
        Unit(ident_id=None),  # no id: not kept
    ]
    return View.of(units, calls)


def _state(view: View) -> tuple[dict[int, Any], ...]:
    return (dict(view.units), dict(view.emergency), dict(view.dispatch))


def test_view_of_keeps_entries_by_id() -> None:
    view = _view()
    assert set(view.units) == {1, 2}
    assert set(view.emergency) == {20}
    assert set(view.dispatch) == {10}


def test_diff_names_every_entry_that_differs() -> None:
    old, new = _view(), _view()
    apply_event(new, EventUnitLogout(ident_id=2))
    apply_event(new, EventRemove911(call_ids=(20,)))
    assert old.diff(new, "resync") == [
        Change("unit", 2, old.units[2], None, "resync"),
        Change("emergency", 20, old.emergency[20], None, "resync"),
    ]
    assert old.diff(_view(), "resync") == []


# --- events -----------------------------------------------------------------------------------


def test_unit_login_adds_and_replaces() -> None:
    view = _view()
    new = _unit(3, "steam:3")
    assert apply_event(view, EventUnitLogin(unit=new)) == [Change("unit", 3, None, new, "event")]
    assert apply_event(view, EventUnitLogin(unit=new)) == []  # the same again: no change
    moved = _unit(3, "steam:3", location="Paleto")
    assert apply_event(view, EventUnitLogin(unit=moved))[0].old == new
    assert view.units[3] == moved


def test_unit_login_of_a_dispatcher_only_when_asked() -> None:
    view = _view()
    login = EventUnitLogin(unit=_unit(4), is_dispatch=True)
    assert apply_event(view, login) == []
    assert 4 not in view.units
    (change,) = apply_event(view, login, only_units=False)
    assert change.new.is_dispatch is True  # the event's flag carried onto the unit


def test_unit_login_without_unit_or_id_leaves_view() -> None:
    view = _view()
    before = _state(view)
    assert apply_event(view, EventUnitLogin()) == []
    assert apply_event(view, EventUnitLogin(unit=Unit(acc_id="x"))) == []
    assert _state(view) == before


def test_unit_update_puts_each_unit_but_dispatchers() -> None:
    view = _view()
    units = (_unit(1, "steam:1", status=UnitStatus.ENROUTE), _unit(5, is_dispatch=True))
    changes = apply_event(view, EventUnitUpdate(units=units))
    assert [(c.key, c.old is None) for c in changes] == [(1, False)]
    assert view.units[1].status is UnitStatus.ENROUTE
    assert [c.key for c in apply_event(view, EventUnitUpdate(units=units), only_units=False)] == [5]
    assert apply_event(view, EventUnitUpdate(units=None)) == []


def test_unit_logout_drops_once() -> None:
    view = _view()
    old = view.units[2]
    assert apply_event(view, EventUnitLogout(ident_id=2)) == [Change("unit", 2, old, None, "event")]
    assert apply_event(view, EventUnitLogout(ident_id=2)) == []
    assert apply_event(view, EventUnitLogout()) == []
    assert set(view.units) == {1}


def test_unit_status_and_panic_change_known_units_only() -> None:
    view = _view()
    changes = apply_event(view, EventUnitStatus(ident_ids=(1, 2, 99), status=UnitStatus.ON_SCENE))
    assert [c.key for c in changes] == [1, 2]
    assert {u.status for u in view.units.values()} == {UnitStatus.ON_SCENE}
    assert [c.key for c in apply_event(view, EventUnitPanic(ident_ids=(2,), is_panic=True))] == [2]
    assert view.units[2].is_panic is True
    assert view.units[1].is_panic is False
    # partial events: no status / no panic flag / no ids
    before = _state(view)
    assert apply_event(view, EventUnitStatus(ident_ids=(1,))) == []
    assert apply_event(view, EventUnitPanic(ident_ids=(1,))) == []
    assert apply_event(view, EventUnitStatus(status=UnitStatus.BUSY)) == []
    assert _state(view) == before


def test_911_added_and_removed() -> None:
    view = _view()
    call = EmergencyCall(call_id=21, caller="Ann")
    assert apply_event(view, Event911(call=call)) == [Change("emergency", 21, None, call, "event")]
    assert apply_event(view, Event911()) == []
    assert [c.key for c in apply_event(view, EventRemove911(call_ids=(20, 21, 99)))] == [20, 21]
    assert view.emergency == {}
    assert apply_event(view, EventRemove911()) == []


@pytest.mark.parametrize("kind", [EventDispatchNew, EventDispatchEdit])
def test_dispatch_new_and_edit_put_the_call(kind: type[EventDispatchNew]) -> None:
    view = _view()
    call = DispatchCall(call_id=10, title="Fire", status=CallStatus.ACTIVE)
    (change,) = apply_event(view, kind(dispatch=call))
    assert change.new == call
    assert view.dispatch[10] == call
    assert apply_event(view, kind()) == []


def test_dispatch_closed_drops() -> None:
    view = _view()
    assert [c.key for c in apply_event(view, EventDispatchClosed(call_ids=(10, 11)))] == [10]
    assert view.dispatch == {}
    assert apply_event(view, EventDispatchClosed()) == []


def test_dispatch_note_appends_to_a_known_call() -> None:
    view = _view()
    apply_event(view, EventDispatchNote(call_id=10, note=_NOTE))
    apply_event(view, EventDispatchNote(call_id=10, note=_NOTE))
    assert view.dispatch[10].notes == (_NOTE, _NOTE)
    before = _state(view)
    assert apply_event(view, EventDispatchNote(call_id=99, note=_NOTE)) == []
    assert apply_event(view, EventDispatchNote(call_id=10)) == []
    assert apply_event(view, EventDispatchNote(note=_NOTE)) == []
    assert _state(view) == before


def test_dispatch_note_on_a_call_without_notes() -> None:
    view = View(dispatch={7: DispatchCall(call_id=7, notes=None)})
    apply_event(view, EventDispatchNote(call_id=7, note=_NOTE))
    assert view.dispatch[7].notes == (_NOTE,)


def _idents(view: View, call_id: int) -> tuple[int, ...] | None:
    return view.dispatch[call_id].idents


def test_attach_and_detach_units() -> None:
    view = _view()
    apply_event(view, EventDispatchUnitAttach(call_id=10, idents=(2, 1, 3)))
    assert _idents(view, 10) == (1, 2, 3)  # no duplicates, order kept
    assert apply_event(view, EventDispatchUnitAttach(call_id=10, idents=(2,))) == []
    apply_event(view, EventDispatchUnitDetach(call_id=10, idents=(1, 3, 8)))
    assert _idents(view, 10) == (2,)
    before = _state(view)
    assert apply_event(view, EventDispatchUnitAttach(call_id=99, idents=(1,))) == []
    assert apply_event(view, EventDispatchUnitDetach(idents=(2,))) == []
    assert apply_event(view, EventDispatchUnitDetach(call_id=10)) == []
    assert _state(view) == before


def test_attach_to_a_call_without_idents() -> None:
    view = View(dispatch={7: DispatchCall(call_id=7, idents=None)})
    apply_event(view, EventDispatchUnitAttach(call_id=7, idents=(4,)))
    assert view.dispatch[7].idents == (4,)


_EVENTS = st.sampled_from(
    [
        PushEvent(),
        EventUnitLogin(),
        EventUnitLogin(unit=_unit(1, status=UnitStatus.BUSY)),
        EventUnitLogout(ident_id=1),
        EventUnitStatus(ident_ids=(1, 2), status=UnitStatus.ENROUTE),
        EventUnitPanic(ident_ids=(2,), is_panic=True),
        Event911(call=EmergencyCall(call_id=21)),
        EventRemove911(call_ids=(20,)),
        EventDispatchNew(dispatch=DispatchCall(call_id=11)),
        EventDispatchClosed(call_ids=(10,)),
        EventDispatchNote(call_id=10, note=_NOTE),
        EventDispatchUnitAttach(call_id=11, idents=(2,)),
        EventDispatchUnitDetach(call_id=10, idents=(1,)),
    ]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_EVENTS, max_size=8))
def test_changes_replay_to_the_final_view(events: list[PushEvent]) -> None:
    """The changes each event reports, replayed on a copy, give exactly the view after."""
    view = _view()
    replay = copy.deepcopy(_state(view))
    for event in events:
        for change in apply_event(view, event):
            table = replay[("unit", "emergency", "dispatch").index(change.kind)]
            assert table.get(change.key) == change.old
            if change.new is None:
                del table[change.key]
            else:
                table[change.key] = change.new
    assert replay == _state(view)


# --- the client's own writes ----------------------------------------------------------------


def _write(view: View, request: Any, result: Any = None, server: int = 1) -> list[Change]:
    return apply_write(view, request, result, server, 1)


def test_call_911_adds_the_call_it_created() -> None:
    view = _view()
    request = Call911(caller="Ann", location="Main St", meta_data={"k": "v"})
    (change,) = _write(view, request, 22)
    assert change == Change("emergency", 22, None, view.emergency[22], "write")
    assert (view.emergency[22].caller, view.emergency[22].meta_data) == ("Ann", {"k": "v"})
    assert _write(view, Call911(caller="X", location="Y"), None) == []  # no id: nothing


def test_call_911_without_metadata() -> None:
    view = _view()
    _write(view, Call911(caller="Ann", location="Main St", is_emergency=False), 23)
    assert view.emergency[23].meta_data is None
    assert view.emergency[23].is_emergency is False


def test_remove_911_and_close_call_drop() -> None:
    view = _view()
    assert [c.kind for c in _write(view, Remove911(call_id=20))] == ["emergency"]
    assert [c.kind for c in _write(view, CloseCall(call_id=10))] == ["dispatch"]
    assert (view.emergency, view.dispatch) == ({}, {})
    assert _write(view, CloseCall(call_id=10)) == []


def test_new_dispatch_adds_the_call_with_its_notes() -> None:
    view = _view()
    request = NewDispatch(title="Fire", postal="101", notes=(_NOTE,), meta_data={"a": 1})
    _write(view, request, 12)
    call = view.dispatch[12]
    got = (call.title, call.postal, call.notes, call.meta_data)
    assert got == ("Fire", "101", (_NOTE,), {"a": 1})
    _write(view, NewDispatch(title="Theft"), 13)
    assert view.dispatch[13].meta_data is None
    assert _write(view, NewDispatch(title="X"), "13") == []


def test_dispatch_edit_changes_only_the_fields_sent() -> None:
    view = _view()
    _write(view, DispatchEdit(call_id=10, title="Fire", priority=3, meta_data={"m": 2}))
    call = view.dispatch[10]
    assert (call.title, call.priority, call.meta_data, call.idents) == ("Fire", 3, {"m": 2}, (1,))
    _write(view, DispatchEdit(call_id=10, postal="202"))
    assert (view.dispatch[10].postal, view.dispatch[10].title) == ("202", "Fire")
    assert _write(view, DispatchEdit(call_id=99, title="x")) == []


def test_set_postal_and_primary() -> None:
    view = _view()
    _write(view, SetCallPostal(call_id=10, postal="303"))
    _write(view, SetCallPrimary(call_id=10, primary=1))
    assert (view.dispatch[10].postal, view.dispatch[10].primary) == ("303", 1)


@pytest.mark.parametrize(
    ("target", "changed"),
    [
        ({"ident_ids": (2, 99)}, [2]),
        ({"api_id": "steam:1"}, [1]),
        ({"account": "acc-2"}, [2]),
        ({"community_user_id": "nobody"}, []),
    ],
)
def test_unit_status_and_panic_by_each_target(target: dict[str, Any], changed: list[int]) -> None:
    view = _view()
    status = UnitStatusUpdate(status=UnitStatus.ON_SCENE, **target)
    assert [c.key for c in _write(view, status, UnitCommand.SENT)] == changed
    panic = UnitPanicUpdate(is_panic=True, **target)
    assert [c.key for c in _write(view, panic, UnitCommand.SENT)] == changed
    assert all(view.units[k].status is UnitStatus.ON_SCENE for k in changed)


def test_unit_commands_superseded_change_nothing() -> None:
    view = _view()
    before = _state(view)
    status = UnitStatusUpdate(ident_ids=(1,), status=UnitStatus.BUSY)
    assert _write(view, status, UnitCommand.SUPERSEDED) == []
    assert _write(view, UnitPanicUpdate(ident_ids=(1,)), UnitCommand.SUPERSEDED) == []
    location = UnitLocation(api_id="steam:1", location="X")
    assert _write(view, location, LocationUpdate.SUPERSEDED) == []
    assert _state(view) == before


def test_unit_location_sent() -> None:
    view = _view()
    request = UnitLocation(api_id="steam:2", location="Sandy")
    assert [c.key for c in _write(view, request, LocationUpdate.SENT)] == [2]
    assert view.units[2].location == "Sandy"


def test_write_for_another_server_or_unknown_request_is_ignored() -> None:
    view = _view()
    before = _state(view)
    assert _write(view, CloseCall(call_id=10, server_id=2)) == []
    assert apply_write(view, CloseCall(call_id=10), None, 2, 1) == []  # default server is 1
    assert _write(view, object()) == []
    assert _state(view) == before
    closed = apply_write(view, CloseCall(call_id=10, server_id=2), None, 2, 1)
    assert [c.key for c in closed] == [10]
