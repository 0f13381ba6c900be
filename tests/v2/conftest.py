"""An emulator serving v1 and v2 on one state (what `create_app` builds)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from sonoran_async import RetryPolicy, SonoranClient
from sonoran_async.emulator import CORE_KEY, EmulatorCore, create_app
from sonoran_async.emulator._v2 import V2_KEY, V2Api

FAST_RETRY = RetryPolicy(base_delay=0.005, max_delay=0.02)


class Both:
    """A running emulator app with v2 routes: its core, its v2 API and its URL."""

    def __init__(self, server: TestServer, core: EmulatorCore, api: V2Api) -> None:
        self.server = server
        self.core = core
        self.api = api
        self.url = str(server.make_url("")).rstrip("/")

    def client(self, api_version: int, **overrides: Any) -> SonoranClient:
        settings: dict[str, Any] = {
            "base_url": self.url,
            "rate_limit": None,
            "retry": FAST_RETRY,
            "api_version": api_version,
        }
        settings.update(overrides)
        return SonoranClient("demo", "demo-key", **settings)


async def start(**settings: Any) -> tuple[TestServer, EmulatorCore, V2Api]:
    limits = settings.pop("v2_limits", None)
    app = create_app("demo", "demo-key", v2_limits=limits, **settings)
    core = app[CORE_KEY]
    api = app[V2_KEY]
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server, core, api


@pytest.fixture
async def both() -> AsyncIterator[Both]:
    server, core, api = await start()
    try:
        yield Both(server, core, api)
    finally:
        await server.close()
