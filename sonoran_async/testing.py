"""Pytest plugin: a ready Sonoran CAD emulator for your tests.

Installed with the package (``pytest11`` entry point ``sonoran_async``); needs pytest-asyncio
(``pip install 'sonoran-async[testing]'``). The fixtures work in its default strict mode,
where async tests are marked (here once per module); with ``asyncio_mode = "auto"`` in the
pytest configuration, drop the mark::

    pytestmark = pytest.mark.asyncio

    async def test_bridge(sonoran_emulator):
        client = MyBridge(base_url=sonoran_emulator.url, community_id="demo", api_key="demo-key")
        await client.report_911(...)
        assert len(sonoran_emulator.state.emergency_calls) == 1

    async def test_plus_plan(sonoran_emulator_factory):
        emu = await sonoran_emulator_factory(plan="STANDARD", multi="first_only")
        ...

``sonoran_emulator`` is a running ``Emulator()`` with its defaults (community "demo", key
"demo-key", plan PRO, server 1); ``sonoran_emulator_factory(**kwargs)`` starts an
``Emulator(**kwargs)`` and stops every emulator it started when the test ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sonoran_async.emulator import Emulator

EmulatorFactory = Callable[..., Awaitable[Emulator]]

__all__ = ["EmulatorFactory"]

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the plugin then offers no fixtures
    pytest_asyncio = None  # type: ignore[assignment]

if pytest_asyncio is not None:
    __all__ += ["sonoran_emulator", "sonoran_emulator_factory"]

    @pytest_asyncio.fixture
    async def sonoran_emulator() -> AsyncIterator[Emulator]:
        """A running emulator with default settings (see ``sonoran_async.emulator``)."""
        async with Emulator() as emulator:
            yield emulator

    @pytest_asyncio.fixture
    async def sonoran_emulator_factory() -> AsyncIterator[EmulatorFactory]:
        """An async callable ``(**kwargs) -> Emulator`` starting emulators for this test."""
        started: list[Emulator] = []

        async def start(**kwargs: Any) -> Emulator:
            emulator = Emulator(**kwargs)
            await emulator.start()
            started.append(emulator)
            return emulator

        try:
            yield start
        finally:
            for emulator in reversed(started):
                await emulator.stop()
