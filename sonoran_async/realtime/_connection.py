"""One websocket connection to the hub: handshake, invocations with completions, the
server's invocations, pings both ways, the server timeout, the Close message.

Anything that ends the connection (the socket closing, a Close message, `server_timeout` of
silence, an invocation unanswered for its timeout, a protocol violation) resolves `lost`
with a `ConnectionLost` saying why, fails the invocations still waiting with it, and stops
the reader and the pinger. Nothing here retries: the session decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from . import _protocol as p

log = logging.getLogger("sonoran_async.realtime")

OnInvocation = Callable[[str, list[Any]], None]
Scrub = Callable[[str], str]

#: The most text kept while a message waits for its record separator (a message may be
#: split across websocket messages; the hub's largest is far below this).
MAX_PARTIAL = 1 << 22


def _unscrubbed(text: str) -> str:
    return text


class ConnectionLost(Exception):
    """The connection ended; the text says why (never a key)."""


class InvocationError(Exception):
    """A completion carried `error` (the hub method failed)."""


class Redacted(str):
    """A frame that carries the API key: its repr never shows it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<frame with api key, redacted>"


class HubConnection:
    """An open, handshaken connection. Create with `await HubConnection.open(...)`."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        on_invocation: OnInvocation,
        *,
        ping_interval: float,
        server_timeout: float,
        scrub: Scrub = _unscrubbed,
    ) -> None:
        self._ws = ws
        self._scrub = scrub
        self._partial = ""  # the start of a message whose record separator is still to come
        self._on_invocation = on_invocation
        self._ping_interval = ping_interval
        self._server_timeout = server_timeout
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[Any]] = {}
        self.lost: asyncio.Future[ConnectionLost] = asyncio.get_running_loop().create_future()
        self._tasks: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        state = "lost" if self.lost.done() else "open"
        return f"<HubConnection {state} waiting={len(self._waiting)}>"

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        on_invocation: OnInvocation,
        *,
        within: float,
        ping_interval: float,
        server_timeout: float,
        scrub: Scrub = _unscrubbed,
    ) -> HubConnection:
        """Connect (no negotiation: straight to the websocket) and shake hands, `within`
        seconds; ConnectionLost if either fails. `scrub` cleans every text the server
        sent before it goes into an error or a log line (the session: hides the key)."""
        try:
            async with asyncio.timeout(within):
                ws = await session.ws_connect(url, autoping=True, max_msg_size=1 << 22)
                try:
                    await ws.send_str(p.HANDSHAKE)
                    reply = ""
                    while p.RS not in reply:  # the reply may come in pieces
                        msg = await ws.receive()
                        if msg.type is not aiohttp.WSMsgType.TEXT:
                            raise ConnectionLost(f"handshake answered with {msg.type.name}")
                        reply += msg.data
                        if len(reply) > MAX_PARTIAL:
                            raise p.ProtocolViolation("a handshake reply with no end")
                    error = p.handshake_error(reply)
                    if error is not None:
                        raise ConnectionLost(scrub(f"handshake refused: {error}"))
                except BaseException:
                    await ws.close()
                    raise
        except TimeoutError:
            raise ConnectionLost(f"no connection within {within:g}s") from None
        except (aiohttp.ClientError, OSError, p.ProtocolViolation) as exc:
            raise ConnectionLost(f"cannot connect: {type(exc).__name__}: {exc}") from None
        conn = cls(
            ws,
            on_invocation,
            ping_interval=ping_interval,
            server_timeout=server_timeout,
            scrub=scrub,
        )
        rest = p.after_handshake(reply)
        if rest:
            conn._frame(rest)
        conn._tasks = [asyncio.create_task(conn._read()), asyncio.create_task(conn._ping())]
        log.debug("realtime: connected to %s", url)
        return conn

    async def invoke(self, target: str, arguments: list[Any], within: float) -> Any:
        """Call a hub method and return its completion's result; InvocationError when the
        completion carries an error, ConnectionLost when the connection ends first or no
        completion comes `within` seconds (the connection is then given up)."""
        invocation_id = str(next(self._ids))
        frame = p.invocation(target, arguments, invocation_id)
        return await self._invoke(target, invocation_id, frame, within)

    async def invoke_redacted(
        self, target: str, frame: Redacted, invocation_id: str, within: float
    ) -> Any:
        """`invoke` for a frame built by the caller (the one carrying the key)."""
        return await self._invoke(target, invocation_id, frame, within)

    def next_id(self) -> str:
        return str(next(self._ids))

    async def _invoke(self, target: str, invocation_id: str, frame: str, within: float) -> Any:
        if self.lost.done():
            raise self.lost.result()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[invocation_id] = future
        try:
            await self._send(frame)
            log.debug("realtime: invoke %s #%s", target, invocation_id)
            done, _ = await asyncio.wait(
                {future, self.lost}, timeout=within, return_when=asyncio.FIRST_COMPLETED
            )
            if future in done:
                return future.result()
            if not self.lost.done():
                self._lose(f"no completion for {target} within {within:g}s")
            raise self.lost.result()
        finally:
            self._waiting.pop(invocation_id, None)

    async def close(self) -> None:
        """Send a Close message and close the socket (idempotent)."""
        if not self._ws.closed and not self.lost.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.send_str(p.close()), 1.0)
        self._lose("closed by us")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), 1.0)

    # ---------------------------------------------------------------- inside
    def _lose(self, why: str) -> None:
        if self.lost.done():
            return
        error = ConnectionLost(self._scrub(why))
        self.lost.set_result(error)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(error)
        log.debug("realtime: connection ended: %s", error)

    async def _send(self, frame: str) -> None:
        try:
            await self._ws.send_str(frame)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self._lose(f"send failed: {type(exc).__name__}")
            raise self.lost.result() from None

    async def _ping(self) -> None:
        with contextlib.suppress(ConnectionLost):
            while not self.lost.done():
                await asyncio.sleep(self._ping_interval)
                await self._send(p.PING)

    async def _read(self) -> None:
        ws = self._ws
        while not self.lost.done():
            try:
                msg = await ws.receive(self._server_timeout)
            except TimeoutError:
                self._lose(f"server silent for {self._server_timeout:g}s")
                break
            if msg.type is aiohttp.WSMsgType.TEXT:
                self._frame(msg.data)
            elif msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                self._lose("socket closed by the server")
            elif msg.type is aiohttp.WSMsgType.ERROR:
                self._lose(f"socket error: {type(msg.data).__name__}")
            else:
                self._lose(f"unexpected {msg.type.name} frame")
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()

    def _frame(self, text: str) -> None:
        text = self._partial + text
        end = text.rfind(p.RS) + 1  # what follows the last separator waits for its end
        self._partial = text[end:]
        if len(self._partial) > MAX_PARTIAL:
            self._lose("protocol violation: a message with no end")
            return
        try:
            messages = list(p.decode(text[:end])) if end else []
        except p.ProtocolViolation as exc:
            self._lose(f"protocol violation: {exc}")
            return
        for message in messages:
            kind = message.get("type")
            if kind == p.MessageType.COMPLETION:
                future = self._waiting.get(str(message.get("invocationId")))
                if future is not None and not future.done():
                    if message.get("error") is not None:
                        text = self._scrub(str(message["error"]))
                        future.set_exception(InvocationError(text))
                    else:
                        future.set_result(message.get("result"))
            elif kind == p.MessageType.INVOCATION:
                target, arguments = message.get("target"), message.get("arguments")
                if type(target) is str and type(arguments) is list:
                    self._on_invocation(target, arguments)
            elif kind == p.MessageType.CLOSE:
                error = message.get("error")
                self._lose("server sent Close" + (f": {error}" if error else ""))
