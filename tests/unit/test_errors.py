"""The error hierarchy and the mapping of every documented reply text."""

from __future__ import annotations

import copy
import pickle

import pytest

import sonoran_async
from sonoran_async import (
    ApiError,
    ApiNotEnabledError,
    CallNotFoundError,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    InvalidCommunityIdError,
    InvalidRequestTypeError,
    MissingEditableFieldsError,
    RateLimitedError,
    ServerNotFoundError,
    SonoranError,
    TransportError,
    ValidationError,
)
from sonoran_async._errors import error_from_text, for_caller

DOCUMENTED: list[tuple[str, type[ApiError]]] = [
    ("INVALID REQUEST TYPE", InvalidRequestTypeError),
    ("INVALID COMMUNITY ID", InvalidCommunityIdError),
    ("API IS NOT ENABLED FOR THIS COMMUNITY", ApiNotEnabledError),
    ("INVALID API KEY", InvalidApiKeyError),
    ("API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY", EndpointNotEnabledError),
    ("Server not found with ID: 3", ServerNotFoundError),
    ("Call not found with ID: 9", CallNotFoundError),
    (
        "ERROR: Missing editable dispatch fields. Provide at least one field to update.",
        MissingEditableFieldsError,
    ),
]


@pytest.mark.parametrize(("text", "cls"), DOCUMENTED, ids=[t for t, _ in DOCUMENTED])
def test_documented_text_maps_to_its_class(text: str, cls: type[ApiError]) -> None:
    error = error_from_text(400, text)
    assert error is not None
    assert type(error) is cls
    assert (error.status, error.text) == (400, text)
    assert str(error) == f"HTTP 400: {text}"


@pytest.mark.parametrize(("text", "cls"), DOCUMENTED, ids=[t for t, _ in DOCUMENTED])
def test_error_prefix_and_whitespace_still_map(text: str, cls: type[ApiError]) -> None:
    prefixed = text if text.startswith("ERROR") else f"ERROR: {text}"
    error = error_from_text(200, f"  {prefixed}\r\n")
    assert error is not None
    assert type(error) is cls
    assert error.status == 200
    assert error.text == prefixed  # stripped, prefix kept


@pytest.mark.parametrize("text", ["ERROR: database exploded", "error: x", "ERROR :x"])
def test_unknown_error_prefixed_text_is_plain_api_error(text: str) -> None:
    error = error_from_text(400, text)
    assert type(error) is ApiError
    assert error.text == text.strip()
    assert error.fatal is False


@pytest.mark.parametrize(
    "text",
    [
        "Something else went wrong",
        "",
        "<html>403 Forbidden</html>",
        "Cloudflare Ray ID: 7d1f00000",
        "Backend Service Reached",
        "Server not found with ID: three",
        "ERRORS happen",
        "ERROR",
        "ERROR 1020 Ray ID: 7d1f",
        "ERROR: <html>blocked</html>",
    ],
)
def test_text_that_states_no_documented_error_is_no_error(text: str) -> None:
    # Not proof of failure either: the caller decides (unknown for creates).
    assert error_from_text(400, text) is None


def test_documented_text_is_recognised_case_insensitively() -> None:
    error = error_from_text(400, "invalid api key")
    assert isinstance(error, InvalidApiKeyError)


def test_envelope_text_takes_precedence_over_patterns() -> None:
    # "API ENDPOINT ..." must not become ApiNotEnabledError (the fatal one).
    error = error_from_text(400, "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY")
    assert isinstance(error, EndpointNotEnabledError) and not error.fatal


def test_fatal_exactly_for_community_id_api_disabled_and_key() -> None:
    fatal = {cls for _, cls in DOCUMENTED if cls.fatal}
    assert fatal == {InvalidCommunityIdError, ApiNotEnabledError, InvalidApiKeyError}
    for text, cls in DOCUMENTED:
        error = error_from_text(400, text)
        assert error is not None
        assert error.fatal is (
            cls in (InvalidCommunityIdError, ApiNotEnabledError, InvalidApiKeyError)
        )
    assert ApiError.fatal is False


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ERROR: Server not found with ID: 3", ServerNotFoundError),
        ("error: x", ApiError),
        ("EMERGENCY CALL ADDED ID: 3", None),
    ],
)
def test_error_lines(line: str, expected: type[ApiError] | None) -> None:
    error = error_from_text(200, line)
    assert (type(error) if error is not None else None) is expected


EXPORTED = [
    "SonoranError",
    "ApiError",
    "InvalidRequestTypeError",
    "InvalidCommunityIdError",
    "ApiNotEnabledError",
    "InvalidApiKeyError",
    "EndpointNotEnabledError",
    "ServerNotFoundError",
    "CallNotFoundError",
    "MissingEditableFieldsError",
    "RateLimitedError",
    "TransportError",
    "OutcomeUnknownError",
    "ProtocolError",
    "ClientClosedError",
    "QueueFullError",
    "ValidationError",
]


@pytest.mark.parametrize("name", EXPORTED)
def test_error_is_exported_and_rooted(name: str) -> None:
    cls = getattr(sonoran_async, name)
    assert name in sonoran_async.__all__
    assert issubclass(cls, SonoranError)
    assert issubclass(cls, Exception)


def test_api_error_subclasses() -> None:
    for _, cls in DOCUMENTED:
        assert issubclass(cls, ApiError)
    assert issubclass(ValidationError, ValueError)
    assert not issubclass(ApiError, ValueError)


def test_every_public_name_in_all_is_importable() -> None:
    for name in sonoran_async.__all__:
        assert hasattr(sonoran_async, name), name


@pytest.mark.parametrize(
    "error",
    [
        ApiError(400, "boom"),
        InvalidApiKeyError(400, "INVALID API KEY"),
        ServerNotFoundError(400, "Server not found with ID: 3"),
        ValidationError("priority", "must be <= 3, got 4"),
        RateLimitedError("still limited", retry_after=2.5),
        TransportError("reset", request_sent=False, status=503),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_survive_pickle_and_copy(error: SonoranError) -> None:
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), for_caller(error)):
        assert type(clone) is type(error)
        assert str(clone) == str(error)
        assert clone.__dict__ == error.__dict__
