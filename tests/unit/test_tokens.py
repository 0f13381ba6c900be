"""Tokens spliced into queued bytes stay valid JSON and keep what the caller sent."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from sonoran_async._batch import Batch, Item
from sonoran_async._tokens import Tokens


@pytest.mark.parametrize(
    ("payload", "meta"),
    [
        (b'{"caller":"a"}', {}),
        (b'{"caller":"a","metaData":{}}', {}),
        (b'{"metaData":{"x":"\\"metaData\\":{"},"caller":"a"}', {"x": '"metaData":{'}),
    ],
)
async def test_a_token_joins_the_metadata(payload: bytes, meta: dict[str, str]) -> None:
    tokens = Tokens("tok")
    future = asyncio.get_running_loop().create_future()
    item = Item(payload, None, "", future, 0.0)
    kept = Item(b'{"metaData":{"tok":"mine"}}', None, "mine", future, 0.0)
    tokens.mark(Batch([item, kept]))
    document = orjson.loads(item.payload)
    assert document["caller"] == "a"
    assert document["metaData"] == {**meta, "tok": item.token}
    assert len(item.payload) - len(payload) <= tokens.room
    assert (kept.token, kept.payload) == ("mine", b'{"metaData":{"tok":"mine"}}')
