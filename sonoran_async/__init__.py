"""sonoran-async: a batching asyncio client for the Sonoran CAD v1 emergency API.

Concurrent calls of one request type are coalesced into one request whose `data` array
carries all their objects; each caller gets its own typed result back. An emulator of the
API ships in `sonoran_async.emulator`; the events Sonoran CAD pushes to a game server are
received with `sonoran_async.events`.
"""

from ._bridge import (
    AddCallNote,
    AttachUnits,
    Coordinates,
    DetachUnits,
    LocationUpdate,
    SetCallPostal,
    SetCallPrimary,
    UnitLocation,
    VersionQuery,
)
from ._client import DEFAULT_BASE_URL, SonoranClient
from ._clock import Clock, SystemClock
from ._endpoints import ENDPOINTS, Endpoint, Lookup, Merge
from ._enums import CallStatus, CallType, Origin, Plan, UnitStatus
from ._errors import (
    ApiError,
    ApiNotEnabledError,
    CallNotFoundError,
    ClientClosedError,
    DeliveryTimeoutError,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    InvalidCommunityIdError,
    InvalidRequestTypeError,
    MissingEditableFieldsError,
    OutcomeUnknownError,
    ProtocolError,
    QueueFullError,
    RateLimitedError,
    ServerNotFoundError,
    SonoranError,
    TransportError,
    ValidationError,
)
from ._models import Call911, CallsQuery, CloseCall, DispatchEdit, NewDispatch, Remove911, Request
from ._policies import (
    TOKEN_KEY,
    BatchPolicy,
    RateLimit,
    ReconcilePolicy,
    RetryPolicy,
    V2Budgets,
)
from ._ratelimit import Limiter, LocalLimiter
from ._redis import RedisLimiterError, RedisRateLimit  # needs the redis package only when used
from ._replies import CallNote, CallsSnapshot, DispatchCall, EmergencyCall
from ._sender import MultiObject
from ._state import ClientState
from ._stats import ClientStats, TypeStats
from ._transport import AiohttpTransport, Reply, RequestTransport, Transport

__version__ = "0.1.0"

__all__ = [
    "VersionQuery",
    "UnitLocation",
    "SetCallPrimary",
    "SetCallPostal",
    "Lookup",
    "LocationUpdate",
    "DetachUnits",
    "Coordinates",
    "AttachUnits",
    "AddCallNote",
    "TOKEN_KEY",
    "SystemClock",
    "Request",
    "ReconcilePolicy",
    "MultiObject",
    "Merge",
    "Endpoint",
    "ENDPOINTS",
    "Clock",
    "ClientState",
    "DEFAULT_BASE_URL",
    "AiohttpTransport",
    "ApiError",
    "ApiNotEnabledError",
    "BatchPolicy",
    "Call911",
    "CallNote",
    "CallNotFoundError",
    "CallStatus",
    "CallType",
    "CallsQuery",
    "CallsSnapshot",
    "ClientClosedError",
    "ClientStats",
    "CloseCall",
    "DeliveryTimeoutError",
    "DispatchCall",
    "DispatchEdit",
    "EmergencyCall",
    "EndpointNotEnabledError",
    "InvalidApiKeyError",
    "InvalidCommunityIdError",
    "InvalidRequestTypeError",
    "Limiter",
    "LocalLimiter",
    "MissingEditableFieldsError",
    "NewDispatch",
    "Origin",
    "OutcomeUnknownError",
    "Plan",
    "ProtocolError",
    "QueueFullError",
    "RateLimit",
    "RateLimitedError",
    "RedisLimiterError",
    "RedisRateLimit",
    "Remove911",
    "Reply",
    "RequestTransport",
    "RetryPolicy",
    "ServerNotFoundError",
    "SonoranClient",
    "SonoranError",
    "Transport",
    "TransportError",
    "TypeStats",
    "UnitStatus",
    "V2Budgets",
    "ValidationError",
    "__version__",
]
