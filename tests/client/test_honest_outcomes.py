"""Issue #21 (round three): one regression test per item of the client's honesty fixes.

Each test failed on the code before its fix; the item number is in the test's name.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from sonoran_async import ApiError, Call911, Reply, SonoranClient
from sonoran_async.emulator import Emulator

from .conftest import FAST_RETRY


async def test_item6_a_short_key_never_rewrites_reply_data() -> None:
    """With key `k`, `sonoranAsyncToken` in a snapshot must stay what the server sent."""
    async with Emulator(api_key="k", multi="first_only") as emu:
        async with SonoranClient(
            "demo", "k", base_url=emu.url, rate_limit=None, retry=FAST_RETRY
        ) as cad:
            outcomes = await asyncio.gather(
                *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(20)),
                return_exceptions=True,
            )
        made = Counter(o["caller"] for k, _, o in emu.state.log if k == "CALL_911")
    assert max(made.values()) == 1 and len(made) == 20
    assert all(isinstance(o, int) for o in outcomes)


class _EchoKey:
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def post(self, path: str, body: bytes) -> Reply:
        return Reply(400, self.body)

    async def aclose(self) -> None:
        return None


async def test_item6_the_key_is_still_cut_out_of_error_texts() -> None:
    key = "SECRET-KEY-6"
    server = _EchoKey(f"ERROR: bad key {key}".encode())
    async with SonoranClient("c", key, transport=server, rate_limit=None) as cad:
        try:
            await cad.remove_911(5)
        except ApiError as exc:
            error = exc
    assert key not in str(error) and key not in error.text and "***" in error.text
