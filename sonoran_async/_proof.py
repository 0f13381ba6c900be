"""What proves that one object succeeded: its own reply line, read per endpoint.

Each function takes the object's reply part (a stripped text line, or the JSON document
for GET_CALLS) and the request it answers, and returns the result or raises `NoProof`.
Whitespace and case are tolerated; anything else is not proof.
"""

from __future__ import annotations

import re
from typing import Any

from ._bridge import AddCallNote, LocationUpdate, SetCallPostal, SetCallPrimary
from ._codec import parse_snapshot
from ._enums import Plan
from ._errors import ProtocolError, error_from_text
from ._models import DispatchEdit
from ._replies import CallsSnapshot


class NoProof(Exception):
    """The reply part does not prove the object's success (nor its failure)."""


_EMERGENCY_ADDED = "EMERGENCY CALL ADDED ID: "
_EMERGENCY_ADDED_RE = re.compile(r"EMERGENCY\s+CALL\s+ADDED\s+ID\s*:\s*(\d+)", re.IGNORECASE)
_DISPATCH_CREATED_RE = re.compile(r"NEW\s+DISPATCH\s+CREATED\s*-\s*ID\s*:\s*(\d+)", re.IGNORECASE)
_DISPATCH_UPDATED_RE = re.compile(r"DISPATCH\s+CALL\s+#?(\d+)\s+UPDATED", re.IGNORECASE)
#: Texts that are never an acknowledgement: what gateways, proxies, rate limiters,
#: maintenance pages and an unknown path say, and the words of Sonoran's own errors.
_NOT_AN_ACK = re.compile(
    r"backend service reached|cloudflare|ray id|gateway|unavailable|timed? ?out|error|"
    r"exception|forbidden|denied|not found|invalid|not enabled|missing|too many|"
    r"rate.?limit|limit exceeded|throttl|upstream|healthy|maintenance|try again|retry|"
    r"unauthori[sz]ed|bad request|refused|failed|failure|reset|overload|busy|"
    r"[<>{}\[\]]",
    re.IGNORECASE,
)


def emergency_call_added(line: str, _: Any) -> int:
    """CALL_911: `EMERGENCY CALL ADDED ID: <n>`, the whole line."""
    if line.startswith(_EMERGENCY_ADDED):  # the documented shape, without a regex
        digits = line[len(_EMERGENCY_ADDED) :]
        if digits.isascii() and digits.isdigit():
            return int(digits)
    match = _EMERGENCY_ADDED_RE.fullmatch(line)
    if match is None:
        raise NoProof(line)
    return int(match.group(1))


_EMERGENCY_ADDED_ALL = re.compile(rb"^EMERGENCY CALL ADDED ID: ([0-9]+)\r?$", re.MULTILINE)


def emergency_calls_added(body: bytes, count: int) -> list[int] | None:
    """The ids of a reply that is exactly `count` documented CALL_911 lines, or None.

    One regex pass over the whole body instead of a line at a time: the hot path of
    ingestion. Anything else (a blank line, an error, junk) goes line by line instead.
    """
    ids = _EMERGENCY_ADDED_ALL.findall(body)
    if len(ids) != count or body.count(b"\n") + 1 - body.endswith(b"\n") != count:
        return None
    return list(map(int, ids))


def dispatch_created(line: str, _: Any) -> int:
    """NEW_DISPATCH: `NEW DISPATCH CREATED - ID: <n>`, the whole line."""
    match = _DISPATCH_CREATED_RE.fullmatch(line)
    if match is None:
        raise NoProof(line)
    return int(match.group(1))


def dispatch_updated(line: str, edit: DispatchEdit) -> None:
    """EDIT_DISPATCH: `DISPATCH CALL <id> UPDATED`, naming the object's own call."""
    match = _DISPATCH_UPDATED_RE.fullmatch(line)
    if match is None or int(match.group(1)) != edit.call_id:
        raise NoProof(line)


def acknowledged(line: str, _: Any) -> None:
    """REMOVE_911, CLOSE_CALL: their documented texts are copy-paste slips in Sonoran's
    docs (`API ID(s) set!`, `UNITS ATTACHED`), so the real text is unknown. Every known
    error text is refused first (the reader then states it as that error); only then may
    a short plain line count, if it is none of the things gateways, proxies, rate
    limiters, maintenance pages or an unknown path answer."""
    if (
        not line
        or len(line) > 200
        or not line.isprintable()
        or error_from_text(200, line) is not None
        or _NOT_AN_ACK.search(line)
    ):
        raise NoProof(line)


def snapshot(document: Any, _: Any) -> CallsSnapshot:
    """GET_CALLS: a snapshot object."""
    try:
        return parse_snapshot(document)
    except ProtocolError as exc:
        raise NoProof(str(exc)) from None


# --- the bridge endpoints ---------------------------------------------------------------------

_UNIT_LOCATION_UPDATED = re.compile(r"UNIT\s+LOCATION\s+UPDATED", re.IGNORECASE)
_UNITS_ATTACHED = re.compile(r"UNITS?\s+ATTACHED", re.IGNORECASE)
_UNITS_DETACHED = re.compile(r"UNITS?\s+DETACHED", re.IGNORECASE)
_NOTE_ADDED = re.compile(r"NOTE\s+'.*'\s+ADDED\s+TO\s+CALL\s+#?(\d+)", re.IGNORECASE | re.DOTALL)
_POSTAL_SET = re.compile(r"CALL\s+#?(\d+)\s+POSTAL\s+SET\s+TO\s+.*", re.IGNORECASE)
_NAMES_A_CALL = re.compile(r"\bCALL\s+#?(\d+)\b", re.IGNORECASE)
_VERSION = re.compile(r"\s*(\d+)\b.*", re.DOTALL)


def unit_location_updated(line: str, _: Any) -> LocationUpdate:
    """UNIT_LOCATION: `UNIT LOCATION UPDATED` (one line proves every object sent with it)."""
    if _UNIT_LOCATION_UPDATED.fullmatch(line) is None:
        raise NoProof(line)
    return LocationUpdate.SENT


def units_attached(line: str, _: Any) -> None:
    if _UNITS_ATTACHED.fullmatch(line) is None:
        raise NoProof(line)


def units_detached(line: str, _: Any) -> None:
    if _UNITS_DETACHED.fullmatch(line) is None:
        raise NoProof(line)


def note_added(line: str, note: AddCallNote) -> None:
    """ADD_CALL_NOTE: `NOTE '<note>' added to call #<id>`, naming the note's own call."""
    match = _NOTE_ADDED.fullmatch(line)
    if match is None or int(match.group(1)) != note.call_id:
        raise NoProof(line)


def postal_set(line: str, request: SetCallPostal) -> None:
    """SET_CALL_POSTAL: `CALL <id> POSTAL SET TO <postal>`, naming its own call."""
    match = _POSTAL_SET.fullmatch(line)
    if match is None or int(match.group(1)) != request.call_id:
        raise NoProof(line)


def primary_set(line: str, request: SetCallPrimary) -> None:
    """SET_CALL_PRIMARY: its documented text is SET_CALL_POSTAL's, a copy-paste slip, so
    the real one is unknown: a plain acknowledgement, which must name no other call."""
    acknowledged(line, request)
    named = _NAMES_A_CALL.search(line)
    if named is not None and int(named.group(1)) != request.call_id:
        raise NoProof(line)


def version(line: str, _: Any) -> Plan:
    """GET_VERSION: the plan's number first (`3` or `3 - PLUS`), as Sonoran's Lua reads it."""
    match = _VERSION.fullmatch(line)
    if match is None:
        raise NoProof(line)
    return Plan(int(match.group(1)))
