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
from ._endpoints import ENDPOINTS, Endpoint, Lookup, Merge, V2Route
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
from ._habits import MultiObject
from ._live_methods import PlateReport
from ._lookup_cache import LookupCache, LookupCacheStats
from ._lookups import (
    CharactersQuery,
    Identifiers,
    IdentifiersQuery,
    LookupIntQuery,
    LookupQuery,
    LookupResult,
    Record,
    RecordField,
    RecordSection,
    RecordType,
    SearchType,
)
from ._mirror import LiveMirror, MirrorStats
from ._mirror_apply import Change
from ._models import Call911, CallsQuery, CloseCall, DispatchEdit, NewDispatch, Remove911, Request
from ._policies import (
    TOKEN_KEY,
    BatchPolicy,
    RateLimit,
    ReconcilePolicy,
    RetryPolicy,
)
from ._ratelimit import Limiter, LocalLimiter
from ._redis import RedisLimiterError, RedisRateLimit  # needs the redis package only when used
from ._replies import CallNote, CallsSnapshot, DispatchCall, EmergencyCall
from ._state import ClientState
from ._stats import ClientStats, TypeStats
from ._transport import AiohttpTransport, PostTransport, Reply, RequestTransport, Transport
from ._units import ActiveUnitsQuery, UnitCommand, UnitPanicUpdate, UnitStatusUpdate
from ._versions import V2Budgets

__version__ = "0.1.0"

__all__ = [
    "ActiveUnitsQuery",
    "AddCallNote",
    "AiohttpTransport",
    "ApiError",
    "ApiNotEnabledError",
    "AttachUnits",
    "BatchPolicy",
    "Call911",
    "CallNotFoundError",
    "CallNote",
    "CallStatus",
    "CallType",
    "CallsQuery",
    "CallsSnapshot",
    "Change",
    "CharactersQuery",
    "ClientClosedError",
    "ClientState",
    "ClientStats",
    "Clock",
    "CloseCall",
    "Coordinates",
    "DEFAULT_BASE_URL",
    "DeliveryTimeoutError",
    "DetachUnits",
    "DispatchCall",
    "DispatchEdit",
    "ENDPOINTS",
    "EmergencyCall",
    "Endpoint",
    "EndpointNotEnabledError",
    "Identifiers",
    "IdentifiersQuery",
    "InvalidApiKeyError",
    "InvalidCommunityIdError",
    "InvalidRequestTypeError",
    "Limiter",
    "LiveMirror",
    "LocalLimiter",
    "LocationUpdate",
    "Lookup",
    "LookupCache",
    "LookupCacheStats",
    "LookupIntQuery",
    "LookupQuery",
    "LookupResult",
    "Merge",
    "MirrorStats",
    "MissingEditableFieldsError",
    "MultiObject",
    "NewDispatch",
    "Origin",
    "OutcomeUnknownError",
    "Plan",
    "PlateReport",
    "PostTransport",
    "ProtocolError",
    "QueueFullError",
    "RateLimit",
    "RateLimitedError",
    "ReconcilePolicy",
    "Record",
    "RecordField",
    "RecordSection",
    "RecordType",
    "RedisLimiterError",
    "RedisRateLimit",
    "Remove911",
    "Reply",
    "Request",
    "RequestTransport",
    "RetryPolicy",
    "SearchType",
    "ServerNotFoundError",
    "SetCallPostal",
    "SetCallPrimary",
    "SonoranClient",
    "SonoranError",
    "SystemClock",
    "TOKEN_KEY",
    "Transport",
    "TransportError",
    "TypeStats",
    "UnitCommand",
    "UnitLocation",
    "UnitPanicUpdate",
    "UnitStatus",
    "UnitStatusUpdate",
    "V2Budgets",
    "V2Route",
    "ValidationError",
    "VersionQuery",
    "__version__",
]
