"""RedisRateLimit against a real redis-server: the script, the key, the seams."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from sonoran_async import (
    Call911,
    RateLimitedError,
    RedisRateLimit,
    SonoranClient,
)
from sonoran_async._redis import default_key
from sonoran_async.emulator import Emulator


class SkewedVirtualClock:
    """A host clock `offset` seconds off; sleeping only records the wait."""

    def __init__(self, offset: float) -> None:
        self.offset = offset
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return 1000.0 + self.offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def _tat(url: str, key: str) -> int:
    async with aioredis.Redis.from_url(url) as plain:
        return int(await plain.hget(key, "tat") or 0)


async def test_slots_are_spaced_on_the_server_clock_whatever_the_hosts_clocks(
    redis_url: str,
) -> None:
    clocks = [SkewedVirtualClock(0.0), SkewedVirtualClock(3600.0), SkewedVirtualClock(-86400.0)]
    limiters = [RedisRateLimit(redis_url, per_second=4, key="k", clock=clock) for clock in clocks]
    booked = []
    for n in range(12):
        await limiters[n % 3].acquire("b", max_wait=60)
        booked.append(await _tat(redis_url, "k:b"))
    # Each reservation moved the shared theoretical arrival time by exactly 1/R.
    assert {later - earlier for earlier, later in itertools.pairwise(booked)} == {250_000}
    waits = [wait for clock in clocks for wait in clock.sleeps]
    assert len(waits) >= 10  # all but the first slot or two lay ahead: they were slept for
    for limiter in limiters:
        await limiter.aclose()


async def test_a_slot_past_max_wait_is_refused_without_booking(redis_url: str) -> None:
    clock = SkewedVirtualClock(0.0)
    limiter = RedisRateLimit(redis_url, per_second=1, key="k", clock=clock)
    assert await limiter.acquire("b", max_wait=5) == 0.0
    before = await _tat(redis_url, "k:b")
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire("b", max_wait=0.5)
    assert caught.value.retry_after is not None and caught.value.retry_after > 0.5
    assert await _tat(redis_url, "k:b") == before
    waited = await limiter.acquire("b", max_wait=5)
    assert 0 < waited <= 1.0 and clock.sleeps == [waited]
    await limiter.aclose()


async def test_burst_lets_that_many_go_at_once(redis_url: str) -> None:
    limiter = RedisRateLimit(redis_url, per_second=1, burst=3, key="k")
    assert [await limiter.acquire("b", max_wait=0) for _ in range(3)] == [0.0, 0.0, 0.0]
    with pytest.raises(RateLimitedError):
        await limiter.acquire("b", max_wait=0)
    await limiter.aclose()


async def test_a_429_seen_by_one_process_pauses_every_other(redis_url: str) -> None:
    one = RedisRateLimit(redis_url, per_second=100, key="k")
    other_clock = SkewedVirtualClock(-3600.0)
    other = RedisRateLimit(redis_url, per_second=100, key="k", clock=other_clock)
    await one.rate_limited("b", 30.0)
    with pytest.raises(RateLimitedError):
        await other.acquire("b", max_wait=10)
    waited = await other.acquire("b", max_wait=60)
    assert 20 < waited <= 30  # the pause, counted on the server's clock
    assert other_clock.sleeps == [waited]
    await one.aclose()
    await other.aclose()


async def test_keys_expire_a_minute_after_their_last_slot_or_pause(redis_url: str) -> None:
    limiter = RedisRateLimit(redis_url, per_second=1, key="k")
    await limiter.rate_limited("b", 30.0)
    async with aioredis.Redis.from_url(redis_url) as plain:
        assert 60_000 + 29_000 < await plain.pttl("k:b") <= 60_000 + 30_000
    await limiter.aclose()


async def test_the_client_binds_one_key_per_community(redis_url: str) -> None:
    limiter = RedisRateLimit(redis_url, per_second=100)
    assert limiter.key is None
    async with (
        Emulator() as emu,
        SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=limiter) as cad,
    ):
        await cad.call_911(Call911(caller="A", location="B"))
    assert limiter.key == default_key("demo") == "sonoran-async:{demo}:v1"
    async with aioredis.Redis.from_url(redis_url) as plain:
        assert await plain.keys("sonoran-async:{demo}:v1:*") != []
    with pytest.raises(ValueError, match="one community"):
        SonoranClient("other", "key", base_url=emu.url, rate_limit=limiter)


async def test_a_given_key_is_kept_and_an_unbound_one_is_refused(redis_url: str) -> None:
    given = RedisRateLimit(redis_url, per_second=1, key="mine:{x}")
    given.bind("demo")
    assert given.key == "mine:{x}"
    with pytest.raises(RuntimeError, match="no key"):
        await RedisRateLimit(redis_url, per_second=1).acquire("b", max_wait=1)
    await given.aclose()


async def test_a_client_you_own_is_not_closed(redis_url: str) -> None:
    async with aioredis.Redis.from_url(redis_url) as owned:
        limiter = RedisRateLimit(owned, per_second=100, key="k")
        await limiter.acquire("b", max_wait=1)
        await limiter.aclose()
        assert await owned.ping()


def test_repr_and_errors_never_show_the_password() -> None:
    limiter = RedisRateLimit("rediss://user:s3cret@cache.example:6380/2", per_second=1)
    assert "s3cret" not in repr(limiter) and "user" not in repr(limiter)
    assert "rediss://cache.example:6380/2" in repr(limiter)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"per_second": 0}, ValueError),
        ({"per_second": 1, "burst": 0}, ValueError),
        ({"per_second": 1, "on_error": "ignore"}, ValueError),
        ({"per_second": 1, "local_fraction": 0}, ValueError),
        ({"per_second": 1, "timeout": 0}, ValueError),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        RedisRateLimit("redis://localhost", **kwargs)  # type: ignore[arg-type]


def test_an_url_that_is_not_redis_is_refused() -> None:
    with pytest.raises(ValueError, match="redis://"):
        RedisRateLimit("http://localhost:6379", per_second=1)


def test_without_the_redis_package_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ImportError, match=r"sonoran-async\[redis\]"):
        RedisRateLimit("redis://localhost", per_second=1)


def test_the_core_imports_without_the_redis_package() -> None:
    code = "import sys; sys.modules['redis'] = None; import sonoran_async; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.stdout.strip() == b"ok", done.stderr


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "many-processes.md"
#: The guide's ACL rule for the limiter's user (nothing but what the script needs).
ACL_RULE = re.search(r"^ACL SETUSER sonoran (.+)$", GUIDE.read_text(), re.M)
assert ACL_RULE is not None
ACL_RULES = ACL_RULE[1].replace(">PASSWORD", ">pw")


async def test_the_documented_acl_user_is_enough(redis_url: str) -> None:
    async with aioredis.Redis.from_url(redis_url) as admin:
        rules = ACL_RULES.split()
        await admin.execute_command("ACL", "SETUSER", "sonoran", *rules)  # type: ignore[no-untyped-call]
        await admin.script_flush()  # so that the first call loads the script
    limited = redis_url.replace("redis://", "redis://sonoran:pw@")
    limiter = RedisRateLimit(limited, per_second=1000)
    async with Emulator() as emu:
        async with SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=limiter) as cad:
            emu.inject("429")
            await cad.call_911(Call911(caller="A", location="B"))
        assert emu.stats.rate_limited == 1 and len(emu.state.emergency_calls) == 1
    async with aioredis.Redis.from_url(limited) as plain:
        with pytest.raises(aioredis.ResponseError, match="no permissions"):
            await plain.get("sonoran-async:{demo}:v1:anything")
