"""Batching windows and delivery deadlines run on the client's clock: with a virtual
clock, a five-second window takes no real time."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from sonoran_async import (
    BatchPolicy,
    Call911,
    DeliveryTimeoutError,
    LocationUpdate,
    Reply,
    SonoranClient,
    UnitLocation,
)
from tests.virtual_clock import VirtualClock

from .fakes import ScriptedServer


def client(clock: VirtualClock, server: ScriptedServer, batch: BatchPolicy) -> SonoranClient:
    return SonoranClient("c", "k", transport=server, clock=clock, batch=batch, rate_limit=None)


async def test_a_max_delay_window_waits_on_the_clock() -> None:
    clock, server = VirtualClock(), ScriptedServer()
    async with client(clock, server, BatchPolicy(max_delay=5, max_items=100)) as cad:
        futures = [await cad.submit(Call911(caller=f"c{n}", location="x")) for n in range(3)]
        assert server.requests == []  # the window is open
        assert await asyncio.gather(*futures) == [1, 2, 3]
    assert clock.now == pytest.approx(5.0)
    assert [len(request["data"]) for request in server.requests] == [3]


class LocationServer(ScriptedServer):
    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        self.requests.append({"path": path})
        return Reply(200, b"UNIT LOCATION UPDATED")


async def test_unit_locations_default_window_is_virtual_too() -> None:
    clock, server = VirtualClock(), LocationServer()
    async with client(clock, server, BatchPolicy()) as cad:
        update = UnitLocation(api_id="steam:1", location="Main St")
        assert await cad.unit_location(update) is LocationUpdate.SENT
    assert clock.sleeps == [pytest.approx(5.0)]


async def test_a_delivery_timeout_fires_on_the_clock() -> None:
    clock, server = VirtualClock(), ScriptedServer()
    policy = BatchPolicy(max_delay=5, delivery_timeout=1)
    async with client(clock, server, policy) as cad:
        future = await cad.submit(Call911(caller="late", location="x"))
        with pytest.raises(DeliveryTimeoutError):
            await future
    assert server.requests == []  # it was never sent
    assert 1.0 in clock.sleeps


class PostOnlyServer:
    """A transport of the old shape: only `post(path, body)`."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def post(self, path: str, body: bytes) -> Reply:
        self.bodies.append(body)
        return Reply(200, b"EMERGENCY CALL ADDED ID: 3")

    async def aclose(self) -> None:
        return None


async def test_a_post_only_transport_still_works_deprecated() -> None:
    server = PostOnlyServer()
    with pytest.warns(DeprecationWarning, match="request"):
        cad = SonoranClient("c", "k", transport=server, rate_limit=None)
    async with cad:
        assert await cad.call_911(Call911(caller="a", location="b")) == 3
    assert type(server.bodies[0]) is bytes  # plain bytes, as before
    with pytest.raises(TypeError, match="api_version=2"):
        SonoranClient("c", "k", transport=server, api_version=2)
