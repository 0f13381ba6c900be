"""Server-side errors as callers see them, end to end against the emulator."""

from __future__ import annotations

import asyncio

import pytest

from sonoran_async import (
    ApiNotEnabledError,
    Call911,
    CallNotFoundError,
    EndpointNotEnabledError,
    NewDispatch,
    ServerNotFoundError,
)
from sonoran_async.testing import EmulatorFactory

from .conftest import client_for, created_911


async def test_plan_gating_fails_that_endpoint_only_and_is_not_fatal(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(plan="STANDARD")
    async with client_for(emu) as cad:
        with pytest.raises(EndpointNotEnabledError) as caught:
            await cad.get_calls()
        assert caught.value.__notes__ == ["GET_CALLS needs the PLUS plan or higher"]
        with pytest.raises(EndpointNotEnabledError):
            await cad.new_dispatch(NewDispatch(title="needs PLUS"))
        call_id = await cad.call_911(Call911(caller="still fine", location="x"))
        await cad.remove_911(call_id)
    assert emu.state.emergency_calls == {}


async def test_unknown_call_ids_fail_with_call_not_found(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(emu) as cad:
        dispatch_id = await cad.new_dispatch(NewDispatch(title="t"))
        outcomes = await asyncio.gather(
            cad.close_call(dispatch_id),
            cad.close_call(dispatch_id + 1000),
            cad.remove_911(4242),
            return_exceptions=True,
        )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], CallNotFoundError)
    assert isinstance(outcomes[2], CallNotFoundError)
    assert [c["callId"] for c in emu.state.closed_calls] == [dispatch_id]


async def test_api_not_enabled_is_fatal(sonoran_emulator_factory: EmulatorFactory) -> None:
    emu = await sonoran_emulator_factory(api_enabled=False)
    async with client_for(emu) as cad:
        with pytest.raises(ApiNotEnabledError):
            await cad.call_911(Call911(caller="x", location="y"))
        with pytest.raises(ApiNotEnabledError):
            await cad.get_calls()
    assert emu.stats.requests == 1


async def test_first_only_server_rejecting_the_first_object_loses_nothing(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    # A 400 for a batch that is not an envelope error: GET_CALLS shows nothing was
    # applied, so every object goes again alone and gets its own answer.
    emu = await sonoran_emulator_factory(multi="first_only")
    batch = [Call911(caller="lost", location="x", server_id=99)] + [
        Call911(caller=f"ok-{i}", location="x") for i in range(4)
    ]
    async with client_for(emu) as cad:
        outcomes = await asyncio.gather(*(cad.call_911(c) for c in batch), return_exceptions=True)
        assert cad.stats.resent == 5
    assert isinstance(outcomes[0], ServerNotFoundError)
    assert all(isinstance(o, int) for o in outcomes[1:])
    assert created_911(emu) == {f"ok-{i}": 1 for i in range(4)}
