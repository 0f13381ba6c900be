"""How a lane packs its queue into requests: up to max_items and max_bytes, one object per
request when packing says so, and what was cancelled while queued is never sent."""

from __future__ import annotations

import asyncio

import pytest

from sonoran_async import BatchPolicy, Call911, SonoranClient, V2Budgets

from .fakes import ScriptedServer


def client(server: ScriptedServer, *, max_items: int, max_bytes: int) -> SonoranClient:
    policy = BatchPolicy(max_in_flight=1, max_items=max_items, max_bytes=max_bytes)
    return SonoranClient("c", "k", transport=server, batch=policy, rate_limit=None)


async def test_what_does_not_fit_in_max_bytes_waits_for_the_next_request() -> None:
    server = ScriptedServer()
    async with client(server, max_items=100, max_bytes=1500) as cad:
        calls = [Call911(caller=f"c{n}", location="x" * 300) for n in range(8)]
        futures = [await cad.submit(call) for call in calls]
        assert await asyncio.gather(*futures) == list(range(1, 9))
    sizes = [len(request["data"]) for request in server.requests]
    assert sum(sizes) == 8 and len(sizes) > 1 and max(sizes) < 8


@pytest.mark.parametrize("max_items", [1, 100])
async def test_a_cancelled_queued_item_is_never_sent(max_items: int) -> None:
    server = ScriptedServer()
    async with client(server, max_items=max_items, max_bytes=1500) as cad:
        futures = [await cad.submit(Call911(caller=f"c{n}", location="x" * 300)) for n in range(4)]
        futures[1].cancel()
        await asyncio.gather(*futures, return_exceptions=True)
        assert cad.stats.pending == 0
    sent = [obj["caller"] for request in server.requests for obj in request["data"]]
    assert sent == ["c0", "c2", "c3"]


def test_v2_budgets_refuse_what_no_limit_can_be() -> None:
    with pytest.raises(ValueError, match="burst"):
        V2Budgets(burst=0)
    with pytest.raises(ValueError, match="call_911"):
        V2Budgets(call_911=0)
    with pytest.raises(AttributeError):
        _ = V2Budgets().unit_location
