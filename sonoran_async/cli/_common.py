"""What the commands share: exit codes, option types, parent parsers, credentials and
`connect` (a client for `--url`, or for a built-in emulator)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .. import BatchPolicy, RateLimit, ReconcilePolicy, SonoranClient, ValidationError
    from .._ratelimit import Limiter
    from ..emulator import Emulator

ENV_COMMUNITY_ID = "SONORAN_COMMUNITY_ID"
ENV_API_KEY = "SONORAN_API_KEY"
ENV_REDIS_URL = "SONORAN_REDIS_URL"
EMULATOR_COMMUNITY_ID = "demo"
EMULATOR_API_KEY = "demo-key"

#: Exit codes: 0 success, 1 some work failed, 2 bad usage or unusable input; an
#: interrupted command exits 128 + the signal's number (130 SIGINT, 143 SIGTERM).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line (exit code 2)."""


# --- shared options ------------------------------------------------------------------------


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return n


def non_negative_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not x >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return x


def connection_options() -> argparse.ArgumentParser:
    """Parent parser: where to send (`--url`, credentials, default server id)."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group(
        "connection",
        "Without --url the command runs against a built-in emulator on loopback "
        f"(community {EMULATOR_COMMUNITY_ID!r}, key {EMULATOR_API_KEY!r}), so you can try it "
        "offline.",
    )
    group.add_argument(
        "--url",
        metavar="URL",
        help="API base URL, e.g. https://api.sonorancad.com (default: a built-in emulator)",
    )
    group.add_argument(
        "--community-id",
        metavar="ID",
        help=f"community id (default: ${ENV_COMMUNITY_ID})",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"API key (default: ${ENV_API_KEY}; prefer the variable: it stays out of "
        "your shell history). It is never printed.",
    )
    group.add_argument(
        "--server-id",
        type=int,
        default=1,
        metavar="N",
        help="server id used for every object that does not name one (default: 1)",
    )
    group.add_argument(
        "--api-version",
        type=int,
        choices=(1, 2),
        default=1,
        help="Sonoran's API to speak: 1 (default) or 2, the v2 REST API",
    )
    return parser


def rate_options(default_rate: float = 1.0) -> argparse.ArgumentParser:
    """Parent parser: the client's request budget."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("request rate")
    group.add_argument(
        "--rate-limit",
        type=non_negative_float,
        default=default_rate,
        metavar="REQS_PER_SECOND",
        help=f"client-side request budget, shared by all request types (default: "
        f"{default_rate:g}, Sonoran's guidance; 0 turns the limiter off)",
    )
    group.add_argument(
        "--burst",
        type=positive_int,
        default=5,
        metavar="N",
        help="requests that may go out at once before the rate applies (default: 5)",
    )
    group.add_argument(
        "--redis-url",
        metavar="URL",
        default=os.environ.get(ENV_REDIS_URL),
        help=f"share the budget with every process using the same Redis (redis:// or "
        f"rediss://; default: ${ENV_REDIS_URL}; needs the [redis] extra)",
    )
    group.add_argument(
        "--redis-on-error",
        choices=("raise", "local"),
        default="raise",
        help="when Redis fails: fail the requests (raise, the default) or fall back to a "
        "local budget at a quarter of the rate (local)",
    )
    return parser


def rate_limit_from(args: argparse.Namespace) -> RateLimit | Limiter | None:
    """The budget the options describe: none, this process's, or one shared in Redis."""
    from .. import RateLimit

    if args.redis_url:
        if args.rate_limit == 0:
            raise UsageError("--redis-url needs a --rate-limit above 0 to share")
        try:
            from .. import RedisRateLimit

            return RedisRateLimit(
                args.redis_url,
                per_second=args.rate_limit,
                burst=args.burst,
                on_error=args.redis_on_error,
            )
        except (ImportError, ValueError) as exc:  # no redis package; a bad URL
            raise UsageError(f"--redis-url: {exc}") from None
    if args.rate_limit == 0:
        return None
    return RateLimit(per_second=args.rate_limit, burst=args.burst)


def usage_error(exc: ValidationError) -> UsageError:
    """A model's complaint about a value that came from an option, naming the option."""
    return UsageError(f"--{exc.field.replace('_', '-')}: {exc.message}")


def credentials(args: argparse.Namespace) -> tuple[str, str]:
    """Community id and key from the options, then the environment, then the emulator's."""
    community_id = args.community_id or os.environ.get(ENV_COMMUNITY_ID)
    api_key = args.api_key or os.environ.get(ENV_API_KEY)
    if args.url is None:
        return community_id or EMULATOR_COMMUNITY_ID, api_key or EMULATOR_API_KEY
    missing = [
        f"--community-id (or ${ENV_COMMUNITY_ID})" if not community_id else "",
        f"--api-key (or ${ENV_API_KEY})" if not api_key else "",
    ]
    if any(missing):
        raise UsageError(f"--url needs {' and '.join(m for m in missing if m)}")
    assert community_id is not None and api_key is not None
    return community_id, api_key


@contextlib.asynccontextmanager
async def connect(
    args: argparse.Namespace,
    *,
    batch: BatchPolicy | None = None,
    rate_limit: RateLimit | Limiter | None = None,
    close_timeout: float = 10.0,
    reconcile: ReconcilePolicy | None = None,
) -> AsyncIterator[tuple[SonoranClient, Emulator | None]]:
    """A client for `--url`, or for a built-in emulator started here (yielded too)."""
    from .. import ReconcilePolicy, SonoranClient
    from ..emulator import Emulator

    community_id, api_key = credentials(args)
    if args.server_id < 0:
        raise UsageError("--server-id must be >= 0")
    emulator: Emulator | None = None
    url = args.url
    async with contextlib.AsyncExitStack() as stack:
        if url is None and args.api_version == 2 and not _emulator_serves_v2():
            from ..emulator._app import NO_V2

            raise UsageError(f"--api-version 2: {NO_V2} (the built-in emulator's v2 routes)")
        if url is None:
            server_ids = sorted({1, args.server_id})
            emulator = await stack.enter_async_context(
                Emulator(community_id, api_key, server_ids=server_ids)
            )
            url = emulator.url
        try:
            client = SonoranClient(
                community_id,
                api_key,
                base_url=url,
                server_id=args.server_id,
                api_version=args.api_version,
                batch=batch,
                rate_limit=rate_limit,
                close_timeout=close_timeout,
                reconcile=reconcile or ReconcilePolicy(),
            )
        except ValueError as exc:  # a bad URL; the message never holds the key
            raise UsageError(str(exc).replace("base_url", "--url")) from None
        await stack.enter_async_context(client)
        yield client, emulator


def _emulator_serves_v2() -> bool:
    try:  # what the emulator imports for its v2 routes (the [emulator] extra)
        importlib.import_module("sonoran_async.emulator._v2")
    except ImportError:
        return False
    return True


def target_label(args: argparse.Namespace, emulator: Emulator | None) -> str:
    if emulator is not None:
        return f"built-in emulator at {emulator.url}"
    return str(args.url)
