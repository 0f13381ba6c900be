"""`/apiWsHub`: Sonoran CAD's websocket API (SignalR JSON hub protocol, no negotiation).

What the emulator implements, from `reference/v1/websocket-api/`:

- the handshake `{"protocol":"json","version":1}` -> `{}`; pings both ways; a socket silent
  for `client_timeout` is closed; a Close message closes it;
- `authenticatev2(communityId, apiKey, serverId?)` and the older `authenticate` (same
  arguments) -> `{success, error, count}` (`count`: the community's authenticated sockets);
- `unitLocation(data)` -> `{success, error, count}` (`count`: updates applied), refused with
  the documented texts: not authenticated, missing/empty, more than `max_updates` (25), sooner
  than `min_interval` (200 ms) after this socket's last accepted call, an update without a
  target or `location`. Accepted positions land in `state.units`;
- `pushEvent`: the push events of what the API changes go to every socket authenticated for
  that (community, server) and, only when there is none, to the HTTP `push_url` (`_push.py`).

Fault switches: `drop()` cuts every socket without a Close message, `silence()` makes the
open sockets stop answering and pinging, `refuse_auth` refuses every authentication,
`accepting = False` answers new sockets 503 (the HTTP API stays up).
Hub methods are matched case-insensitively, as ASP.NET Core SignalR matches them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any, Final

import orjson
from aiohttp import WSMsgType, web

from . import _http
from ._core import EmulatorCore
from ._fields import WireObject
from ._hub_wire import (
    HANDSHAKE_OK,
    INVALID_SERVER_ID,
    INVALID_TARGET,
    MISSING_UPDATES,
    PING,
    RS,
    TOO_FAST,
    TOO_MANY_UPDATES,
    UNAUTHENTICATED,
    HubStats,
    completion,
    decode,
    invocation,
    unit_key,
    valid_update,
)
from ._push import EVENTS
from ._state import CadState

log = logging.getLogger("sonoran_async.emulator.hub")

HUB_PATH: Final = "/apiWsHub"


class _Socket:
    """One connected client."""

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> None:
        self.ws = ws
        self._transport = transport
        self.outbox: asyncio.Queue[str] = asyncio.Queue(1000)
        self.authenticated = False
        self.community: str | None = None
        self.server_id: int | None = None
        self.last_location: float | None = None
        self.silent = False

    def send(self, text: str) -> None:
        if self.silent:
            return
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:  # a client that does not read: cut it
            log.warning("hub: a socket's outbox is full, closing it")
            self.abort()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


def event_server(state: CadState, call_id: int, obj: WireObject) -> int:
    """The server a change's push event is for."""
    server = state.server_of(call_id)
    if server is None:
        sid = obj.get("serverId")
        server = sid if type(sid) is int else 1
    return server


class Hub:
    """The websocket hub of one emulated community (`app[HUB_KEY]`, `Emulator.hub`)."""

    def __init__(
        self,
        community_id: str,
        api_key: str,
        state: CadState,
        server_ids: Callable[[], frozenset[int]],
        *,
        api_enabled: Callable[[], bool] = lambda: True,
        max_updates: int = 25,
        min_interval: float = 0.2,
        ping_interval: float = 15.0,
        client_timeout: float = 30.0,
        handshake_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.community_id = community_id
        self._key = api_key
        self.state = state
        self._server_ids = server_ids
        self._api_enabled = api_enabled
        self.max_updates = max_updates
        self.min_interval = min_interval
        self.ping_interval = ping_interval
        self.client_timeout = client_timeout
        self.handshake_timeout = handshake_timeout
        #: What the 200 ms rule is measured on (tests may set a virtual clock's).
        self.clock = clock
        #: Fault switch: every authentication answers success false.
        self.refuse_auth = False
        #: Fault switch: False answers websocket upgrades 503 (the hub is down, HTTP is not).
        self.accepting = True
        #: Send `pushEvent` payloads as JSON text instead of objects (both are documented).
        self.push_as_text = False
        self.stats = HubStats()
        self._sockets: set[_Socket] = set()

    def __repr__(self) -> str:
        return f"<Hub {HUB_PATH} sockets={len(self._sockets)}>"

    # ------------------------------------------------------------------ switches
    def drop(self) -> int:
        """Cut every open socket (no Close message); how many."""
        sockets = list(self._sockets)
        for sock in sockets:
            sock.abort()
        return len(sockets)

    def silence(self) -> int:
        """Make every open socket go silent: no replies, no pings (new sockets are not)."""
        for sock in self._sockets:
            sock.silent = True
        return len(self._sockets)

    def listening(self, server_id: int) -> int:
        """Sockets authenticated for `server_id` of this community."""
        return sum(1 for s in self._sockets if s.authenticated and s.server_id == server_id)

    # ------------------------------------------------------------------- pushes
    def push(self, event_type: str, data: Any, *, server_id: int = 1) -> int:
        """Send one push event to the sockets authenticated for `server_id`; how many."""
        payload: Any = {"key": self._key, "type": event_type, "data": data}
        if self.push_as_text:
            payload = orjson.dumps(payload).decode()
        frame = invocation("pushEvent", [payload])
        sent = 0
        for sock in self._sockets:
            if sock.authenticated and sock.server_id == server_id:
                sock.send(frame)
                sent += 1
        self.stats.pushed += sent
        return sent

    def takes(self, call_id: int, obj: WireObject) -> bool:
        """Whether a change's push event goes to a socket (then HTTP push is skipped)."""
        return self.listening(event_server(self.state, call_id, obj)) > 0

    def notify(self, kind: str, call_id: int, obj: WireObject) -> None:
        """The state listener: push the change's event to its server's sockets."""
        build = EVENTS.get(kind)
        if build is None or not self.takes(call_id, obj):
            return
        event = build(self.state, call_id, obj)
        if event is not None:
            self.push(*event, server_id=event_server(self.state, call_id, obj))

    # ---------------------------------------------------------------- the socket
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            return _http.text(503, "Service Unavailable")
        ws = web.WebSocketResponse(autoping=True, max_msg_size=1 << 20)
        await ws.prepare(request)
        sock = _Socket(ws, request.transport)
        writer = asyncio.create_task(self._write(sock))
        try:
            if await self._handshake(sock):
                self.stats.connections += 1
                self._sockets.add(sock)
                pinger = asyncio.create_task(self._ping(sock))
                try:
                    await self._read(sock)
                finally:
                    pinger.cancel()
        finally:
            self._sockets.discard(sock)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sock.outbox.join(), 1.0)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            await ws.close()
        return ws

    async def close_all(self, _app: web.Application | None = None) -> None:
        """On the application's shutdown: close every socket."""
        for sock in list(self._sockets):
            await sock.ws.close()

    async def _handshake(self, sock: _Socket) -> bool:
        try:
            msg = await sock.ws.receive(self.handshake_timeout)
        except TimeoutError:
            return False
        if msg.type is not WSMsgType.TEXT or not msg.data.endswith(RS):
            return False
        first, _, rest = msg.data.partition(RS)
        try:
            request = orjson.loads(first)
        except orjson.JSONDecodeError:
            return False
        if type(request) is not dict or request.get("protocol") != "json":
            protocol = request.get("protocol") if type(request) is dict else None
            sock.send(
                orjson.dumps({"error": f"The protocol '{protocol}' is not supported."}).decode()
                + RS
            )
            return False
        sock.send(HANDSHAKE_OK)
        if rest:
            self._frame(sock, rest)
        return True

    async def _write(self, sock: _Socket) -> None:
        while True:
            text = await sock.outbox.get()
            try:
                if not sock.silent and not sock.ws.closed:
                    await sock.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                pass
            finally:
                sock.outbox.task_done()

    async def _ping(self, sock: _Socket) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            sock.send(PING)

    async def _read(self, sock: _Socket) -> None:
        while True:
            try:
                msg = await sock.ws.receive(self.client_timeout)
            except TimeoutError:
                log.info("hub: a socket silent for %.0fs, closed", self.client_timeout)
                return
            if msg.type is not WSMsgType.TEXT:
                return  # close, error, or binary (the JSON protocol is text only)
            if not self._frame(sock, msg.data):
                return

    def _frame(self, sock: _Socket, text: str) -> bool:
        """Handle one frame's messages; False to close the socket."""
        try:
            messages = list(decode(text))
        except ValueError:
            log.info("hub: a frame that is not the JSON hub protocol, closing")
            return False
        for message in messages:
            kind = message.get("type")
            if kind == 7:
                return False
            if kind != 1 or sock.silent:
                continue  # pings (and streaming, which this hub does not use)
            result = self._invoke(sock, message.get("target"), message.get("arguments"))
            invocation_id = message.get("invocationId")
            if type(invocation_id) is str:
                sock.send(completion(invocation_id, *result))
        return True

    def _invoke(self, sock: _Socket, target: Any, arguments: Any) -> tuple[Any, str | None]:
        """(result, None) or (None, error) for one invocation."""
        name = target.lower() if type(target) is str else ""
        args = arguments if type(arguments) is list else []
        if name in ("authenticatev2", "authenticate") and len(args) in (2, 3):
            return self._authenticate(sock, *args), None
        if name == "unitlocation" and len(args) == 1:
            return self._unit_location(sock, args[0]), None
        return None, f"Failed to invoke '{target}' due to an error on the server."

    # ------------------------------------------------------------------ methods
    def _authenticate(
        self, sock: _Socket, community_id: Any, api_key: Any, server_id: Any = None
    ) -> dict[str, Any]:
        error: str | None = None
        if self.refuse_auth:
            error = _http.INVALID_API_KEY
        elif community_id != self.community_id:
            error = _http.INVALID_COMMUNITY_ID
        elif not self._api_enabled():
            error = _http.API_NOT_ENABLED
        elif type(api_key) is not str or not hmac.compare_digest(
            api_key.encode("utf-8", "surrogatepass"), self._key.encode("utf-8", "surrogatepass")
        ):
            error = _http.INVALID_API_KEY
        elif server_id is not None and (
            type(server_id) is not int or server_id not in self._server_ids()
        ):
            error = INVALID_SERVER_ID
        if error is not None:
            self.stats.auth_refused += 1
            return {"success": False, "error": error, "count": 0}
        sock.authenticated = True
        sock.community = self.community_id
        sock.server_id = server_id
        if server_id is not None and self.notify not in self.state.listeners:
            self.state.listeners.append(self.notify)  # from now on, changes may go to sockets
        self.stats.authenticated += 1
        count = sum(1 for s in self._sockets if s.authenticated)
        return {"success": True, "error": None, "count": count}

    def _unit_location(self, sock: _Socket, data: Any) -> dict[str, Any]:
        stats = self.stats
        now = self.clock()
        error: str | None = None
        if not sock.authenticated:
            error = UNAUTHENTICATED
        elif type(data) is not list or not data:
            error = MISSING_UPDATES
        elif len(data) > self.max_updates:
            error = TOO_MANY_UPDATES
            stats.too_many += 1
        elif sock.last_location is not None and now - sock.last_location < self.min_interval:
            error = TOO_FAST
            stats.too_fast += 1
        elif not all(valid_update(update) for update in data):
            error = INVALID_TARGET
        if error is not None:
            if error not in (TOO_FAST, TOO_MANY_UPDATES):
                stats.location_errors += 1
            return {"success": False, "error": error, "count": 0}
        if sock.last_location is not None:
            gap = now - sock.last_location
            stats.min_gap = gap if stats.min_gap is None else min(stats.min_gap, gap)
        sock.last_location = now
        for update in data:
            self.state.set_unit(unit_key(update), dict(update))
        stats.location_calls += 1
        stats.locations += len(data)
        stats.max_batch = max(stats.max_batch, len(data))
        return {"success": True, "error": None, "count": len(data)}


HUB_KEY: Final = web.AppKey("sonoran_emulator_hub", Hub)


def add_hub(app: web.Application, core: EmulatorCore) -> Hub:
    """Serve `/apiWsHub` in the emulator's application, on its core's state."""
    hub = Hub(
        core.community_id,
        core.api_key,
        core.state,
        lambda: frozenset(core.server_ids),
        api_enabled=lambda: bool(core.api_enabled),
    )
    app[HUB_KEY] = hub
    app.router.add_get(HUB_PATH, hub.handle)
    app.on_shutdown.append(hub.close_all)
    return hub
