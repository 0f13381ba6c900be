"""The transport seam: send bytes, get status, body and the rate-limit headers back.

The client depends only on the `Transport` protocol, so tests and embedders can swap in
their own. `AiohttpTransport` is the default. Its one job beyond the POST is to say,
when the exchange fails, whether the request may have reached the server: that decides
whether a create request can be retried safely.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import attrs

from ._errors import TransportError


@attrs.frozen
class Reply:
    """What came back: status, body and the headers that say how long to wait (if any)."""

    status: int
    body: bytes = attrs.field(repr=lambda body: f"<{len(body)} bytes>")
    retry_after: str | None = None
    #: `RateLimit-Reset` and `X-RateLimit-Reset`, read after `Retry-After` on a 429.
    rate_limit_reset: str | None = None
    x_rate_limit_reset: str | None = None


class Transport(Protocol):
    """The one entry point every request goes through, both API versions (as httpx's
    `handle_async_request`)."""

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        """Send `method` to `path` (relative to the base URL, query included) with `body`
        and `headers`; raise TransportError on failure. The body (v1) or the headers (v2)
        carry the API key: never follow redirects, never log them."""
        ...

    async def aclose(self) -> None: ...


#: The name `Transport` had when it was only what `api_version=2` needed; the same now.
RequestTransport = Transport


class PostTransport(Protocol):
    """Deprecated: a transport with only `post(path, body)`, as v1 once needed."""

    async def post(self, path: str, body: bytes) -> Reply: ...

    async def aclose(self) -> None: ...


class PostOnly:
    """A `PostTransport` behind the one entry point: POSTs go to its `post()` as plain
    bytes (every JSON library reads those; orjson refuses a bytes subclass)."""

    def __init__(self, transport: PostTransport) -> None:
        self._transport = transport

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        if method != "POST" or body is None:
            raise TypeError(f"this transport has only post(); it cannot send {method} {path}")
        return await self._transport.post(path, bytes(body))

    async def aclose(self) -> None:
        await self._transport.aclose()


def check_base_url(base_url: str) -> str:
    """Refuse plain http to anything but loopback: the key travels in every body."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an http(s) URL with a host name")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("base_url must not carry a user name or password")
    if parts.query or parts.fragment or base_url.rstrip("/").endswith(("?", "#")):
        raise ValueError("base_url must not carry a query or a fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            "base_url uses plain http to a non-loopback host; the API key would travel "
            "unencrypted. Use https (plain http is allowed only for loopback emulators)."
        )
    return base_url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}
#: The largest reply read; above it the exchange fails (TransportError, request sent).
DEFAULT_MAX_REPLY_BYTES = 16 << 20


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> bytes:
    """The body, or TransportError (the request was sent) once it passes `cap` bytes."""
    length = resp.content_length
    if length is not None and length > cap:
        raise TransportError(f"the reply is over {cap} bytes ({length})", request_sent=True)
    if length is not None:  # the parser reads no more than the stated length: one read
        return await resp.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > cap:
            raise TransportError(f"the reply is over {cap} bytes; not read", request_sent=True)
        chunks.append(chunk)
    return b"".join(chunks)


#: Seconds to open a connection (TCP and TLS); at most a third of the total timeout.
_CONNECT_TIMEOUT = 10.0


class AiohttpTransport:
    """One `aiohttp.ClientSession` per client, or the caller's (which we then never close)."""

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = 30.0,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
    ) -> None:
        if max_reply_bytes < 1:
            raise ValueError("max_reply_bytes must be >= 1")
        self._max_reply = max_reply_bytes
        self._base_url = check_base_url(base_url)
        self._session = session
        self._owns_session = session is None
        # Connecting (TCP, TLS, a pool slot) has its own, shorter timeout: a request whose
        # connection never opened never left, so it may be retried whatever its type.
        connect = min(_CONNECT_TIMEOUT, timeout / 3) if timeout else _CONNECT_TIMEOUT
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect)

    def _ensure_session(self) -> aiohttp.ClientSession:
        # Created lazily so that the client may be constructed outside a running loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64), timeout=self._timeout
            )
        return self._session

    async def post(self, path: str, body: bytes) -> Reply:
        """POST a JSON body (what v1 sends)."""
        return await self.request("POST", path, body, JSON_HEADERS)

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        session = self._ensure_session()
        url = f"{self._base_url}/{path}"
        try:
            # Per request, so that the client's timeout holds for a caller's session too.
            # Never follow a redirect: it would re-send the key elsewhere. Plain bytes to
            # aiohttp: this frame keeps only `body`, whose repr hides the key.
            async with session.request(
                method,
                url,
                data=bytes(body) if body is not None else None,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                return Reply(
                    resp.status,
                    await _read_capped(resp, self._max_reply),
                    resp.headers.get("Retry-After"),
                    resp.headers.get("RateLimit-Reset"),
                    resp.headers.get("X-RateLimit-Reset"),
                )
        except TransportError:
            raise
        except aiohttp.ClientConnectorError as exc:
            # Includes connection refused, DNS failure and connect timeout: nothing sent.
            raise TransportError(
                f"could not connect: {exc.os_error or exc}", request_sent=False
            ) from None
        except aiohttp.ConnectionTimeoutError:
            raise TransportError("timed out connecting", request_sent=False) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise TransportError("timed out waiting for the reply", request_sent=True) from None
        except aiohttp.ClientError as exc:
            # Reset, disconnect, broken payload: the server may have applied the request.
            raise TransportError(
                f"connection failed: {type(exc).__name__}: {exc}", request_sent=True
            ) from None

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None
