"""Content-Encoding: decoded by the emulator itself, bounded, and a clear 4xx for anything
else, on a connection that stays usable (aiohttp's own decoding dropped it)."""

from __future__ import annotations

import gzip
import zlib

import aiohttp
import orjson
import pytest

from sonoran_async.emulator import Emulator
from sonoran_async.testing import EmulatorFactory

QUERY = orjson.dumps({"id": "demo", "key": "demo-key", "type": "GET_CALLS", "data": [{}]})


def raw_deflate(body: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "body", "expected"),
    [
        ("gzip", gzip.compress(QUERY), (200, "activeCalls")),
        ("x-gzip", gzip.compress(QUERY), (200, "activeCalls")),
        ("deflate", zlib.compress(QUERY), (200, "activeCalls")),
        ("deflate", raw_deflate(QUERY), (200, "activeCalls")),
        ("identity", QUERY, (200, "activeCalls")),
        ("gzip, identity", gzip.compress(QUERY), (200, "activeCalls")),
        ("deflate, gzip", gzip.compress(zlib.compress(QUERY)), (200, "activeCalls")),
        ("gzip", b"not gzip", (400, "ERROR: Invalid Content-Encoding")),
        ("gzip", gzip.compress(QUERY)[:-12], (400, "ERROR: Invalid Content-Encoding")),
        ("gzip", b"", (400, "ERROR: Invalid Content-Encoding")),
        ("deflate", QUERY, (400, "ERROR: Invalid Content-Encoding")),
        ("br", QUERY, (415, "ERROR: Unsupported Content-Encoding")),
        ("zstd", QUERY, (415, "ERROR: Unsupported Content-Encoding")),
        ("made-up", QUERY, (415, "ERROR: Unsupported Content-Encoding")),
    ],
)
async def test_content_encodings_and_the_connection_stays_usable(
    sonoran_emulator: Emulator, encoding: str, body: bytes, expected: tuple[int, str]
) -> None:
    url = f"{sonoran_emulator.url}/emergency/get_calls"
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    connector = aiohttp.TCPConnector(limit=1)  # both requests share one keep-alive connection
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(url, data=body, headers=headers) as resp:
            status, text = resp.status, await resp.text()
        async with session.post(url, data=QUERY) as resp:
            assert resp.status == 200
    assert status == expected[0] and expected[1] in text, (status, text)


async def test_a_compressed_bomb_is_413_without_inflating_it(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(max_body_bytes=64 * 1024)
    padding = b" " * (50 * 1024 * 1024)  # 50 MB of whitespace, valid JSON around it
    bomb = gzip.compress(QUERY[:-1] + padding + b"}")
    assert len(bomb) < 64 * 1024
    url = f"{emu.url}/emergency/get_calls"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=bomb, headers={"Content-Encoding": "gzip"}) as resp,
    ):
        assert (resp.status, await resp.text()) == (413, "ERROR: Request body too large")
    assert emu.stats.refused == 1


async def test_v2_bodies_are_decoded_the_same_way(sonoran_emulator: Emulator) -> None:
    url = f"{sonoran_emulator.url}/v2/emergency/servers/1/calls/911"
    call = {"caller": "A", "location": "B", "description": "C", "isEmergency": True}
    headers = {
        "Authorization": "Bearer demo-key",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=gzip.compress(orjson.dumps(call)), headers=headers) as r:
            assert r.status == 200, await r.text()
        async with session.post(url, data=b"not gzip", headers=headers) as r:
            assert r.status == 400
            assert "Content-Encoding" in (await r.json())["detail"]
