"""From (batch, reply) to one outcome per object: a pure function, no I/O.

The rule: an object succeeds only with positive proof in its own reply line. A
documented error text (with or without `ERROR:`) is that error. Everything else proves
nothing: `Unproven` for an object whose own part says nothing, `Unanswered` for objects a
multi-object reply cannot be matched to (what the server did with them is found out, or
they are re-sent, by the caller of this function).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

import attrs
import orjson

from ._codec import quoted as _quote
from ._codec import reply_lines
from ._endpoints import Endpoint
from ._errors import ENVELOPE_ERRORS, ApiError, error_from_text
from ._proof import NoProof

# Plain named tuples: one outcome is made per object, on the hot path.


class Proven(NamedTuple):
    value: Any


class Refused(NamedTuple):
    error: ApiError


class Unproven(NamedTuple):
    """Sent, and its own reply part proves nothing either way."""

    why: str


class Unanswered(NamedTuple):
    """Sent with others, and the reply cannot be matched to the objects."""

    why: str
    #: The id the reply's one line names, if it is a create's proof: a call this very
    #: request made, which a snapshot fresh enough to prove anything must show.
    witness: int | None = None


Outcome = Proven | Refused | Unproven | Unanswered


class Shape(enum.Enum):
    """What kind of answer the reply was, as evidence of the server's multi-object habits."""

    LINES = "lines"  # one part per object
    ONE_LINE_FOR_MANY = "one_line_for_many"  # 2xx, fewer lines than objects
    ERROR_FOR_MANY = "error_for_many"  # one object error (4xx) for several objects
    ENVELOPE = "envelope"  # an error about the whole request
    NOTHING = "nothing"  # no usable answer at all


@attrs.frozen
class Reading:
    shape: Shape
    outcomes: list[Outcome]


#: Bytes of an error reply read as its text.
_ERROR_TEXT = 1 << 16


def _each(outcome: Outcome, count: int) -> list[Outcome]:
    return [outcome] * count


def read_reply(
    endpoint: Endpoint[Any, Any], requests: Sequence[Any], status: int, body: bytes
) -> Reading:
    """One outcome per request, from a final reply (not a 429 and not a 5xx: those are
    the delivery's business). `body` must already have the key redacted."""
    n = len(requests)
    if 300 <= status < 400 or status < 200:
        return Reading(Shape.NOTHING, _each(Unproven(f"HTTP {status} is no answer"), n))
    if status >= 400:
        return _read_error(status, body, n)
    if endpoint.json_reply:
        return _read_json(endpoint, requests, body)
    if (
        endpoint.proof_all is not None
        and (values := endpoint.proof_all(body, n)) is not None
        and len(set(values)) == n
    ):
        return Reading(Shape.LINES, list(map(Proven, values)))
    lines = reply_lines(body, n + 1)  # more than n is all there is to know
    if len(lines) == n:
        outcomes = _read_lines(endpoint, requests, lines, status)
        return Reading(Shape.LINES, _one_object_per_id(outcomes) if endpoint.creates else outcomes)
    if not lines:
        return Reading(Shape.NOTHING, _each(Unproven(f"HTTP {status} with an empty body"), n))
    if len(lines) == 1 and endpoint.one_line_for_all:
        outcome = _read_part(endpoint, requests[0], lines[0], status)
        if isinstance(outcome, Proven):  # documented: one line answers every object
            return Reading(Shape.LINES, [Proven(endpoint.proof(lines[0], r)) for r in requests])
    if 1 <= len(lines) < n:
        why = f"{len(lines)} reply line(s) for {n} objects: {_quote(lines[0])}"
        witness = _read_part(endpoint, requests[0], lines[0], status) if endpoint.creates else None
        named = witness.value if isinstance(witness, Proven) and len(lines) == 1 else None
        return Reading(Shape.ONE_LINE_FOR_MANY, _each(Unanswered(why, named), n))
    many = f"more than {n}" if len(lines) > n else str(len(lines))
    why = f"{many} reply lines for {n} object(s): {_quote(' | '.join(lines[:3]))}"
    return Reading(Shape.NOTHING, _each(Unproven(why), n))


def _read_error(status: int, body: bytes, n: int) -> Reading:
    text = body[:_ERROR_TEXT].decode("utf-8", "replace").strip()  # error texts are short
    error = error_from_text(status, text)
    if error is None:
        return Reading(Shape.NOTHING, _each(Unproven(f"HTTP {status}: {_quote(text)}"), n))
    if n == 1 or isinstance(error, ENVELOPE_ERRORS):
        shape = Shape.ENVELOPE if isinstance(error, ENVELOPE_ERRORS) else Shape.LINES
        return Reading(shape, _each(Refused(error), n))
    # One object's error for several objects: the server may have stopped at it after
    # applying those before it, or applied only the first. Nobody can tell from here.
    return Reading(
        Shape.ERROR_FOR_MANY, _each(Unanswered(f"HTTP {status} for {n} objects: {_quote(text)}"), n)
    )


def _read_lines(
    endpoint: Endpoint[Any, Any], requests: Sequence[Any], lines: list[str], status: int
) -> list[Outcome]:
    """One outcome per line; the success shape is tried first, inline (the hot path)."""
    proof = endpoint.proof
    outcomes: list[Outcome] = []
    for request, line in zip(requests, lines, strict=True):
        try:
            outcomes.append(Proven(proof(line, request)))
        except NoProof:
            outcomes.append(_read_part(endpoint, request, line, status))
    return outcomes


def _one_object_per_id(outcomes: list[Outcome]) -> list[Outcome]:
    """Within one reply an id proves at most one object: an id named on several lines
    proves none of them (which object it is cannot be told)."""
    seen = Counter(o.value for o in outcomes if type(o) is Proven)
    if all(count == 1 for count in seen.values()):
        return outcomes
    return [
        Unproven(f"the reply names id {o.value} for {seen[o.value]} objects")
        if type(o) is Proven and seen[o.value] > 1
        else o
        for o in outcomes
    ]


def _read_part(endpoint: Endpoint[Any, Any], request: Any, part: Any, status: int) -> Outcome:
    try:
        return Proven(endpoint.proof(part, request))  # no success shape is an error text
    except NoProof:
        pass
    if isinstance(part, str):
        error = error_from_text(status, part)
        if error is not None:
            return Refused(error)
    shown = part if isinstance(part, str) else orjson.dumps(part).decode(errors="replace")
    return Unproven(f"the reply proves nothing: {_quote(shown)}")


def _read_json(endpoint: Endpoint[Any, Any], requests: Sequence[Any], body: bytes) -> Reading:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body[:_ERROR_TEXT].decode("utf-8", "replace").strip()
        error = error_from_text(400, text) if text else None
        outcome: Outcome = Refused(error) if error else Unproven(f"not JSON: {_quote(text)}")
        return Reading(Shape.NOTHING, _each(outcome, len(requests)))
    return Reading(Shape.LINES, [_read_part(endpoint, r, document, 200) for r in requests])
