"""The ingest input: JSON Lines of CALL_911 objects, read without blocking the loop.

A file is read in chunks in a worker thread; standard input, when it is a pipe or a
terminal, through the event loop's pipe transport (so an interrupted run never waits on
a blocked read). A UTF-8 byte order mark is skipped; integers are read exactly.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any, Final

import attrs
import orjson

from .._codec import wire_name
from .._errors import ValidationError
from .._models import Call911
from .._policies import TOKEN_KEY

#: Line keys (the wire names Sonoran documents for a CALL_911 object) -> Call911 fields,
#: taken from the codec so that the two can never disagree.
WIRE_KEYS: Final = {wire_name(field): field.name for field in attrs.fields(Call911)}
FIELD_TO_WIRE: Final = {field: key for key, field in WIRE_KEYS.items()}
_SNAKE_HINTS: Final = {field: key for key, field in WIRE_KEYS.items() if field != key}
_REQUIRED: Final = ("caller", "location")
_BOM: Final = b"\xef\xbb\xbf"
_CHUNK: Final = 1 << 18  # ~4,000 lines of a typical file
_FIRST_CHUNK: Final = 1 << 14
_LONG_NUMBER: Final = re.compile(rb"\d{19}")

SCHEMA_HELP: Final = """\
input format (JSON Lines):
  One JSON object per line: the CALL_911 `data` object exactly as Sonoran documents it,
  with its camelCase keys (snake_case keys such as is_emergency are refused, with a hint):

    caller              string, required, not blank
    location            string, required, not blank
    description         string (default "")
    isEmergency         true: EMERGENCY call (default); false: CIVIL call
    metaData            object with string keys, or [] for none (x and y place the call
                        on the live map; priority 1-3, block, postal, code pre-fill the
                        dispatch call)
    deleteAfterMinutes  integer >= 1: the call expires after that many minutes
    serverId            integer >= 0 (default: --server-id)

  A null value counts as absent. Blank lines are skipped; a UTF-8 byte order mark is
  ignored. FILE may be - for standard input. Example line:

    {"caller": "Jane Roe", "location": "Route 68", "description": "Car fire", "isEmergency": true}

rejects file:
  A bad line (not JSON, not an object, an unknown key, a bad value) never stops the run:
  it is written to the rejects file, and so is every object the server refused or that
  could not be delivered. One JSON object per rejected line, in completion order:

    {"line": 7, "stage": "invalid", "reason": "caller: must not be empty", "input": "..."}

  stage: invalid (never sent), refused (the server answered an error for it), unknown
  (it may have been applied; the next run looks it up), failed (not delivered).
  The file is written only when something was rejected (an old one is replaced).

exit status:
  0 every line created; 1 some line not created, or the run stopped early (a fatal
  reply, a journal that cannot be read or written); 2 bad usage or unusable input (also:
  the journal is in use by another run, or was made for another input or server);
  130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM.
"""


class LineError(Exception):
    """A line that cannot become a Call911; the message is the reason."""


def parse_line(raw: bytes, token: str | None = None) -> Call911:
    """One JSONL line -> Call911, or LineError naming the problem (wire key names).
    A `token` goes into its metaData (the journal finds the call again by it)."""
    document = _load(raw)
    if not isinstance(document, dict):
        raise LineError(f"expected a JSON object, got {_json_kind(document)}")
    kwargs: dict[str, Any] = {}
    for key, value in document.items():
        field = WIRE_KEYS.get(key)
        if field is None:
            hint = _SNAKE_HINTS.get(key)
            known = ", ".join(WIRE_KEYS)
            raise LineError(
                f"unknown key {key!r}"
                + (f" (keys are camelCase: use {hint!r})" if hint else f" (known: {known})")
            )
        if value is not None and not (field == "meta_data" and value == []):
            kwargs[field] = value  # metaData [] is how Lua's dkjson writes an empty table
    missing = [FIELD_TO_WIRE[name] for name in _REQUIRED if name not in kwargs]
    if missing:
        raise LineError(
            f"missing required key{'s' if len(missing) > 1 else ''}: " + ", ".join(missing)
        )
    if token is not None:
        meta = kwargs.get("meta_data", {})
        if isinstance(meta, dict):  # anything else is refused by Call911 below
            kwargs["meta_data"] = {**meta, TOKEN_KEY: token}
    try:
        return Call911(**kwargs)
    except ValidationError as exc:
        raise LineError(f"{FIELD_TO_WIRE.get(exc.field, exc.field)}: {exc.message}") from None


def _load(raw: bytes) -> Any:
    # orjson turns integers beyond 64 bits into floats; the standard library reads any
    # integer exactly, so a line with a long run of digits goes there.
    try:
        if _LONG_NUMBER.search(raw):
            return json.loads(raw)
        return orjson.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:  # both libraries' errors are ValueErrors
        raise LineError(f"invalid JSON: {exc}") from None


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


#: The longest last line without a newline whose start is remembered (see InputFacts).
_TAIL_MAX: Final = 1 << 20


@attrs.frozen
class InputFacts:
    lines: int  # a last line without a newline counts
    sha256: str
    size: int
    # The content up to its last newline (all of it if it ends with one): what stays the
    # same if a last line without a newline was still being written. Size -1: unknown.
    lines_sha256: str = ""
    lines_size: int = -1


def input_facts(path: Path) -> InputFacts:
    """Line count, content hash and size of a file (blocking: run it in a thread)."""
    count = size = 0
    digest = hashlib.sha256()  # of the content up to the last newline
    tail = b""  # what follows the last newline
    lost = False  # a line longer than _TAIL_MAX: where the last one starts is not kept
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            size += len(chunk)
            cut = chunk.rfind(b"\n") + 1
            if cut:
                digest.update(tail + chunk[:cut])
                tail, lost = chunk[cut:], False
            else:
                tail += chunk
            if len(tail) > _TAIL_MAX:
                digest.update(tail)
                tail, lost = b"", True
    lines = count + bool(tail or lost)
    whole = digest.copy()
    whole.update(tail)
    if lost:
        return InputFacts(lines, whole.hexdigest(), size)
    return InputFacts(lines, whole.hexdigest(), size, digest.hexdigest(), size - len(tail))


def prefix_sha256(path: Path, size: int) -> str | None:
    """The hash of the file's first `size` bytes, if they end a line (or are none, or
    the next byte starts a new line): the old content of a file that was only appended
    to (blocking: run it in a thread)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        if size:
            f.seek(size - 1)
            # The old last line had no newline: it is the same line only if one follows.
            if f.read(1) != b"\n" and f.read(1) != b"\n":
                return None
            f.seek(0)
        left = size
        while left and (chunk := f.read(min(left, 1 << 20))):
            digest.update(chunk)
            left -= len(chunk)
    return None if left else digest.hexdigest()


def stdin_is_a_file() -> bool:
    return stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)


async def read_lines(
    source: Path | None, limit: int | None = None
) -> AsyncIterator[list[tuple[int, bytes]]]:
    """Chunks of (line number, line) from a file, or from standard input (None); of a
    file, its first `limit` bytes (what the journal hashed: lines added meanwhile, or a
    line still being written, are the next run's)."""
    pipe = source is None and not stdin_is_a_file()
    chunks = _pipe_chunks() if pipe else _file_chunks(source, limit)
    number = 0
    rest = b""
    first = True
    async for chunk in chunks:
        if first:
            chunk = chunk.removeprefix(_BOM)
            first = False
        pieces = (rest + chunk).split(b"\n")
        rest = pieces.pop()
        lines = []
        for piece in pieces:
            number += 1
            lines.append((number, piece))
        if lines:
            yield lines
    if rest:
        yield [(number + 1, rest)]


async def _file_chunks(path: Path | None, limit: int | None = None) -> AsyncIterator[bytes]:
    # Opening a local file does not wait on anything; the reads go to a thread.
    f: IO[bytes] = path.open("rb") if path is not None else open(0, "rb", closefd=False)  # noqa: SIM115, ASYNC230
    size = _FIRST_CHUNK  # small first: the client starts sending sooner
    left = -1 if limit is None else limit
    try:
        while left and (
            chunk := await asyncio.to_thread(f.read, size if left < 0 else min(size, left))
        ):
            yield chunk
            left -= len(chunk) if left > 0 else 0
            size = min(size * 2, _CHUNK)
    finally:
        f.close()


async def _pipe_chunks() -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_CHUNK)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader),
        open(0, "rb", closefd=False),  # noqa: SIM115, ASYNC230 (stdin's descriptor: no I/O)
    )
    try:
        while chunk := await reader.read(_CHUNK):
            yield chunk
    finally:
        transport.close()
