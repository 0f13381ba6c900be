"""Issue #21 items 9 and 15: Redis errors name what Redis said (never the password); an
ACL refusal is no outage, even with on_error="local"; a malformed script reply fails the
callers instead of killing a lane."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import redis

from sonoran_async import (
    Call911,
    RateLimitedError,
    RedisLimiterError,
    RedisRateLimit,
    SonoranClient,
)
from sonoran_async.emulator import Emulator

from .server import RedisServer

PASSWORD = "pw-0123456789"


@pytest.fixture
def limited_url(redis_server: RedisServer) -> str:
    """A user that may run scripts but not HSET (the limiter's script writes with it)."""
    with redis.Redis.from_url(redis_server.url) as admin:
        admin.execute_command(
            "ACL", "SETUSER", "limited", "reset", "on", f">{PASSWORD}", "~*", "+@all", "-hset"
        )
    return f"redis://limited:{PASSWORD}@127.0.0.1:{redis_server.port}/0"


@pytest.mark.parametrize("on_error", ["raise", "local"])
async def test_item15_an_acl_refusal_says_what_redis_said_and_is_no_outage(
    limited_url: str, on_error: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    limiter = RedisRateLimit(limited_url, per_second=100, key="acl-test", on_error=on_error)
    with pytest.raises(RedisLimiterError) as caught:
        await asyncio.wait_for(limiter.acquire("v1", 1.0), timeout=10)
    await limiter.aclose()
    message = str(caught.value)
    assert "can't run this command" in message or "NOPERM" in message, message
    assert "could not be reached" not in message
    assert PASSWORD not in message and PASSWORD not in caplog.text
    assert not limiter.local_fallback


async def test_item9_a_malformed_script_reply_fails_the_callers(redis_url: str) -> None:
    limiter = RedisRateLimit(redis_url, per_second=100, key="odd-reply")

    async def odd(**_: Any) -> list[Any]:
        return ["granted?"]

    limiter._script = odd  # type: ignore[assignment]
    async with Emulator() as emu:
        async with SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=limiter) as cad:
            with pytest.raises(RateLimitedError, match="to its script"):
                await asyncio.wait_for(cad.call_911(Call911(caller="c", location="x")), 10)
        assert emu.stats.requests == 0
