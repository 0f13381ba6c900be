"""``sonoran-async emulate``: run the emulator from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import signal
import sys
from collections.abc import Callable, Mapping

from ._core import MULTI_MODES, PLANS, plan_rank
from ._envelope import DEFAULT_MAX_DEPTH, DEFAULT_MAX_STRING
from ._faults import Faults
from ._push import check_push_url
from ._server import ACCESS_LOG, Emulator
from ._state import DEFAULT_LOG_SIZE


def _plan(value: str) -> str:
    try:
        plan_rank(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _number(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {value}")
    return x


def _probability(value: str) -> float:
    p = _number(value)
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError(f"probability must be from 0 to 1, got {value}")
    return p


def _non_negative(value: str) -> float:
    x = _number(value)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return x


def _push_url(value: str) -> str:
    try:
        check_push_url(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _positive(value: str) -> float:
    x = _number(value)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return x


def _integer(value: str, low: int, high: int | None = None) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if n < low or (high is not None and n > high):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
    return n


def _port(value: str) -> int:
    return _integer(value, 0, 65535)


def _at_least(low: int) -> Callable[[str], int]:
    def check(value: str) -> int:
        return _integer(value, low)

    return check


def _server_id_list(value: str) -> list[int]:
    return [_integer(part.strip(), 0) for part in value.split(",")]


def add_emulate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to ``parser``; every help text shows its default."""
    plans = ", ".join(PLANS)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=_port, default=8080, help="port, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--community-id", default="demo", help="community id to accept (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key", default="demo-key", help="API key to accept (default: %(default)s)"
    )
    parser.add_argument(
        "--plan", type=_plan, default="PRO", help=f"community plan: {plans} (default: %(default)s)"
    )
    parser.add_argument(
        "--server-ids",
        dest="server_ids",
        type=_server_id_list,
        action="extend",
        default=None,
        metavar="ID[,ID...]",
        help="the server ids that exist, comma-separated (default: 1)",
    )
    parser.add_argument(
        "--server-id",
        dest="server_ids",
        type=_at_least(0),
        action="append",
        metavar="ID",
        help="one server id that exists; repeat for several (default: 1)",
    )
    parser.add_argument(
        "--multi",
        choices=MULTI_MODES,
        default="per_item",
        help="how a request with several data objects is answered: per_item (one line "
        "each), first_only (data[0] only), all_one_line (all applied, one line), "
        "all_then_400 (applied in order up to a bad one, then 400) (default: %(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive,
        default=None,
        metavar="REQS_PER_SECOND",
        help="answer 429 above this many requests per second (default: no limit)",
    )
    parser.add_argument(
        "--latency",
        type=_non_negative,
        default=0.0,
        metavar="MS",
        help="milliseconds added to every reply (default: %(default)s)",
    )
    parser.add_argument(
        "--close-call-plan",
        type=_plan,
        default="STANDARD",
        help="plan CLOSE_CALL requires; its page says STANDARD, the plan table PLUS "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--disable-api",
        action="store_true",
        help="answer API IS NOT ENABLED FOR THIS COMMUNITY (default: enabled)",
    )
    parser.add_argument(
        "--v2-published-limits",
        action="store_true",
        help="apply Sonoran's published per-minute limits to the v2 routes (default: none)",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log one INFO line per request to stderr, never a key (default: off)",
    )
    parser.add_argument(
        "--push-url",
        type=_push_url,
        default=None,
        metavar="URL",
        help="push the events of what the API changes (EVENT_911, EVENT_REMOVE_911, "
        "dispatch events) to this listener, e.g. http://127.0.0.1:30120/sonorancad/event "
        "(default: none)",
    )
    parser.add_argument(
        "--log-size",
        type=_at_least(1),
        default=DEFAULT_LOG_SIZE,
        metavar="N",
        help="applied changes kept in the state's log ring (default: %(default)s)",
    )
    limits = parser.add_argument_group("limits (a clear 4xx beyond them)")
    limits.add_argument(
        "--max-body-bytes",
        type=_at_least(1),
        default=1 << 20,
        metavar="N",
        help="request body size, after Content-Encoding (default: %(default)s)",
    )
    limits.add_argument(
        "--max-depth",
        type=_at_least(2),
        default=DEFAULT_MAX_DEPTH,
        metavar="N",
        help="JSON nesting depth (default: %(default)s)",
    )
    limits.add_argument(
        "--max-string",
        type=_at_least(1),
        default=DEFAULT_MAX_STRING,
        metavar="N",
        help="characters in one JSON string (default: %(default)s)",
    )
    faults = parser.add_argument_group(
        "fault injection (probabilities per request, 0 to 1, adding up to at most 1)"
    )
    for flag, what in (
        ("--fault-503", "answer 503, not applied"),
        ("--fault-500", "answer 500, not applied"),
        ("--fault-500-after", "apply, then answer 500"),
        ("--fault-reset", "reset the connection, not applied"),
        ("--fault-reset-after", "apply, then reset the connection"),
        ("--fault-slow", "answer after --slow-seconds"),
        ("--fault-429", "answer 429 with Retry-After: 1, not applied"),
    ):
        faults.add_argument(
            flag,
            type=_probability,
            default=0.0,
            metavar="P",
            help=f"{what} (default: %(default)s)",
        )
    faults.add_argument(
        "--slow-seconds",
        type=_non_negative,
        default=1.0,
        metavar="S",
        help="delay of a slow fault (default: %(default)s)",
    )
    faults.add_argument(
        "--seed", type=int, default=None, metavar="N", help="fault RNG seed (default: random)"
    )


def _v2_limits(published: bool) -> Mapping[str, float] | None:
    if not published:
        return None
    try:
        from ._v2 import PUBLISHED_LIMITS
    except ImportError:  # the v2 routes are not served at all then
        return None
    return PUBLISHED_LIMITS


async def _serve(args: argparse.Namespace) -> None:
    faults = Faults(
        error_503=args.fault_503,
        error_500=args.fault_500,
        error_500_after=args.fault_500_after,
        reset_before=args.fault_reset,
        reset_after=args.fault_reset_after,
        slow=args.fault_slow,
        rate_limited=args.fault_429,
        slow_seconds=args.slow_seconds,
        seed=args.seed,
    )
    emulator = Emulator(
        args.community_id,
        args.api_key,
        plan=args.plan,
        server_ids=tuple(args.server_ids or (1,)),
        multi=args.multi,
        rate_limit=args.rate_limit,
        latency=args.latency / 1000.0,
        faults=faults,
        host=args.host,
        port=args.port,
        api_enabled=not args.disable_api,
        close_call_plan=args.close_call_plan,
        max_body_bytes=args.max_body_bytes,
        max_depth=args.max_depth,
        max_string=args.max_string,
        log_size=args.log_size,
        v2_limits=_v2_limits(args.v2_published_limits),
        access_log=args.access_log,
        push_url=args.push_url,
    )
    if args.access_log:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        ACCESS_LOG.addHandler(handler)
        ACCESS_LOG.setLevel(logging.INFO)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with emulator:
        print(f"Sonoran CAD emulator listening on {emulator.url}", flush=True)
        await stop.wait()
        stats = emulator.stats
        print(
            f"Stopping: {stats.requests} requests, {stats.objects} objects applied, "
            f"{stats.rate_limited} rate limited, {stats.faults} faults injected",
            flush=True,
        )


def run_emulate(args: argparse.Namespace) -> int:
    """Run the emulator until Ctrl-C or SIGTERM; return the exit code."""
    try:
        faults_total = (
            args.fault_503
            + args.fault_500
            + args.fault_500_after
            + args.fault_reset
            + args.fault_reset_after
            + args.fault_slow
            + args.fault_429
        )
        if faults_total > 1.0 + 1e-9:
            print("error: fault probabilities add up to more than 1", file=sys.stderr)
            return 2
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args))
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sonoran_async.emulator",
        description="Run a local Sonoran CAD v1 emergency API emulator.",
    )
    add_emulate_arguments(parser)
    return run_emulate(parser.parse_args(argv))
