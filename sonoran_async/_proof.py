"""What proves that one object succeeded: its own reply line, read per endpoint.

Each function takes the object's reply part (a stripped text line, or the JSON document
for GET_CALLS) and the request it answers, and returns the result or raises `NoProof`.
Whitespace and case are tolerated; anything else is not proof.
"""

from __future__ import annotations

import re
from typing import Any

from ._codec import parse_snapshot
from ._errors import ProtocolError
from ._models import DispatchEdit
from ._replies import CallsSnapshot


class NoProof(Exception):
    """The reply part does not prove the object's success (nor its failure)."""


_EMERGENCY_ADDED = "EMERGENCY CALL ADDED ID: "
_EMERGENCY_ADDED_RE = re.compile(r"EMERGENCY\s+CALL\s+ADDED\s+ID\s*:\s*(\d+)", re.IGNORECASE)
_DISPATCH_CREATED_RE = re.compile(r"NEW\s+DISPATCH\s+CREATED\s*-\s*ID\s*:\s*(\d+)", re.IGNORECASE)
_DISPATCH_UPDATED_RE = re.compile(r"DISPATCH\s+CALL\s+#?(\d+)\s+UPDATED", re.IGNORECASE)
#: Texts that are never an acknowledgement: what gateways, proxies and an unknown path say.
_NOT_AN_ACK = re.compile(
    r"backend service reached|cloudflare|ray id|gateway|unavailable|timed? ?out|error|"
    r"exception|forbidden|denied|not found|invalid|[<>{}\[\]]",
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
    docs (`API ID(s) set!`, `UNITS ATTACHED`), so the real text is unknown. A short plain
    line that is none of the things gateways, proxies or an unknown path answer will do."""
    if not line or len(line) > 200 or not line.isprintable() or _NOT_AN_ACK.search(line):
        raise NoProof(line)


def snapshot(document: Any, _: Any) -> CallsSnapshot:
    """GET_CALLS: a snapshot object."""
    try:
        return parse_snapshot(document)
    except ProtocolError as exc:
        raise NoProof(str(exc)) from None
