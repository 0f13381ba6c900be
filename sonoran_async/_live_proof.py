"""What proves that a lookup, a unit read or a unit command succeeded, in v1 and v2.

Like `_proof.py`: each function takes the object's reply part (a text line, or the JSON
document) and its request, and returns the result or raises `NoProof`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from ._lookups import Identifiers, LookupResult, Record, identifiers, lookup_result, records
from ._proof import NoProof
from ._units import UnitCommand, UnitPanicUpdate, UnitStatusUpdate, units
from .events._units import Unit

_T = TypeVar("_T")

_STATUS_UPDATED = re.compile(r"UNIT\s+STATUS\s+UPDATED", re.IGNORECASE)
_PANIC_UPDATED = re.compile(r"UNIT\s+PANIC\s+UPDATED", re.IGNORECASE)


def _shown(document: Any) -> str:
    text = repr(document)
    return text[:120] + ("..." if len(text) > 120 else "")


def _read(convert: Callable[[Any], _T], document: Any) -> _T:
    """A malformed part (say `records` not an array) proves nothing; it must not raise."""
    try:
        return convert(document)
    except ValueError:
        raise NoProof(f"malformed: {_shown(document)}") from None


def lookup(document: Any, _: Any) -> LookupResult:
    """LOOKUP, LOOKUP_INT (both versions): an object with `records`, or an array."""
    if type(document) not in (dict, list):
        raise NoProof(f"no lookup result: {_shown(document)}")
    if type(document) is dict and not {"records", "characters"} & document.keys():
        raise NoProof(f"no records: {_shown(document)}")
    return _read(lookup_result, document)


def characters(document: Any, _: Any) -> tuple[Record, ...]:
    """GET_CHARACTERS: an array of character records."""
    if type(document) is not list:
        raise NoProof(f"no array of characters: {_shown(document)}")
    return records(document)


def account_identifiers(document: Any, _: Any) -> Identifiers:
    """GET_IDENTIFIERS: `{selectedIdent, identifiers: [...]}` (v2: PascalCase)."""
    if type(document) is not dict or not {"identifiers", "Identifiers"} & document.keys():
        raise NoProof(f"no identifiers: {_shown(document)}")
    return _read(identifiers, document)


def active_units(document: Any, _: Any) -> tuple[Unit, ...]:
    """GET_ACTIVE_UNITS: an array of units."""
    if type(document) is not list and not (type(document) is dict and "id" in document):
        raise NoProof(f"no array of units: {_shown(document)}")
    return units(document)


def unit_status_updated(line: str, _: Any) -> UnitCommand:
    """UNIT_STATUS (v1): `UNIT STATUS UPDATED`."""
    if _STATUS_UPDATED.fullmatch(line) is None:
        raise NoProof(line)
    return UnitCommand.SENT


def unit_panic_updated(line: str, _: Any) -> UnitCommand:
    """UNIT_PANIC (v1): `UNIT PANIC UPDATED`."""
    if _PANIC_UPDATED.fullmatch(line) is None:
        raise NoProof(line)
    return UnitCommand.SENT


def _updated(document: Any) -> dict[str, Any]:
    if type(document) is not dict or type(document.get("updated")) is not int:
        raise NoProof(f"no updated count: {_shown(document)}")
    return document


def v2_status_set(document: Any, request: UnitStatusUpdate) -> UnitCommand:
    """v2 `{"updated": n, "status": "ENROUTE"}`: the status named (or its number) must be
    the one sent."""
    echoed = _updated(document).get("status")
    if echoed != request.status.name and echoed != int(request.status):
        raise NoProof(f"it does not name status {request.status.name}: {_shown(document)}")
    return UnitCommand.SENT


def v2_panic_set(document: Any, request: UnitPanicUpdate) -> UnitCommand:
    """v2 `{"updated": n, "isPanic": true}`, naming the state sent."""
    if _updated(document).get("isPanic") is not request.is_panic:
        raise NoProof(f"it does not name isPanic={request.is_panic}: {_shown(document)}")
    return UnitCommand.SENT


def characters_v2(document: Any, _: Any) -> tuple[Record, ...]:
    """v2 GET_CHARACTERS: an array (one record object where the OpenAPI example prints one)."""
    if type(document) is dict and ("id" in document or "sections" in document):
        return records([document])
    return characters(document, _)
