"""The opt-in GET_CALLS snapshot cache, in both versions."""

from __future__ import annotations

import pytest

from sonoran_async import Call911, CallType

from ..virtual_clock import VirtualClock
from .conftest import Both

VERSIONS = pytest.mark.parametrize("api_version", [1, 2])


def get_calls_requests(both: Both, api_version: int) -> int:
    if api_version == 2:
        return both.api.requests["getCalls"]
    return both.core.stats.per_type.get("GET_CALLS", 0)


@VERSIONS
async def test_identical_queries_served_from_a_young_snapshot(both: Both, api_version: int) -> None:
    clock = VirtualClock()
    async with both.client(api_version, calls_cache_max_age=5.0, clock=clock) as cad:
        first = await cad.get_calls()
        clock.now += 4.9
        again = await cad.get_calls()
        other = await cad.get_calls(call_type=CallType.EMERGENCY)  # another query
        fetched = get_calls_requests(both, api_version)
        clock.now += 0.2
        await cad.get_calls()  # older than max_age now
    assert again is first
    assert other is not first
    assert fetched == 2
    assert get_calls_requests(both, api_version) == 3


@VERSIONS
async def test_a_change_of_ours_empties_the_cache(both: Both, api_version: int) -> None:
    async with both.client(api_version, calls_cache_max_age=60.0, clock=VirtualClock()) as cad:
        before = await cad.get_calls()
        call_id = await cad.call_911(Call911(caller="A", location="B"))
        after = await cad.get_calls()
    assert before.emergency_calls == ()
    assert [c.call_id for c in after.emergency_calls] == [call_id]


@VERSIONS
async def test_off_by_default(both: Both, api_version: int) -> None:
    async with both.client(api_version) as cad:
        await cad.get_calls()
        await cad.get_calls()
    assert get_calls_requests(both, api_version) == 2


def test_max_age_must_be_positive(both: Both) -> None:
    with pytest.raises(ValueError, match="calls_cache_max_age"):
        both.client(2, calls_cache_max_age=0)
