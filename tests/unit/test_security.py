"""The API key never shows up in reprs, errors or logs; plain http only to loopback."""

from __future__ import annotations

import logging
import traceback

import pytest
from aioresponses import aioresponses

from sonoran_async import (
    ApiError,
    Call911,
    InvalidApiKeyError,
    OutcomeUnknownError,
    RetryPolicy,
    SonoranClient,
    SonoranError,
    TransportError,
)
from sonoran_async._transport import check_base_url

KEY = "SECRET"
BASE = "https://api.sonorancad.com"
CALL = Call911(caller="a", location="b")


def _everything_about(error: BaseException) -> str:
    return "".join(
        [str(error), repr(error), *traceback.format_exception(error), repr(error.__dict__)]
    )


async def test_client_repr_hides_key() -> None:
    cad = SonoranClient("c", KEY)
    text = repr(cad)
    assert KEY not in text
    assert "community_id='c'" in text
    assert KEY not in str(cad)
    await cad.aclose()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"status": 400, "body": "INVALID API KEY"}, InvalidApiKeyError),
        ({"status": 400, "body": "Server not found with ID: 3"}, ApiError),
        ({"status": 200, "body": "Backend Service Reached"}, OutcomeUnknownError),
        ({"exception": TimeoutError()}, OutcomeUnknownError),
        ({"status": 503, "body": "busy"}, TransportError),
    ],
)
async def test_errors_from_the_client_never_carry_the_key(
    mocked: aioresponses,
    caplog: pytest.LogCaptureFixture,
    setup: dict[str, object],
    expected: type[SonoranError],
) -> None:
    caplog.set_level(logging.DEBUG, logger="sonoran_async")
    mocked.post(f"{BASE}/emergency/call_911", **setup)
    cad = SonoranClient("c", KEY, base_url=BASE, rate_limit=None, retry=RetryPolicy(max_attempts=1))
    try:
        with pytest.raises(expected) as info:
            await cad.call_911(CALL)
    finally:
        await cad.aclose()
    assert KEY not in _everything_about(info.value)
    if info.value.__cause__ is not None:
        assert KEY not in _everything_about(info.value.__cause__)
    assert "POST emergency/call_911" in caplog.text  # the debug log did run
    assert KEY not in caplog.text


def test_constructed_errors_never_carry_a_key() -> None:
    # Messages are built from reply text and field names only.
    for error in (ApiError(400, "INVALID API KEY"), TransportError("x", request_sent=False)):
        assert KEY not in _everything_about(error)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://example.com",
        "http://api.sonorancad.com",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://10.0.0.5:8080",
        "ftp://127.0.0.1",
        "api.sonorancad.com",
        "https://",
    ],
)
def test_unsafe_or_bad_base_url_refused(base_url: str) -> None:
    with pytest.raises(ValueError):
        SonoranClient("c", KEY, base_url=base_url)


@pytest.mark.parametrize(
    ("base_url", "normalised"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost", "http://localhost"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://127.1.2.3", "http://127.1.2.3"),
        ("https://api.sonorancad.com", "https://api.sonorancad.com"),
        ("https://cad.example.org:8443/", "https://cad.example.org:8443"),
    ],
)
async def test_https_and_loopback_http_accepted(base_url: str, normalised: str) -> None:
    assert check_base_url(base_url) == normalised
    cad = SonoranClient("c", KEY, base_url=base_url)
    await cad.aclose()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"community_id": ""}, "community_id"),
        ({"api_key": ""}, "api_key"),
        ({"server_id": -1}, "server_id"),
        ({"server_id": True}, "server_id"),
    ],
)
def test_client_arguments_validated(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"community_id": "c", "api_key": KEY, **kwargs}
    with pytest.raises(ValueError) as info:
        SonoranClient(args.pop("community_id"), args.pop("api_key"), **args)  # type: ignore[arg-type]
    assert getattr(info.value, "field", None) == field
    assert KEY not in str(info.value)
