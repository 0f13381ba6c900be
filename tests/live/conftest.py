"""An emulator serving v1 and v2 on one state, seeded with the demo records and units."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sonoran_async.emulator import DEMO_FIXTURE, LiveState, live_of

from ..v2.conftest import Both, start


class Seeded(Both):
    @property
    def live(self) -> LiveState:
        return live_of(self.core)

    def requests(self, api_version: int) -> int:
        """Requests the emulator received in that version."""
        return self.core.stats.requests if api_version == 1 else sum(self.api.requests.values())


@pytest.fixture
async def seeded() -> AsyncIterator[Seeded]:
    server, core, api = await start()
    live_of(core).seed(DEMO_FIXTURE)
    try:
        yield Seeded(server, core, api)
    finally:
        await server.close()
