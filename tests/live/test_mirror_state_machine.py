"""After any sequence of changes in the CAD, the client's own writes, event deliveries
(in order, whenever) and a resync, the mirror equals the emulator's state; and whenever
every event has been delivered, it equals it without a resync too (events and own writes
alone keep it current; here the pushes that precede a write arrive before it)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sonoran_async import (
    Call911,
    LiveMirror,
    NewDispatch,
    SonoranClient,
    UnitPanicUpdate,
    UnitStatus,
    UnitStatusUpdate,
)
from sonoran_async.emulator import EmulatorCore, LiveState, live_of

from ..v2.conftest import FAST_RETRY, start
from .events import LocalEvents

statuses = st.sampled_from(list(UnitStatus))


def _emulated(core: EmulatorCore, live: LiveState) -> tuple[Any, ...]:
    units = live.active_units(1, only_units=True, include_offline=False, limit=10**6, offset=0)
    return (
        {u["id"]: (u["status"], u["isPanic"], u["location"]) for u in units},
        {i: (c["caller"], c["location"]) for i, c in core.state.emergency_calls.items()},
        {i: (c["title"], c["postal"]) for i, c in core.state.dispatch_calls.items()},
    )


def _mirrored(mirror: LiveMirror) -> tuple[Any, ...]:
    return (
        {i: (int(u.status or 0), u.is_panic, u.location) for i, u in mirror.units.items()},
        {i: (c.caller, c.location) for i, c in mirror.emergency.items()},
        {i: (c.title, c.postal) for i, c in mirror.calls.items()},
    )


class MirrorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.server, self.core, _ = self.run(start())
        self.live = live_of(self.core)
        self.source = LocalEvents(self.core)
        url = str(self.server.make_url("")).rstrip("/")
        self.cad = SonoranClient(
            "demo", "demo-key", base_url=url, rate_limit=None, retry=FAST_RETRY
        )
        self.mirror = self.cad.mirror(events=self.source)
        self.run(self.mirror.start())
        self.accounts = 0

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.mirror.aclose())
        self.run(self.cad.aclose())
        self.run(self.server.close())
        self.loop.close()

    def _online(self) -> list[int]:
        return sorted(self.live.online.get(1, set()))

    # --- what happens in the CAD (pushed) ---------------------------------------------------

    @rule()
    def unit_logs_in(self) -> None:
        self.accounts += 1
        n = self.accounts
        self.live.login(self.live.add_identifier(accId=f"acc-{n}", apiId1=f"S:{n}"))

    @precondition(lambda self: self._online())
    @rule(data=st.data())
    def unit_logs_out(self, data: st.DataObject) -> None:
        self.live.logout(data.draw(st.sampled_from(self._online())))

    @precondition(lambda self: self._online())
    @rule(data=st.data(), status=statuses, panic=st.booleans())
    def unit_changes_in_the_cad(self, data: st.DataObject, status: UnitStatus, panic: bool) -> None:
        ident = data.draw(st.sampled_from(self._online()))
        self.live.set_status([ident], int(status))
        self.live.set_panic([ident], panic)
        self.live.update(ident, location=f"street {int(status)}")

    # --- the client's own writes -----------------------------------------------------------

    @precondition(lambda self: self._online())
    @rule(data=st.data(), status=statuses, panic=st.booleans())
    def client_commands_a_unit(self, data: st.DataObject, status: UnitStatus, panic: bool) -> None:
        self.run(self.source.deliver())
        ident = data.draw(st.sampled_from(self._online()))
        api_id = self.live.identifiers[ident]["data"]["apiId1"]
        self.run(self.cad.unit_status(UnitStatusUpdate(api_id=api_id, status=status)))
        self.run(self.cad.unit_panic(UnitPanicUpdate(ident_ids=[ident], is_panic=panic)))

    @rule(caller=st.sampled_from(["A", "B"]))
    def client_places_a_911_call(self, caller: str) -> None:
        self.run(self.source.deliver())
        self.run(self.cad.call_911(Call911(caller=caller, location="here")))

    @precondition(lambda self: self.core.state.emergency_calls)
    @rule(data=st.data())
    def client_removes_a_911_call(self, data: st.DataObject) -> None:
        self.run(self.source.deliver())
        call_id = data.draw(st.sampled_from(sorted(self.core.state.emergency_calls)))
        self.run(self.cad.remove_911(call_id))

    @rule(postal=st.sampled_from(["1", "2"]))
    def client_creates_a_dispatch_call(self, postal: str) -> None:
        self.run(self.source.deliver())
        self.run(self.cad.new_dispatch(NewDispatch(title="t", postal=postal)))

    @precondition(lambda self: self.core.state.dispatch_calls)
    @rule(data=st.data())
    def client_closes_a_dispatch_call(self, data: st.DataObject) -> None:
        self.run(self.source.deliver())
        self.run(
            self.cad.close_call(data.draw(st.sampled_from(sorted(self.core.state.dispatch_calls))))
        )

    # --- delivery and resync ---------------------------------------------------------------

    @rule(count=st.integers(0, 4))
    def events_arrive(self, count: int) -> None:
        self.run(self.source.deliver(count))

    @precondition(lambda self: self._online())
    @rule()
    def events_race_a_resync(self) -> None:
        async def race() -> None:
            resync = asyncio.ensure_future(self.mirror.resync())
            await asyncio.sleep(0)
            self.live.set_status(self._online()[:1], 1)
            await self.source.deliver()
            assert await resync

        self.run(race())

    @rule()
    def after_delivery_and_a_resync_the_mirror_equals_the_cad(self) -> None:
        self.run(self.source.deliver())
        assert self.run(self.mirror.resync())
        assert _mirrored(self.mirror) == _emulated(self.core, self.live)

    @invariant()
    def once_every_event_is_in_the_mirror_is_current(self) -> None:
        if not self.source.pending:
            assert _mirrored(self.mirror) == _emulated(self.core, self.live)


MirrorMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)
test_mirror_equals_the_cad = MirrorMachine.TestCase
