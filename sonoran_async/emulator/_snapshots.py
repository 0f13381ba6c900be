"""How GET_CALLS snapshots are rendered: faithfully, or with a pathology a real server
(or a replica behind it) may show, so that clients can be tested against it.

- ``faithful``: the calls as stored.
- ``meta_string``: metaData sent back as a JSON *string* instead of an object.
- ``meta_omitted``: metaData left out of every call.
- ``empty``: the whole reply is ``{}``.
- ``lagging``: a replica one create behind: the newest call created in the last
  ``replica_lag`` seconds is not shown yet.
- ``omit_empty``: keys whose value is the empty string (an empty ``description``) are
  left out.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import orjson

SnapshotMode = Literal["faithful", "meta_string", "meta_omitted", "empty", "lagging", "omit_empty"]
SNAPSHOT_MODES: Final[tuple[SnapshotMode, ...]] = (
    "faithful",
    "meta_string",
    "meta_omitted",
    "empty",
    "lagging",
    "omit_empty",
)
_LISTS: Final = ("activeCalls", "emergencyCalls", "closedCalls")


def check_snapshot_mode(mode: object) -> None:
    if mode not in SNAPSHOT_MODES:
        raise ValueError(f"snapshot must be one of {', '.join(SNAPSHOT_MODES)}; got {mode!r}")


def render(document: dict[str, Any], mode: SnapshotMode, hidden: int | None) -> dict[str, Any]:
    """`document` (a GET_CALLS reply holding the stored records) as `mode` shows it;
    `hidden`: the id a lagging replica does not show yet. Stored records are never
    changed: changed calls are copies."""
    if mode == "faithful":
        return document
    if mode == "empty":
        return {}
    rendered: dict[str, Any] = {}
    for name in _LISTS:
        calls = document.get(name, [])
        if mode == "lagging":
            rendered[name] = [call for call in calls if call.get("callId") != hidden]
        else:
            rendered[name] = [_call(call, mode) for call in calls]
    return rendered


def _call(call: dict[str, Any], mode: SnapshotMode) -> dict[str, Any]:
    if mode == "meta_string":
        if "metaData" not in call:
            return call
        return {**call, "metaData": orjson.dumps(call["metaData"]).decode()}
    if mode == "meta_omitted":
        return {key: value for key, value in call.items() if key != "metaData"}
    return {key: value for key, value in call.items() if value != ""}
