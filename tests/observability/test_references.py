"""Sonoran's traceId (problem+json) and request_id (429 bodies) are kept on the errors
and in the log lines, so that a support ticket can quote them."""

from __future__ import annotations

import copy
import logging
import pickle
import re

import pytest

from sonoran_async import (
    Call911,
    InvalidApiKeyError,
    RateLimitedError,
    Reply,
    RetryPolicy,
    SonoranClient,
)
from sonoran_async._errors import for_caller, quoted_references, references
from sonoran_async.emulator import Emulator

from .conftest import RATE_LIMITED, Scripted
from .test_tracing import client

REQUEST_ID = "9457fb389b3729164e453e4db4328909"


async def test_a_v2_problem_keeps_its_trace_id_on_the_error_and_the_stop_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Emulator() as emu:
        cad = SonoranClient("demo", "wrong-key", base_url=emu.url, api_version=2)
        async with cad:
            with pytest.raises(InvalidApiKeyError) as caught:
                await cad.call_911(Call911(caller="A", location="B"))
    trace_id = caught.value.trace_id
    assert trace_id is not None and re.fullmatch(r"[0-9a-f]{16}", trace_id)
    assert caught.value.request_id is None
    (stop,) = [r for r in caplog.records if r.getMessage().startswith("stopping")]
    assert f"(traceId {trace_id})" in stop.getMessage()
    assert getattr(stop, "trace_id", None) == trace_id


async def test_a_429_keeps_its_request_id_on_the_error_and_every_wait_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "sonoran_async")
    long_wait = Reply(429, RATE_LIMITED.body, retry_after="600")
    retry = RetryPolicy(max_rate_limit_wait=30)
    async with client(Scripted(RATE_LIMITED, long_wait), retry=retry) as cad:
        with pytest.raises(RateLimitedError) as caught:
            await cad.call_911(Call911(caller="A", location="B"))
    assert caught.value.request_id == REQUEST_ID
    (waited,) = [r for r in caplog.records if "rate limited (429)" in r.getMessage()]
    assert f"(request_id {REQUEST_ID})" in waited.getMessage()
    assert getattr(waited, "request_id", None) == REQUEST_ID


async def test_a_429_without_a_request_id_says_nothing_of_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with client(Scripted(Reply(429, b"slow down"))) as cad:
        await cad.call_911(Call911(caller="A", location="B"))
    (waited,) = [r for r in caplog.records if "rate limited (429)" in r.getMessage()]
    assert "request_id" not in waited.getMessage()


def test_each_caller_copy_pickle_and_copy_keep_the_references() -> None:
    error = InvalidApiKeyError(401, "Unauthorized: API key is invalid.")
    error.trace_id = "00-abc123"
    limited = RateLimitedError("still limited", 5.0, request_id=REQUEST_ID)
    for original in (error, limited):
        for twin in (for_caller(original), pickle.loads(pickle.dumps(original))):
            assert (twin.trace_id, twin.request_id) == (original.trace_id, original.request_id)
        assert copy.copy(original).trace_id == original.trace_id
    assert quoted_references(error) == " (traceId 00-abc123)"
    assert quoted_references(limited) == f" (request_id {REQUEST_ID})"
    assert str(error) == "HTTP 401: Unauthorized: API key is invalid."  # causes stay groupable


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b'{"traceId": "00-abc-01", "title": "x"}', {"trace_id": "00-abc-01"}),
        (b'{"message": "m", "request_id": "r1"}', {"request_id": "r1"}),
        (b'{"requestId": "r2", "trace_id": "t2"}', {"request_id": "r2", "trace_id": "t2"}),
        (b'{"traceId": 5}', {}),
        (b'{"traceId": "two words"}', {}),
        (b'{"traceId": "' + b"a" * 129 + b'"}', {}),
        (b'{"traceId": "line\\nbreak"}', {}),
        (b'["traceId"]', {}),
        (b"not json", {}),
        (b"{broken", {}),
        (b"", {}),
    ],
)
def test_only_short_id_like_references_are_kept(body: bytes, found: dict[str, str]) -> None:
    assert references(body) == found
