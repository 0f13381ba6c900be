"""v2 requests built from the endpoint rows: what cannot share a request goes alone, and
is never left without an outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from sonoran_async import ClientClosedError, CloseCall, Reply, SonoranClient


class Never:
    """A transport whose requests never complete."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        self.paths.append(path)
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        return None


async def test_a_close_set_apart_fails_when_the_client_closes_mid_send() -> None:
    transport = Never()
    cad = SonoranClient(
        "c", "k", transport=transport, api_version=2, rate_limit=None, close_timeout=0.05
    )
    here = await cad.submit(CloseCall(call_id=1))
    elsewhere = await cad.submit(CloseCall(call_id=2, server_id=2))  # another path
    await cad.aclose()
    assert transport.paths == ["v2/emergency/servers/1/dispatch-calls/close"]
    assert here.done() and elsewhere.done()  # nobody is left waiting
    with pytest.raises(ClientClosedError, match="before the request was applied"):
        elsewhere.result()
    with pytest.raises(ClientClosedError, match="in flight"):
        here.result()
