"""The emulator's change log, bounded in entries and in bytes.

Entries are kept as JSON lines in chunks of at most 1 MiB (no Python object per entry, so
a long run's memory is the chunks' bytes and nothing besides); whole chunks leave, oldest
first, once the newer ones hold `size` entries or the log is over `max_bytes`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson

_CHUNK = 1 << 20


class ChangeLog:
    def __init__(self, size: int, max_bytes: int) -> None:
        if size < 1 or max_bytes < 1:
            raise ValueError("log_size and log_bytes must be >= 1")
        self.size = size
        self.max_bytes = max_bytes
        self._chunk = max(4096, min(_CHUNK, max_bytes // 8))
        self._chunks: deque[bytearray] = deque([bytearray()])
        self._counts: deque[int] = deque([0])
        self._entries = 0  # in every chunk kept
        self.bytes = 0  # in every chunk kept

    def __len__(self) -> int:
        return min(self._entries, self.size)

    def append(self, kind: str, call_id: int, obj: Any) -> None:
        line = b"%b\t%d\t%b\n" % (kind.encode(), call_id, orjson.dumps(obj))
        if len(self._chunks[-1]) + len(line) > self._chunk and self._counts[-1]:
            self._chunks.append(bytearray())
            self._counts.append(0)
        self._chunks[-1] += line
        self._counts[-1] += 1
        self._entries += 1
        self.bytes += len(line)
        while len(self._chunks) > 1 and (
            self._entries - self._counts[0] >= self.size or self.bytes > self.max_bytes
        ):
            self.bytes -= len(self._chunks.popleft())
            self._entries -= self._counts.popleft()

    def entries(self) -> list[tuple[str, int, Any]]:
        """The newest `size` entries kept, oldest first, each object decoded."""
        out: list[tuple[str, int, Any]] = []
        for chunk in self._chunks:
            for line in bytes(chunk).splitlines():
                kind, call_id, obj = line.split(b"\t", 2)
                out.append((kind.decode(), int(call_id), orjson.loads(obj)))
        return out[-self.size :]
