"""Tokens that make creates sharing a request findable through GET_CALLS.

Each create that shares a request carries a unique token in its metaData (under the
reconcile policy's `token_key`), spliced into its queued bytes, so that if the reply
cannot say which objects were applied, GET_CALLS can (even after the server answered per
object: it may not always). A lone create goes exactly as its caller built it. A token
already in the metaData is kept.
"""

from __future__ import annotations

import itertools
import secrets

from ._batch import Batch
from ._codec import token_room, with_token


class Tokens:
    def __init__(self, key: str) -> None:
        self.key = key
        #: Bytes a token may add to one object (reserved under `max_bytes`).
        self.room = token_room(key)
        run = secrets.token_hex(6)  # unique per client run, then counted
        self._next = (f"{run}-{n:x}" for n in itertools.count())

    def mark(self, batch: Batch) -> None:
        """Give every object of `batch` without a token one."""
        for item in batch.items:
            if not item.token:
                item.token = next(self._next)
                item.payload = with_token(item.payload, self.key, item.token)
