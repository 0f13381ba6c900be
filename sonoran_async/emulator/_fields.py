"""Reading one `data` object's fields: tolerant of what real clients send, exact in errors.

Real clients send `serverId` as `"1"`, empty metaData, notes and units as `[]` (an empty Lua
table), and keys no page documents; all of that is accepted. A field that is present but
wrong raises `ObjectError` with an `ERROR: ...` text naming it.
"""

from __future__ import annotations

import re
from typing import Any, Final

WireObject = dict[str, Any]

_NUMERIC: Final = re.compile(r"-?[0-9]{1,30}")
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
ORIGINS: Final = frozenset({0, 1, 2, 3})
STATUSES: Final = frozenset({0, 1, 2})
PRIORITIES: Final = frozenset({1, 2, 3})
CALL_TYPES: Final = frozenset({0, 1, 100})
_NOTE_FIELDS: Final = ("time", "label", "type", "content")


class ObjectError(Exception):
    """An error for one data object; `text` is its reply text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class NotFound(ObjectError):
    """The object names a server or a call the CAD does not have."""


def bad(name: str, what: str) -> ObjectError:
    return ObjectError(f"ERROR: Invalid field {name}: must be {what}")


def missing(name: str) -> ObjectError:
    return ObjectError(f"ERROR: Missing required field: {name}")


def int_id(o: WireObject, name: str, default: int | None = None) -> int:
    """An id field: an integer or a numeric string ("1" and 1 both work), within 64 bits
    (a larger one, once stored, could not be written back in a GET_CALLS reply)."""
    v = o.get(name)
    if v is None:
        if default is None:
            raise missing(name)
        return default
    if type(v) is str and _NUMERIC.fullmatch(v):
        v = int(v)
    if type(v) is int and _INT64_MIN <= v <= _INT64_MAX:
        return v
    raise bad(name, "an integer")


def req_str(o: WireObject, name: str) -> str:
    v = o.get(name)
    if type(v) is str:
        return v
    if v is None:
        raise missing(name)
    raise bad(name, "a string")


def opt_str(o: WireObject, name: str, label: str | None = None) -> str | None:
    v = o.get(name)
    if v is None or type(v) is str:
        return v
    raise bad(label or name, "a string")


def opt_enum(o: WireObject, name: str, allowed: frozenset[int], what: str) -> int | None:
    v = o.get(name)
    if v is None:
        return None
    if type(v) is int and v in allowed:
        return v
    raise bad(name, what)


def opt_priority(o: WireObject) -> int | None:
    return opt_enum(o, "priority", PRIORITIES, "1, 2 or 3")


def opt_bool(o: WireObject, name: str) -> bool | None:
    v = o.get(name)
    if v is None or type(v) is bool:
        return v
    raise bad(name, "a boolean")


def opt_primary(o: WireObject) -> int | str | None:
    v = o.get("primary")
    if v is None or type(v) is int or type(v) is str:
        return v
    raise bad("primary", "an integer or a string")


def opt_meta(o: WireObject) -> dict[str, Any] | list[Any] | None:
    """metaData is free-form: any object, or `[]` (how dkjson writes an empty Lua table),
    stored as given."""
    md = o.get("metaData")
    if md is None or type(md) is dict or md == []:
        return md
    raise bad("metaData", "an object")


def opt_minutes(o: WireObject) -> int | None:
    v = o.get("deleteAfterMinutes")
    if v is None:
        return None
    if type(v) is int and v > 0:
        return v
    raise bad("deleteAfterMinutes", "a positive integer")


def opt_notes(o: WireObject) -> list[Any] | None:
    notes = o.get("notes")
    if notes is None:
        return None
    if type(notes) is not list:
        raise bad("notes", "an array of note objects")
    for i, note in enumerate(notes):
        if type(note) is not dict:
            raise bad(f"notes[{i}]", "a note object")
        for name in _NOTE_FIELDS:
            opt_str(note, name, f"notes[{i}].{name}")
    return notes


def str_list(o: WireObject, name: str) -> list[str] | None:
    values = o.get(name)
    if values is None:
        return None
    if type(values) is not list or any(type(u) is not str for u in values):
        raise bad(name, "an array of strings")
    return values


def int_list(o: WireObject, name: str) -> list[int] | None:
    values = o.get(name)
    if values is None:
        return None
    if type(values) is not list or any(type(u) is not int for u in values):
        raise bad(name, "an array of integers")
    return values
