"""The envelope checks, in the order the real API appears to make them, and the limits.

`read_envelope` turns a raw body into the request's `data` objects, or raises
`EnvelopeError` with the status and text to answer. Limits keep anything accepted from
breaking a later reply: nesting depth, string length, body size (checked by the server).
"""

from __future__ import annotations

from typing import Any

import attrs
import orjson

from ._fields import WireObject
from ._http import (
    API_NOT_ENABLED,
    BODY_NOT_OBJECT,
    DATA_EMPTY,
    DATA_MISSING,
    DATA_NOT_ARRAY,
    ENDPOINT_NOT_ENABLED,
    INVALID_API_KEY,
    INVALID_COMMUNITY_ID,
    INVALID_JSON,
    INVALID_REQUEST_TYPE,
    STRING_TOO_LONG,
    TOO_DEEP,
)

DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_STRING = 64 * 1024


class EnvelopeError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@attrs.frozen
class Gate:
    """What the envelope is checked against."""

    community_id: str
    api_key: str
    api_enabled: bool
    max_depth: int = DEFAULT_MAX_DEPTH
    max_string: int = DEFAULT_MAX_STRING


def read_envelope(
    raw: bytes, request_type: str, gate: Gate, *, plan_allows: bool, empty_data: bool
) -> list[WireObject]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise EnvelopeError(400, INVALID_JSON) from None
    if type(body) is not dict:
        raise EnvelopeError(400, BODY_NOT_OBJECT)
    check_limits(raw, body, gate.max_depth, gate.max_string)
    if body.get("type") != request_type:
        raise EnvelopeError(400, INVALID_REQUEST_TYPE)
    if body.get("id") != gate.community_id:
        raise EnvelopeError(400, INVALID_COMMUNITY_ID)
    if not gate.api_enabled:
        raise EnvelopeError(400, API_NOT_ENABLED)
    if body.get("key") != gate.api_key:
        raise EnvelopeError(400, INVALID_API_KEY)
    if not plan_allows:
        raise EnvelopeError(400, ENDPOINT_NOT_ENABLED)
    data = body.get("data")
    if empty_data and (data is None or data == []):
        return [{}]
    if type(data) is not list:
        raise EnvelopeError(400, DATA_MISSING if data is None else DATA_NOT_ARRAY)
    if not data:
        raise EnvelopeError(400, DATA_EMPTY)
    return data


def check_limits(raw: bytes, body: Any, max_depth: int, max_string: int) -> None:
    """Nesting depth and string length of `body` (parsed from `raw`), walked only when
    the body could break them; EnvelopeError(400) if it does."""
    could_nest = raw.count(b"[") + raw.count(b"{") > max_depth
    could_be_long = len(raw) > max_string
    if not could_nest and not could_be_long:
        return
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if type(value) is dict:
            children: Any = [*value.keys(), *value.values()]
        elif type(value) is list:
            children = value
        else:
            if type(value) is str and len(value) > max_string:
                raise EnvelopeError(400, STRING_TOO_LONG)
            continue
        if depth > max_depth:
            raise EnvelopeError(400, TOO_DEEP)
        stack.extend((child, depth + 1) for child in children)
