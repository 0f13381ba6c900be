"""``Emulator``: the emulated API served on a real loopback socket."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Unpack

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from ._app import CORE_KEY, create_app
from ._core import EmulatorCore, EmulatorSettings, MultiMode, check_multi
from ._faults import Faults
from ._hub import HUB_KEY, Hub
from ._state import CadState, EmulatorStats

ACCESS_LOG = logging.getLogger("sonoran_async.emulator.access")


class AccessLogger(AbstractAccessLogger):
    """One INFO line per request: client, method, path (no query), status, bytes, time.
    Nothing from the body or the headers, so never a key."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %d %d %.1fms",
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000.0,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


class Emulator:
    """A local Sonoran CAD emergency API server, v1 and v2 (aiohttp.web on a real socket).

    ``async with Emulator() as emu:`` starts it; ``emu.url`` is its base URL (no trailing
    slash), ``emu.state`` the CAD's calls, ``emu.stats`` its counters. ``port=0`` picks a
    free port. ``access_log=True`` logs one INFO line per request to
    ``sonoran_async.emulator.access``. ``push_url``: push the events of what the API
    changes there (EVENT_911, ...), as Sonoran CAD pushes them to a game server.
    """

    def __init__(
        self,
        community_id: str = "demo",
        api_key: str = "demo-key",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        v2_limits: Mapping[str, float] | None = None,
        access_log: bool = False,
        push_url: str | None = None,
        **settings: Unpack[EmulatorSettings],
    ) -> None:
        self.app = create_app(
            community_id, api_key, v2_limits=v2_limits, push_url=push_url, **settings
        )
        self.core: EmulatorCore = self.app[CORE_KEY]
        self.host = host
        self.port = port
        self.access_log = access_log
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"<Emulator {self._url or 'stopped'} community={self.core.community_id!r}>"

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        runner = web.AppRunner(
            self.app,
            access_log=ACCESS_LOG if self.access_log else None,
            access_log_class=AccessLogger,
            handle_signals=False,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        self.port = port
        host = self.host if ":" not in self.host else f"[{self.host}]"
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -------------------------------------------------------------- access
    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("emulator not started: use 'async with' or await start()")
        return self._url

    @property
    def state(self) -> CadState:
        return self.core.state

    @property
    def stats(self) -> EmulatorStats:
        return self.core.stats

    @property
    def hub(self) -> Hub:
        """The websocket hub at `/apiWsHub` (its fault switches and counters)."""
        return self.app[HUB_KEY]

    @property
    def faults(self) -> Faults:
        return self.core.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        self.core.faults = faults if faults is not None else Faults()

    @property
    def api_enabled(self) -> bool:
        return self.core.api_enabled

    @api_enabled.setter
    def api_enabled(self, enabled: bool) -> None:
        self.core.api_enabled = enabled

    @property
    def latency(self) -> float:
        return self.core.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self.core.latency = float(seconds)

    @property
    def multi(self) -> MultiMode:
        return self.core.multi

    @multi.setter
    def multi(self, mode: MultiMode) -> None:
        check_multi(mode)
        self.core.multi = mode

    def set_rate_limit(self, rate_limit: float | None) -> None:
        """Change the requests-per-second limit (None: no limit); the bucket starts full."""
        self.core.set_rate_limit(rate_limit)

    def inject(self, *names: str) -> None:
        """Script faults, consumed one per request of either API version (before random
        faults).

        Names: "ok", "503", "500", "500_after", "reset", "reset_after", "slow", "429".
        """
        self.core.inject(*names)
