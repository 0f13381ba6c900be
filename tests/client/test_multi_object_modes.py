"""Exactly once under every plausible multi-object behaviour, with no configuration.

The emulator answers several objects in one request the four ways a real server might
(`per_item`, `first_only`, `all_one_line`, `all_then_400`); the client must create every
call once, give each caller its own id, and never report a plain error for a call that
exists nor success for one that does not.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sonoran_async import (
    ApiError,
    BatchPolicy,
    Call911,
    NewDispatch,
    OutcomeUnknownError,
    RateLimit,
    ReconcilePolicy,
    ServerNotFoundError,
    TransportError,
)
from sonoran_async.emulator import (
    MULTI_MODES,
    SNAPSHOT_MODES,
    Emulator,
    Faults,
    MultiMode,
    SnapshotMode,
)
from sonoran_async.testing import EmulatorFactory
from tests.virtual_clock import VirtualClock

from .conftest import FAST_RECONCILE, client_for

MODES = list(MULTI_MODES)


def created(emu: Emulator, kind: str, field: str) -> Counter[str]:
    return Counter(obj[field] for k, _, obj in emu.state.log if k == kind)


@pytest.mark.parametrize("mode", MODES)
async def test_every_call_created_once_with_its_own_id(
    sonoran_emulator_factory: EmulatorFactory, mode: str
) -> None:
    emu = await sonoran_emulator_factory(multi=mode)
    calls = [
        Call911(caller=f"c{i}", location="x", server_id=99 if i % 7 == 3 else None)
        for i in range(30)
    ]
    async with client_for(emu) as cad:
        first = await asyncio.gather(*(cad.call_911(c) for c in calls), return_exceptions=True)
        second = await asyncio.gather(
            *(cad.call_911(c) for c in calls[:10]), return_exceptions=True
        )
        learned = cad.stats.multi_object.get("CALL_911")
    outcomes = first + second
    callers = [c.caller for c in calls] + [c.caller for c in calls[:10]]
    good = [c.caller for c in calls if c.server_id is None]
    assert created(emu, "CALL_911", "caller") == Counter(
        good + [c for c in good if int(c[1:]) < 10]
    )
    for caller, outcome in zip(callers, outcomes, strict=True):
        if int(caller[1:]) % 7 == 3:
            assert isinstance(outcome, ServerNotFoundError), outcome
        else:
            assert isinstance(outcome, int), outcome
            assert emu.state.emergency_calls[outcome]["caller"] == caller
    assert learned == mode


@pytest.mark.parametrize("mode", MODES)
async def test_dispatch_creates_once_in_every_mode(
    sonoran_emulator_factory: EmulatorFactory, mode: str
) -> None:
    emu = await sonoran_emulator_factory(multi=mode)
    async with client_for(emu) as cad:
        ids = await asyncio.gather(
            *(cad.new_dispatch(NewDispatch(title=f"t{i}")) for i in range(12))
        )
    assert created(emu, "NEW_DISPATCH", "title") == Counter(f"t{i}" for i in range(12))
    assert [emu.state.dispatch_calls[i]["title"] for i in ids] == [f"t{i}" for i in range(12)]


async def test_without_reconciliation_an_ambiguous_reply_is_unknown_and_the_lane_falls_back(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(multi="all_one_line")
    async with client_for(emu, reconcile=None) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(5)),
            return_exceptions=True,
        )
        assert all(isinstance(o, OutcomeUnknownError) for o in outcomes)
        after = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"d{i}", location="x")) for i in range(3))
        )
        stats = cad.stats
    assert created(emu, "CALL_911", "caller") == Counter(
        [f"c{i}" for i in range(5)] + [f"d{i}" for i in range(3)]
    )
    assert stats.fallback_lanes == ("CALL_911",) and len(set(after)) == 3
    assert stats.batch_sizes == {1: 3, 5: 1}


async def test_gets_calls_above_the_plan_make_reconciliation_impossible(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(multi="all_one_line", plan="STANDARD")
    async with client_for(emu) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(4)),
            return_exceptions=True,
        )
        assert all(isinstance(o, OutcomeUnknownError) for o in outcomes)
        assert cad.stats.fallback_lanes == ("CALL_911",)
    assert len(emu.state.emergency_calls) == 4  # applied, and never a second time


async def test_tokens_ride_only_on_creates_that_share_a_request(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(multi="all_one_line")
    async with client_for(emu) as cad:
        await cad.call_911(Call911(caller="alone", location="x"))
        await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3))
        )
    metas = {obj["caller"]: obj.get("metaData") for k, _, obj in emu.state.log if k == "CALL_911"}
    assert metas["alone"] is None
    assert all(set(metas[f"c{i}"] or ()) == {"sonoranAsyncToken"} for i in range(3))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mode=st.sampled_from(MODES),
    bad=st.lists(st.booleans(), min_size=2, max_size=14),
    faults=st.fixed_dictionaries(
        {
            "error_503": st.sampled_from([0.0, 0.1]),
            "reset_before": st.sampled_from([0.0, 0.1]),
            "error_500_after": st.sampled_from([0.0, 0.1]),
            "reset_after": st.sampled_from([0.0, 0.1]),
        }
    ),
    seed=st.integers(0, 1000),
    max_items=st.sampled_from([3, 100]),
    snapshot=st.sampled_from(SNAPSHOT_MODES),
)
def test_no_duplicate_no_false_success_no_false_error(
    mode: MultiMode,
    bad: list[bool],
    faults: dict[str, float],
    seed: int,
    max_items: int,
    snapshot: SnapshotMode,
) -> None:
    async def scenario() -> None:
        faulty = Faults(seed=seed, **faults)
        async with Emulator(multi=mode, faults=faulty, snapshot=snapshot) as emu:
            calls = [
                Call911(caller=f"c{i}", location="x", server_id=99 if is_bad else None)
                for i, is_bad in enumerate(bad)
            ]
            async with client_for(emu, batch=BatchPolicy(max_items=max_items)) as cad:
                outcomes: list[Any] = await asyncio.gather(
                    *(cad.call_911(c) for c in calls), return_exceptions=True
                )
            made = created(emu, "CALL_911", "caller")
            for call, outcome in zip(calls, outcomes, strict=True):
                exists = made[call.caller]
                assert exists <= 1, f"{call.caller} created {exists} times"
                if isinstance(outcome, int):
                    assert exists == 1
                    assert emu.state.emergency_calls[outcome]["caller"] == call.caller
                elif isinstance(outcome, ApiError) or (
                    isinstance(outcome, TransportError) and not outcome.request_sent
                ):
                    assert exists == 0, f"{call.caller}: plain error {outcome!r} but it exists"
                else:
                    assert isinstance(outcome, OutcomeUnknownError), outcome

    asyncio.run(scenario())


# --- snapshots that do not echo, or lag (issue #21 item 2) ------------------------------


@pytest.mark.parametrize("snapshot", SNAPSHOT_MODES)
@pytest.mark.parametrize("mode", ["all_one_line", "all_then_400", "first_only"])
async def test_item2_a_snapshot_proves_absence_only_when_it_echoes_and_is_fresh(
    sonoran_emulator_factory: EmulatorFactory, snapshot: SnapshotMode, mode: MultiMode
) -> None:
    """The server applies and answers one line (or stops at a bad object); the look-up
    meets metaData as a string, no metaData, `{}`, a replica one create behind, or no
    empty description. Nothing is created twice; no caller is told "created" wrongly."""
    emu = await sonoran_emulator_factory(multi=mode, snapshot=snapshot)
    emu.state.replica_lag = 0.01
    calls = [
        Call911(caller=f"c{i}", location="x", server_id=99 if i == 2 else None) for i in range(4)
    ]
    async with client_for(emu) as cad:
        await cad.call_911(Call911(caller="earlier", location="x"))  # something on the server
        outcomes = await asyncio.gather(*(cad.call_911(c) for c in calls), return_exceptions=True)
    made = created(emu, "CALL_911", "caller")
    assert max(made.values()) == 1, made
    for call, outcome in zip(calls, outcomes, strict=True):
        if isinstance(outcome, int):
            assert emu.state.emergency_calls[outcome]["caller"] == call.caller
        elif isinstance(outcome, ServerNotFoundError):
            assert call.server_id == 99
        else:
            assert isinstance(outcome, OutcomeUnknownError), outcome
    if snapshot in ("faithful", "meta_string", "lagging"):  # the look-up can settle these
        assert [o for o in outcomes if isinstance(o, OutcomeUnknownError)] == []


async def test_item2_after_per_item_replies_a_later_one_line_reply_is_still_settled_exactly(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    """Default settings: the server first answers per object, later one line for all,
    and leaves out an empty description. 6 placed -> 6 created (was 9)."""
    emu = await sonoran_emulator_factory(multi="per_item", snapshot="omit_empty")
    async with client_for(emu) as cad:
        first = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"a{i}", location="x")) for i in range(3))
        )
        emu.core.multi = "all_one_line"
        second = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"b{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert len(emu.state.emergency_calls) == 6
    assert len(set(first)) == 3 and all(isinstance(o, int) for o in second)


async def test_item2_field_matching_needs_the_same_proof(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    """Without tokens, a server that answers `{}` proves nothing: unknown, never re-sent."""
    emu = await sonoran_emulator_factory(multi="first_only", snapshot="empty")
    policy = ReconcilePolicy(token_key=None, recheck_after=FAST_RECONCILE.recheck_after)
    async with client_for(emu, reconcile=policy) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert isinstance(outcomes[0], int | OutcomeUnknownError)
    assert all(isinstance(o, OutcomeUnknownError) for o in outcomes[1:])
    assert created(emu, "CALL_911", "caller") == Counter(["c0"])


async def test_item2_look_ups_are_bounded_and_take_their_rate_slot(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    """A snapshot that never settles it (metaData left out): at most `max_snapshots`
    look-ups, each through the rate budget, then unknown."""
    emu = await sonoran_emulator_factory(multi="first_only", snapshot="meta_omitted")
    clock = VirtualClock()
    async with client_for(emu, rate_limit=RateLimit(per_second=1, burst=1), clock=clock) as cad:
        await cad.call_911(Call911(caller="earlier", location="x"))
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert emu.stats.per_type.get("GET_CALLS", 0) == FAST_RECONCILE.max_snapshots
    assert isinstance(outcomes[0], OutcomeUnknownError)
    assert all(isinstance(o, OutcomeUnknownError) for o in outcomes)
    assert created(emu, "CALL_911", "caller") == Counter(["earlier", "c0"])
    # 5 requests at 1/s: every one, the look-ups included, waited for its slot.
    assert sorted(s for s in clock.sleeps if s > 0.5) == [pytest.approx(1.0, abs=0.05)] * 4
