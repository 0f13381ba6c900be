"""`SonoranRealtime`: one authenticated websocket session to Sonoran CAD's `/apiWsHub`."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from types import TracebackType
from typing import Any, Final, Self

import aiohttp
import orjson

from .._bridge import LocationUpdate, UnitLocation
from .._clock import SYSTEM_CLOCK, Clock
from .._transport import check_base_url
from ..events import EventReceiver
from . import _protocol as p
from ._connection import ConnectionLost, HubConnection, InvocationError, Redacted
from ._fallback import HttpFallback, run_fallback
from ._models import (
    ConnectionState,
    LiveLocation,
    RealtimeAuthError,
    RealtimeClosedError,
    RealtimeError,
    RealtimeStats,
)
from ._queue import LocationQueue, Waiting
from ._sending import MAX_UPDATES, MIN_INTERVAL, LocationSender

log = logging.getLogger("sonoran_async.realtime")

DEFAULT_BASE_URL: Final = "https://api.sonorancad.com"
HUB_PATH: Final = "/apiWsHub"


class _Key:
    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<api key>"


class SonoranRealtime:
    """An authenticated websocket session: unit locations out, push events in.

    ```python
    async with SonoranRealtime(community_id, api_key, server_id=1, events=receiver) as rt:
        await rt.unit_location(LiveLocation(api_id="A1", location="Route 68", ...))
    ```

    - `server_id`: the server whose push events this socket receives (None: none).
    - `events`: the `EventReceiver` whose handlers get the pushed events (the same one that
      serves the HTTP fallback, so handlers are registered once); None: a new one
      (`rt.events`).
    - `interval`: seconds between `unitLocation` calls (default 0.25; never below the
      hub's 0.2, and never closer than 0.2 after the previous call's completion: see
      `_sending.py`); `max_per_call`: updates per call (at most the hub's 25).
    - `ping_interval`, `server_timeout`: SignalR's keep-alive (15 s) and the silence after
      which the connection is given up (30 s); `connect_timeout`, `invoke_timeout`.
    - `backoff`, `backoff_cap`: reconnect delays (`backoff * 2**n`, capped, with jitter);
      `max_outage`: after this long down the session fails (default an hour; None: never).
    - `fallback`: a `SonoranClient` to send `api_id` updates over HTTP UNIT_LOCATION while
      the socket is down (within that client's own budget). None: they wait for the socket.
    - `close_timeout`: how long `aclose()` keeps sending what is queued.
    - `clock`: what the pacing of location calls reads and sleeps on (tests: a virtual one).
    """

    def __init__(
        self,
        community_id: str,
        api_key: str,
        *,
        server_id: int | None = 1,
        base_url: str = DEFAULT_BASE_URL,
        events: EventReceiver | None = None,
        interval: float = 0.25,
        max_per_call: int = MAX_UPDATES,
        ping_interval: float = 15.0,
        server_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        invoke_timeout: float = 10.0,
        backoff: float = 0.5,
        backoff_cap: float = 30.0,
        max_outage: float | None = 3600.0,
        fallback: HttpFallback | None = None,
        close_timeout: float = 5.0,
        max_units: int = 10_000,
        session: aiohttp.ClientSession | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        key = _Key(api_key)
        del api_key  # from here on only in `key`, whose repr hides it (tracebacks' locals)
        if not isinstance(key.value, str) or not key.value:
            raise ValueError("api_key must be a non-empty string")
        if not isinstance(community_id, str) or not community_id:
            raise ValueError("community_id must be a non-empty string")
        if server_id is not None and (type(server_id) is not int or server_id < 0):
            raise ValueError(f"server_id must be an int >= 0 or None, got {server_id!r}")
        if interval < MIN_INTERVAL:
            raise ValueError(f"interval must be >= {MIN_INTERVAL} s (the hub's limit)")
        if not 1 <= max_per_call <= MAX_UPDATES:
            raise ValueError(f"max_per_call must be 1..{MAX_UPDATES} (the hub's limit)")
        if min(ping_interval, server_timeout, connect_timeout, invoke_timeout, backoff) <= 0:
            raise ValueError("timeouts, intervals and backoff must be > 0")
        if backoff_cap < backoff or close_timeout < 0 or max_units < 1:
            raise ValueError("backoff_cap >= backoff, close_timeout >= 0, max_units >= 1")
        self.url = check_base_url(base_url) + HUB_PATH
        self.community_id = community_id
        self.server_id = server_id
        self._key = key
        self.events = events if events is not None else EventReceiver(key.value)
        self._own_events = events is None
        self.interval = interval
        self.max_per_call = max_per_call
        self.ping_interval = ping_interval
        self.server_timeout = server_timeout
        self.connect_timeout = connect_timeout
        self.invoke_timeout = invoke_timeout
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.max_outage = max_outage
        self.close_timeout = close_timeout
        self.clock = clock
        self.stats = RealtimeStats()
        self._queue = LocationQueue(max_units, self.stats)
        self._fallback = fallback
        self._session = session
        self._own_session = session is None
        self._conn: HubConnection | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._sender: LocationSender | None = None
        self._last_call = float("-inf")  # when the last unitLocation call left (clock time)
        self._last_done = float("-inf")  # when its completion (or failure) arrived
        self._refusals = 0  # calls refused in a row as too fast / too many / unauthenticated
        self._closed = False
        self._error: BaseException | None = None
        self._up_since = float("-inf")  # when the current connection was made (loop time)
        self._streak = 0  # reconnect attempts of the current outage, across short-lived links

    def __repr__(self) -> str:
        if not hasattr(self, "_queue"):  # a construction refused (a traceback's locals)
            return "<SonoranRealtime (not constructed)>"
        return (
            f"<SonoranRealtime {self.url} server={self.server_id} "
            f"{self.stats.state.value} waiting={len(self._queue)}>"
        )

    @property
    def state(self) -> ConnectionState:
        return self.stats.state

    @property
    def waiting(self) -> int:
        """Units with an update waiting to be sent."""
        return len(self._queue)

    # -------------------------------------------------------------- lifecycle
    async def connect(self) -> None:
        """Connect and authenticate once: `RealtimeAuthError` when the hub refuses the key,
        `RealtimeError` when it cannot be reached. Then the session keeps itself connected."""
        if self._run_task is not None or self._closed:
            raise RuntimeError("connect() once, on a session not closed")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            conn = await self._open()
        except ConnectionLost as exc:
            error = RealtimeError(f"cannot connect to {self.url}: {exc}")
            self._set_failed(error)
            await self._close_session()
            raise error from None
        except RealtimeAuthError as exc:
            self._set_failed(exc)
            await self._close_session()
            raise
        except BaseException:  # cancelled (a caller's timeout): no session left open
            await self._close_session()
            raise
        self._run_task = asyncio.create_task(self._run(conn), name="sonoran-realtime")

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Send what is queued (for up to `close_timeout`), close the socket with a Close
        message, and fail whatever is still unsent with `RealtimeClosedError`."""
        if self._closed:
            return
        self._closed = True
        unsent = self._queue.futures() + (self._sender.in_flight if self._sender else [])
        if unsent and self._run_task is not None and self.state is ConnectionState.CONNECTED:
            await asyncio.wait(unsent, timeout=self.close_timeout)
        if self._run_task is not None:
            self._run_task.cancel()
            await asyncio.gather(self._run_task, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()
        left = self._queue.fail_all(RealtimeClosedError("the realtime session closed first"))
        if left:
            log.warning("realtime: closed with %d unit update(s) unsent", left)
        if self.stats.state is not ConnectionState.FAILED:
            self.stats.state = ConnectionState.CLOSED
        if self._own_events:
            await self.events.aclose()
        await self._close_session()

    async def _close_session(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------- locations
    async def unit_location(self, update: LiveLocation | UnitLocation) -> LocationUpdate:
        """Queue a unit's position; SENT once a `unitLocation` call carrying it succeeded,
        SUPERSEDED when a newer update of the same unit took its place first.
        `LocationRefusedError` when the hub refuses it, `RealtimeClosedError` when the
        session closes or fails first; `QueueFullError` past `max_units` waiting units."""
        if self._error is not None:
            raise RealtimeClosedError(f"the realtime session failed: {self._error}")
        if self._closed:
            raise RealtimeClosedError("the realtime session is closed")
        live = LiveLocation.of(update)
        future: asyncio.Future[LocationUpdate] = asyncio.get_running_loop().create_future()
        self._queue.put(Waiting(live, future))
        return await future

    # ------------------------------------------------------------ connection
    async def _open(self) -> HubConnection:
        assert self._session is not None
        conn = await HubConnection.open(
            self._session,
            self.url,
            self._on_invocation,
            within=self.connect_timeout,
            ping_interval=self.ping_interval,
            server_timeout=self.server_timeout,
            scrub=self._redact,
        )
        try:
            await self._authenticate(conn)
        except BaseException:
            await conn.close()
            raise
        self._up_since = asyncio.get_running_loop().time()
        self._conn = conn
        self.stats.connects += 1
        self.stats.state = ConnectionState.CONNECTED
        return conn

    async def _authenticate(self, conn: HubConnection) -> None:
        invocation_id = conn.next_id()
        arguments: list[Any] = [self.community_id, self._key.value]
        if self.server_id is not None:
            arguments.append(self.server_id)
        frame = Redacted(p.invocation("authenticatev2", arguments, invocation_id))
        del arguments
        try:
            reply = await conn.invoke_redacted(
                "authenticatev2", frame, invocation_id, self.invoke_timeout
            )
        except InvocationError as exc:
            raise RealtimeAuthError(self._redact(str(exc))) from None
        if type(reply) is not dict or reply.get("success") is not True:
            error = reply.get("error") if type(reply) is dict else None
            raise RealtimeAuthError(self._redact(str(error or "unknown error")))
        log.debug("realtime: authenticated (server %s)", self.server_id)

    def _redact(self, text: str) -> str:
        return text.replace(self._key.value, "<api key>") if self._key.value in text else text

    def _set_failed(self, error: BaseException) -> None:
        self._error = error
        self.stats.state = ConnectionState.FAILED
        self.stats.last_error = str(error)

    async def _run(self, conn: HubConnection) -> None:
        """Send over `conn` until it is lost, then reconnect; until closed or failed."""
        try:
            while True:
                self._sender = LocationSender(self, conn)
                lost = await self._sender.run()
                self._sender = None
                await conn.close()  # its reader and pinger stop, the socket closes
                if self._closed:
                    return
                conn = await self._reconnect(lost)
        except (RealtimeError, RealtimeAuthError) as exc:
            self._set_failed(exc)
            log.error("realtime: session failed: %s", exc)
            self._queue.fail_all(exc)
        except Exception as exc:  # a bug of ours: fail loudly, never leave callers waiting
            error = RealtimeError(f"the realtime session broke: {type(exc).__name__}")
            self._set_failed(error)
            log.exception("realtime: session failed")
            self._queue.fail_all(error)

    async def _reconnect(self, lost: ConnectionLost) -> HubConnection:
        """Reconnect with capped exponential backoff and jitter: one WARNING per outage.
        Authentication refused ends it (never retried); so does `max_outage`."""
        stats = self.stats
        loop = asyncio.get_running_loop()
        # A link lost within `backoff_cap` of being made continues the outage before it (its
        # backoff too): a hub that accepts and then drops us at once is not hammered.
        first = self._streak if loop.time() - self._up_since < self.backoff_cap else 0
        stats.last_error = str(lost)
        stats.state = ConnectionState.RECONNECTING
        if first == 0:
            stats.outages += 1
            log.warning("realtime: connection lost (%s); reconnecting", lost)
        else:
            log.debug("realtime: connection lost again at once (%s); backing off", lost)
        fallback = (
            asyncio.create_task(run_fallback(self._fallback, self._queue, stats))
            if self._fallback is not None
            else None
        )
        started = loop.time()
        try:
            for attempt in itertools.count(first):
                # 2**attempt capped: with max_outage=None attempts go on for ever, and a
                # float past 2**1023 would overflow (and end this loop) after ~6 hours.
                growth = 2.0 ** min(attempt, 60)
                delay = 0.0 if attempt == 0 else min(self.backoff_cap, self.backoff * growth)
                delay *= random.uniform(0.5, 1.0)
                if self.max_outage is not None and loop.time() + delay - started > self.max_outage:
                    break
                await asyncio.sleep(delay)
                try:
                    conn = await self._open()
                except ConnectionLost as exc:
                    stats.last_error = str(exc)
                    log.debug("realtime: reconnect attempt %d failed: %s", attempt + 1, exc)
                    continue
                self._streak = attempt + 1
                stats.reconnects += 1
                log.info("realtime: reconnected after %d attempt(s)", attempt + 1 - first)
                return conn
        finally:
            if fallback is not None:
                fallback.cancel()
                await asyncio.gather(fallback, return_exceptions=True)
        raise RealtimeError(f"down for over {self.max_outage:g}s: {stats.last_error}")

    # ---------------------------------------------------------------- events
    def _on_invocation(self, target: str, arguments: list[Any]) -> None:
        """The hub's invocations: `pushEvent(payload)`, payload an object or JSON text."""
        if target.lower() != "pushevent" or not arguments:
            log.debug("realtime: ignored invocation of %s", target)
            return
        payload = arguments[0]
        if type(payload) is str:
            try:
                payload = orjson.loads(payload)
            except orjson.JSONDecodeError:
                payload = None
        event_type = payload.get("type") if type(payload) is dict else None
        if type(event_type) is not str or not event_type.strip():
            self.stats.malformed_pushes += 1
            log.info("realtime: a pushEvent that is no event, ignored")
            return
        self.stats.pushes += 1
        self.events.dispatch(event_type, payload.get("data"))
