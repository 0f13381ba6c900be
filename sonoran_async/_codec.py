"""Wire encoding and decoding: one cattrs converter, orjson bytes, redaction.

Each object is encoded once, when it is queued; a batch body is the envelope prefix, the
queued objects' bytes joined by commas, and a fixed suffix. Nothing is re-encoded on
flush or on retry. The key lives only in the envelope prefix; every body that holds it is
a `RequestBody`, whose repr hides it (error trackers capture frame locals by repr).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._enums import LenientIntEnum
from ._errors import ProtocolError, ValidationError
from ._replies import CallNote, CallsSnapshot, DispatchCall, EmergencyCall

_CAMEL = re.compile(r"_([a-z])")
_INTEGER = re.compile(r"-?[0-9]{1,40}")


def wire_name(field: attrs.Attribute[Any]) -> str:
    explicit = field.metadata.get("wire")
    return explicit if explicit else _CAMEL.sub(lambda m: m.group(1).upper(), field.name)


# --- structuring replies: exact, but tolerant per field --------------------------------------


def _structure_int(value: Any, _: type) -> int:
    """Integers are kept exact: 5.0 and "5" are 5, but 5.7 is not an integer."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def _structure_str(value: Any, _: type) -> str:
    """Numbers where text belongs (an int postal) are read as their text."""
    if type(value) is str:
        return value
    if type(value) in (int, float):
        return str(value)
    raise ValueError(f"expected a string, got {type(value).__name__}")


def _structure_bool(value: Any, _: type) -> bool:
    """bool("false") is True: accept only real booleans and 0/1 from the wire."""
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    raise ValueError(f"expected a boolean, got {value!r}")


def _structure_meta(value: Any, _: type) -> dict[str, Any]:
    if type(value) is dict:
        return value
    if value == []:  # an empty Lua table, as dkjson writes it
        return {}
    if type(value) is str and value.lstrip().startswith("{"):  # JSON text, as some send it
        document = orjson.loads(value)  # an error here leaves the field None
        if type(document) is dict:
            return document
    raise ValueError(f"expected an object, got {type(value).__name__}")


def _as_is(value: Any) -> Any:
    return value if type(value) is dict else dict(value)


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter()

    def unstructure_factory(cls: type[Any]) -> Any:
        # Fields whose default is None are optional on the wire: unset means not sent.
        # metaData is free-form JSON that orjson encodes as it is: no copy per object.
        overrides = {
            f.name: override(
                rename=wire_name(f),
                omit_if_default=f.default is None,
                unstruct_hook=_as_is if f.name == "meta_data" else None,
            )
            for f in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, converter, **overrides)  # type: ignore[arg-type]

    def structure_factory(cls: type[Any]) -> Any:
        overrides = {f.name: override(rename=wire_name(f)) for f in attrs.fields(cls)}
        return make_dict_structure_fn(cls, converter, **overrides)  # type: ignore[arg-type]

    converter.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    converter.register_structure_hook_factory(attrs.has, structure_factory)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook_func(lambda t: t == dict[str, Any], _structure_meta)
    # IntEnums are ints: registered by class, so the more specific hook wins.
    converter.register_structure_hook(
        LenientIntEnum, lambda value, kind: kind(_structure_int(value, int))
    )
    converter.register_structure_hook_func(
        lambda t: t in (int | str, int | str | None), _structure_primary
    )
    return converter


def _structure_primary(value: Any, _: type) -> int | str:
    return value if type(value) is str else _structure_int(value, int)


converter = _make_converter()


def structure_leniently(document: Any, cls: type[Any]) -> Any:
    """`cls` from a wire object; a field that does not fit becomes None, not an error.

    `call_id` is the exception: a call without a usable id cannot be acted on, so it fails
    the reply (ProtocolError) instead of yielding a call nobody can remove or close.
    """
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.name == "raw":
            values["raw"] = document
            continue
        value = document.get(wire_name(field))
        if value is None:
            continue
        try:
            values[field.name] = converter.structure(value, field.type)
        except Exception:
            if field.name == "call_id":
                raise ProtocolError(
                    f"GET_CALLS: a callId is not an integer: {value!r:.40}"
                ) from None
            values[field.name] = None
    try:
        return cls(**values)
    except TypeError:  # a required field (callId) is missing
        raise ProtocolError(f"GET_CALLS: a {cls.__name__} without callId") from None


def _calls(document: dict[str, Any], key: str, cls: type[Any]) -> tuple[Any, ...]:
    items = document.get(key)
    if items is None:
        return ()
    if type(items) is not list:
        raise ProtocolError(f"GET_CALLS: {key} is not an array")
    return tuple(structure_leniently(item, cls) for item in items if type(item) is dict)


def parse_snapshot(document: Any) -> CallsSnapshot:
    """A GET_CALLS reply: one snapshot object (or an array holding exactly one)."""
    if type(document) is list and len(document) == 1:
        document = document[0]
    keys = {"activeCalls", "emergencyCalls", "closedCalls"}
    if type(document) is not dict or (document and not keys & document.keys()):
        raise ProtocolError(f"GET_CALLS answered no snapshot: {repr(document)[:120]}")
    return CallsSnapshot(
        active_calls=_calls(document, "activeCalls", DispatchCall),
        emergency_calls=_calls(document, "emergencyCalls", EmergencyCall),
        closed_calls=_calls(document, "closedCalls", DispatchCall),
    )


attrs.resolve_types(DispatchCall)
attrs.resolve_types(EmergencyCall)
attrs.resolve_types(CallNote)
converter.register_structure_hook(CallNote, lambda value, _: structure_leniently(value, CallNote))


# --- encoding requests ------------------------------------------------------------------------


class RequestBody(bytes):
    """A request body: it carries the API key, so its repr never shows the bytes."""

    def __repr__(self) -> str:
        return f"<request body: {len(self)} bytes, key redacted>"


def encode_object(
    request: Any,
    default_server_id: int | None,
    token_key: str | None = None,
    unstructure: Callable[[Any], Any] | None = None,
) -> tuple[bytes, str]:
    """One `data` element as JSON bytes, and the token its metaData already carries under
    `token_key` ("" if none: a token is added only when the object shares a request).
    `unstructure` is the model's own hook, when the caller has it at hand (hot path)."""
    wire: dict[str, Any] = (unstructure or converter.unstructure)(request)
    if default_server_id is not None and "serverId" not in wire:
        wire["serverId"] = default_server_id
    token = ""
    if token_key is not None and (meta := wire.get("metaData")) and token_key in meta:
        token = str(meta[token_key])
    try:
        # orjson hands back small results inside a ~4 KiB buffer; a queued item would keep
        # all of it. Copying to an exact-size bytes costs ~0.3 us and saves ~4 KB per item.
        return bytes(memoryview(orjson.dumps(wire))), token
    except TypeError as exc:  # e.g. a metaData value JSON cannot carry, an int over 64 bits
        raise ValidationError(_unencodable_field(request, wire), f"not JSON: {exc}") from None


def _unencodable_field(request: Any, wire: dict[str, Any]) -> str:
    """The Python name of the first field orjson refuses (error path only)."""
    field: attrs.Attribute[Any]
    for field in attrs.fields(type(request)):
        name = wire_name(field)
        if name in wire:
            try:
                orjson.dumps(wire[name])
            except TypeError:
                return str(field.name)
    return "request"


def envelope_prefix(community_id: str, api_key: str, request_type: str) -> RequestBody:
    """The body up to the opening bracket of `data`; the key lives only in here."""
    head = orjson.dumps({"id": community_id, "key": api_key, "type": request_type})
    return RequestBody(head[:-1] + b',"data":[')


ENVELOPE_SUFFIX = b"]}"


def assemble(prefix: bytes, objects: list[bytes]) -> RequestBody:
    return RequestBody(b"".join((prefix, b",".join(objects), ENVELOPE_SUFFIX)))


def redacted(body: bytes) -> str:
    """A body for debug logs: the same JSON with the key replaced."""
    try:
        envelope = orjson.loads(bytes(body))
        if "key" in envelope:  # a v1 envelope (v2 bodies carry no key)
            envelope["key"] = "***"
        return orjson.dumps(envelope).decode()
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return "<unparseable body>"


_LINE = re.compile(rb"[^\r\n]+")


def reply_lines(body: bytes, limit: int | None = None) -> list[str]:
    """The non-blank lines of a text reply, stripped (CRLF and padding tolerated); at
    most `limit` of them: a huge reply is never split whole."""
    lines: list[str] = []
    for match in _LINE.finditer(body):
        line = match.group().decode("utf-8", errors="replace").strip()
        if line:
            lines.append(line)
            if limit is not None and len(lines) >= limit:
                break
    return lines


def quoted(text: str) -> str:
    """`text` for an error message: repr'd, cut at 120 characters."""
    return repr(text[:120] + ("..." if len(text) > 120 else ""))
