"""Tokens that make creates sharing a request findable through GET_CALLS.

Each create that shares a request carries a unique token in its metaData (under the
reconcile policy's `token_key`), spliced into its queued bytes, so that if the reply
cannot say which objects were applied, GET_CALLS can (even after the server answered per
object: it may not always). A lone create goes exactly as its caller built it. A token
already in the metaData is kept.
"""

from __future__ import annotations

import secrets

import orjson

from ._batch import Batch

_META = b'"metaData":{'


class Tokens:
    def __init__(self, key: str) -> None:
        self.key = key
        #: Bytes a token may add to one object (reserved under `max_bytes`).
        self.room = len(orjson.dumps({key: "x" * 40})) + len(b',"metaData":')  # <= 40 chars
        self._run = secrets.token_hex(6)  # unique per client run, then counted
        self._count = 0
        self._head = orjson.dumps(key) + b':"'  # the entry, up to the token
        self._opened = b',"metaData":{' + self._head  # for an object without metaData

    def mark(self, batch: Batch) -> None:
        """Give every object of `batch` without a token one, spliced into its bytes.

        metaData is the only free-form field of a request model and quotes inside
        strings are escaped, so the first `"metaData":{` in the bytes is the object's
        own. Tokens are ASCII letters, digits and `-`: they need no escaping."""
        run, count, head = self._run, self._count, self._head
        for item in batch.items:
            if item.token:
                continue
            token = item.token = f"{run}-{count:x}"
            count += 1
            payload = item.payload
            at = payload.find(_META)
            if at < 0:
                item.payload = b"".join((payload[:-1], self._opened, token.encode(), b'"}}'))
            else:
                start = at + len(_META)
                separator = b"" if payload[start : start + 1] == b"}" else b","
                item.payload = b"".join(
                    (payload[:start], head, token.encode(), b'"', separator, payload[start:])
                )
        self._count = count
