"""Tests a user of sonoran-async writes with its pytest plugin's fixtures.

Installing sonoran-async registers the fixtures ``sonoran_emulator`` (a running emulator with
its defaults: community "demo", key "demo-key", plan PRO) and ``sonoran_emulator_factory``
(starts emulators with any settings, stops them after the test). They need pytest-asyncio;
under its default strict mode, async tests are marked, as below (or set
``asyncio_mode = "auto"`` in your pytest configuration and drop the mark).

    pip install 'sonoran-async[testing]'
    pytest examples/test_with_fixtures.py
"""

from __future__ import annotations

import asyncio

import pytest

from sonoran_async import Call911, EndpointNotEnabledError, NewDispatch, SonoranClient
from sonoran_async.emulator import Emulator
from sonoran_async.testing import EmulatorFactory

pytestmark = pytest.mark.asyncio


async def report_fire(cad: SonoranClient, where: str) -> int:
    """The code under test: what a game-server bridge does when a player reports a fire."""
    return await cad.call_911(Call911(caller="In-game", location=where, description="Fire"))


async def test_a_report_creates_one_call(sonoran_emulator: Emulator) -> None:
    async with SonoranClient("demo", "demo-key", base_url=sonoran_emulator.url) as cad:
        call_id = await report_fire(cad, "Route 68")
    assert sonoran_emulator.state.emergency_calls[call_id]["location"] == "Route 68"
    assert len(sonoran_emulator.state.emergency_calls) == 1


async def test_concurrent_reports_share_one_request(sonoran_emulator: Emulator) -> None:
    async with SonoranClient("demo", "demo-key", base_url=sonoran_emulator.url) as cad:
        ids = await asyncio.gather(*(report_fire(cad, f"Block {n}") for n in range(5)))
    assert len(set(ids)) == 5
    assert sonoran_emulator.stats.requests == 1


async def test_a_server_applying_only_the_first_object(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emulator = await sonoran_emulator_factory(multi="first_only")
    async with SonoranClient("demo", "demo-key", base_url=emulator.url) as cad:
        ids = await asyncio.gather(*(report_fire(cad, f"Block {n}") for n in range(5)))
    # The client finds out and still creates every call exactly once.
    assert sorted(emulator.state.emergency_calls) == sorted(ids)


async def test_an_endpoint_above_the_plan_is_refused(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emulator = await sonoran_emulator_factory(plan="FREE")
    async with SonoranClient("demo", "demo-key", base_url=emulator.url) as cad:
        with pytest.raises(EndpointNotEnabledError):
            await cad.new_dispatch(NewDispatch(title="Traffic stop", priority=2))
    assert not emulator.state.dispatch_calls
