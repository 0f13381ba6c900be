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
    ServerNotFoundError,
    TransportError,
)
from sonoran_async.emulator import MULTI_MODES, Emulator, Faults, MultiMode
from sonoran_async.testing import EmulatorFactory

from .conftest import client_for

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
    max_examples=40,
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
)
def test_no_duplicate_no_false_success_no_false_error(
    mode: MultiMode, bad: list[bool], faults: dict[str, float], seed: int, max_items: int
) -> None:
    async def scenario() -> None:
        async with Emulator(multi=mode, faults=Faults(seed=seed, **faults)) as emu:
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
