"""The typed error hierarchy, and the one function that maps a server reply to an error.

No error message ever contains the API key: messages are built from the server's reply
text, the request type and field names only.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, TypeVar

import orjson

_E = TypeVar("_E", bound=BaseException)

#: Sonoran's reference ids are short hex or W3C strings; anything else is not kept.
_REFERENCE = re.compile(r"[\w.:/+=-]{1,128}", re.ASCII)
_KEYS = (("trace_id", ("traceId", "trace_id")), ("request_id", ("request_id", "requestId")))


class SonoranError(Exception):
    """Root of every error this library raises on purpose.

    `trace_id` (a problem+json body's `traceId`) and `request_id` (a 429 body's
    `request_id`) are Sonoran's references for the reply, to quote in a support ticket;
    None when the server gave none.
    """

    trace_id: str | None = None
    request_id: str | None = None


class ValidationError(SonoranError, ValueError):
    """Bad input, caught at the call site before anything is queued or sent."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str], dict[str, Any]]:
        # Without this, pickle and copy.copy call __init__ with the formatted text only.
        return (type(self), (self.field, self.message), self.__dict__)


class ApiError(SonoranError):
    """The server answered, and the answer was an error."""

    #: A fatal error means the client's credentials or community are unusable:
    #: the client stops sending and fails every later call with the same error.
    fatal: ClassVar[bool] = False

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status
        self.text = text

    def __reduce__(self) -> tuple[type[ApiError], tuple[int, str], dict[str, Any]]:
        return (type(self), (self.status, self.text), self.__dict__)  # notes included


class InvalidRequestTypeError(ApiError):
    """`INVALID REQUEST TYPE`."""


class InvalidCommunityIdError(ApiError):
    """`INVALID COMMUNITY ID`."""

    fatal = True


class ApiNotEnabledError(ApiError):
    """`API IS NOT ENABLED FOR THIS COMMUNITY`."""

    fatal = True


class InvalidApiKeyError(ApiError):
    """`INVALID API KEY`."""

    fatal = True


class EndpointNotEnabledError(ApiError):
    """`API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY`: the community's plan is too low."""


class ServerNotFoundError(ApiError):
    """`Server not found with ID: <n>`."""


class CallNotFoundError(ApiError):
    """The call id names no call the server knows (removed, closed or never created)."""


class MissingEditableFieldsError(ApiError):
    """An edit of a dispatch call was sent with no field to change."""


class RateLimitedError(SonoranError):
    """The server kept answering 429 for longer than `RetryPolicy.max_rate_limit_wait`."""

    def __init__(
        self, message: str, retry_after: float | None, *, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        if request_id is not None:
            self.request_id = request_id

    def __reduce__(
        self,
    ) -> tuple[type[RateLimitedError], tuple[str, float | None], dict[str, Any]]:
        return (type(self), (str(self.args[0]), self.retry_after), self.__dict__)


class TransportError(SonoranError):
    """The HTTP exchange itself failed (connection, timeout, 5xx) and retries ran out.

    `request_sent` says whether the request may have reached the server: False only
    when it certainly did not (for example, the connection could not be opened).
    """

    def __init__(self, message: str, *, request_sent: bool = True, status: int | None = None):
        super().__init__(message)
        self.request_sent = request_sent
        self.status = status


class OutcomeUnknownError(SonoranError):
    """A create request (CALL_911, NEW_DISPATCH) may or may not have been applied.

    It was not re-sent, since a re-send could create the call twice. Check GET_CALLS.
    """


class ProtocolError(SonoranError):
    """The server's reply fits no known contract (wrong line count, unparseable text)."""


class ClientClosedError(SonoranError):
    """The client is closed, or closed before this call could be delivered."""


class QueueFullError(SonoranError):
    """`max_pending` items are already queued and `on_full="error"` was chosen."""


class DeliveryTimeoutError(SonoranError, TimeoutError):
    """The call was still queued when its `delivery_timeout` ran out; it was never sent."""


# Exact texts first (the documented ones), then patterns for texts that carry a value.
_EXACT: dict[str, type[ApiError]] = {
    "INVALID REQUEST TYPE": InvalidRequestTypeError,
    "INVALID COMMUNITY ID": InvalidCommunityIdError,
    "API IS NOT ENABLED FOR THIS COMMUNITY": ApiNotEnabledError,
    "INVALID API KEY": InvalidApiKeyError,
    "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY": EndpointNotEnabledError,
}
_PATTERNS: tuple[tuple[re.Pattern[str], type[ApiError]], ...] = (
    (re.compile(r"server not found with id:?\s*-?\d+", re.IGNORECASE), ServerNotFoundError),
    (
        re.compile(r"missing editable dispatch fields\b.*", re.IGNORECASE),
        MissingEditableFieldsError,
    ),
    (re.compile(r"call not found with id:?\s*-?\d+", re.IGNORECASE), CallNotFoundError),
    # GET_CHARACTERS' 404 and LOOKUP's 400 (issue #25)
    (re.compile(r"api id not linked to an account\b.*", re.IGNORECASE), ApiError),
    (re.compile(r"invalid empty search", re.IGNORECASE), ApiError),
)
_ERROR_PREFIX = re.compile(r"^ERROR\s*:\s*", re.IGNORECASE)
#: Gateways and proxies write "error" too; their pages are no statement of the API's.
_PROXY_MARKS = re.compile(r"ray id|cloudflare|<", re.IGNORECASE)

#: Errors that concern the whole request rather than one object in `data`.
ENVELOPE_ERRORS: tuple[type[ApiError], ...] = tuple(_EXACT.values())


def error_from_text(status: int, text: str) -> ApiError | None:
    """The error a reply text (or one line of it) states, or None if it states none.

    An error is a documented text, with or without an `ERROR:` prefix, or any other text
    with that prefix (Sonoran's own style) that is not a gateway's or proxy's page.
    Anything else proves nothing either way.
    """
    text = text.strip()
    bare = _ERROR_PREFIX.sub("", text)
    cls = _EXACT.get(bare.upper())
    if cls is None:
        cls = next((c for pattern, c in _PATTERNS if pattern.fullmatch(bare)), None)
    if cls is None:
        if bare == text or _PROXY_MARKS.search(text):
            return None
        cls = ApiError
    return cls(status, text)


def references(body: bytes) -> dict[str, str]:
    """Sonoran's `traceId` and `request_id` in a JSON error body (problem+json, or a 429's
    `{"message", "request_id"}`), as `trace_id` / `request_id`; {} for any other body.

    Only short id-like strings are kept: a reply's text never reaches a log through here.
    """
    if not body.startswith(b"{"):
        return {}
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    if type(document) is not dict:
        return {}
    found: dict[str, str] = {}
    for name, keys in _KEYS:
        value = next((document[k] for k in keys if k in document), None)
        if type(value) is str and _REFERENCE.fullmatch(value):
            found[name] = value
    return found


def keep_references(error: BaseException | None, body: bytes) -> None:
    """Set the body's `references` on the error it was read as (if any)."""
    if isinstance(error, SonoranError):
        for name, value in references(body).items():
            setattr(error, name, value)


def references_of(error: BaseException) -> dict[str, str]:
    """An error's Sonoran references, for a log record's `extra` ({} when it has none)."""
    return {
        name: value
        for name in ("trace_id", "request_id")
        if (value := getattr(error, name, None)) is not None
    }


def quoted_references(error: BaseException) -> str:
    """` (traceId ..., request_id ...)` as Sonoran names them, for a log line; "" if none."""
    found = references_of(error)
    shown = [f"{key} {found[name]}" for name, key in _SHOWN if name in found]
    return f" ({', '.join(shown)})" if shown else ""


_SHOWN = (("trace_id", "traceId"), ("request_id", "request_id"))


def for_caller(error: _E) -> _E:
    """A fresh instance per caller, so that tracebacks do not pile up on one object.

    Built directly rather than with copy.copy: closing a client with 100,000 calls queued
    makes 100,000 of them.
    """
    cls = type(error)
    twin = cls.__new__(cls, *error.args)
    twin.args = error.args
    twin.__dict__.update(error.__dict__)  # fields, and notes
    twin.__cause__ = error.__cause__
    return twin
