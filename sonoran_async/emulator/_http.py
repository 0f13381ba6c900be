"""HTTP-level pieces of the emulator: reply texts and responses, the rate limit, resets."""

from __future__ import annotations

import contextlib
import math
import socket
import struct
import time
import zlib
from typing import Final

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

INVALID_REQUEST_TYPE: Final = "INVALID REQUEST TYPE"
INVALID_COMMUNITY_ID: Final = "INVALID COMMUNITY ID"
API_NOT_ENABLED: Final = "API IS NOT ENABLED FOR THIS COMMUNITY"
INVALID_API_KEY: Final = "INVALID API KEY"
ENDPOINT_NOT_ENABLED: Final = "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"
BACKEND_REACHED: Final = "Backend Service Reached"
RATE_LIMITED_BODY: Final = b'{"message":"API rate limit exceeded"}'
BODY_TOO_LARGE: Final = "ERROR: Request body too large"
BAD_ENCODING: Final = "ERROR: Invalid Content-Encoding: the body could not be decoded"
UNSUPPORTED_ENCODING: Final = "ERROR: Unsupported Content-Encoding: use gzip, deflate or identity"
INVALID_JSON: Final = "ERROR: Invalid JSON body"
BODY_NOT_OBJECT: Final = "ERROR: Request body must be a JSON object"
DATA_MISSING: Final = "ERROR: Missing field data: must be an array of request objects"
DATA_NOT_ARRAY: Final = "ERROR: Invalid field data: must be an array of request objects"
DATA_EMPTY: Final = "ERROR: Invalid field data: must contain at least one request object"
TOO_DEEP: Final = "ERROR: Request body nested too deeply"
STRING_TOO_LONG: Final = "ERROR: A string in the request body is too long"


class BodyError(Exception):
    """A body that cannot be read; `status` and `text` are the reply."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


#: zlib window bits per content coding (aiohttp's own decoding is off: see `create_app`).
_WBITS: Final = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}


def decode_content(raw: bytes, content_encoding: str, max_bytes: int) -> bytes:
    """Undo `Content-Encoding` (gzip, deflate, identity; several in the order listed),
    never inflating past `max_bytes`, so a compressed bomb is a 413 and not memory."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    for coding in reversed(codings):
        if coding in ("", "identity"):
            continue
        wbits = _WBITS.get(coding)
        if wbits is None:
            raise BodyError(415, UNSUPPORTED_ENCODING)
        try:
            raw = _inflate(raw, wbits, max_bytes)
        except zlib.error:
            if coding != "deflate":
                raise BodyError(400, BAD_ENCODING) from None
            try:  # "deflate" without its zlib header, as some clients send it
                raw = _inflate(raw, -zlib.MAX_WBITS, max_bytes)
            except zlib.error:
                raise BodyError(400, BAD_ENCODING) from None
    return raw


def _inflate(raw: bytes, wbits: int, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(raw, max_bytes + 1)
    if len(out) > max_bytes:
        raise BodyError(413, BODY_TOO_LARGE)
    if not inflater.eof:
        raise zlib.error("truncated stream")
    return out


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The request body, its Content-Encoding undone, at most `max_bytes` either way."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyError(413, BODY_TOO_LARGE) from None
    except RequestPayloadError:  # a broken chunked transfer
        raise BodyError(400, BAD_ENCODING) from None
    encoding = request.headers.get("Content-Encoding", "")
    return decode_content(raw, encoding, max_bytes) if encoding else raw


def text(status: int, body: str) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/plain")


def json_reply(body: bytes) -> web.Response:
    return web.Response(status=200, body=body, content_type="application/json")


def rate_limited(retry_after: float) -> web.Response:
    seconds = max(1, math.ceil(retry_after))
    return web.Response(
        status=429,
        body=RATE_LIMITED_BODY,
        content_type="application/json",
        headers={"Retry-After": str(seconds)},
    )


def drop_connection(request: web.BaseRequest) -> web.Response:
    """Reset the TCP connection (RST, no reply); the returned response is never sent."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError, TypeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


class TokenBucket:
    """Requests per second with a burst of max(1, rate)."""

    def __init__(self, rate: float) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"rate_limit must be a positive number of requests/s, got {rate!r}")
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> float:
        """Take a token; return 0 if granted, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate
