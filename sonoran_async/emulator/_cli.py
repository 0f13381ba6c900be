"""``sonoran-async emulate``: run the emulator from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ._app import MULTI_MODES, PLANS, plan_rank
from ._faults import Faults
from ._push import check_push_url
from ._server import Emulator


def _plan(value: str) -> str:
    try:
        plan_rank(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _probability(value: str) -> float:
    try:
        p = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError(f"probability must be from 0 to 1, got {value}")
    return p


def _non_negative(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
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
    x = _non_negative(value)
    if x == 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return x


def add_emulate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to ``parser``."""
    plans = ", ".join(PLANS)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    parser.add_argument("--community-id", default="demo", help="community id to accept")
    parser.add_argument("--api-key", default="demo-key", help="API key to accept")
    parser.add_argument("--plan", type=_plan, default="PRO", help=f"community plan ({plans})")
    parser.add_argument(
        "--server-id",
        dest="server_ids",
        type=int,
        action="append",
        default=None,
        help="a server id that exists (repeat for several; default 1)",
    )
    parser.add_argument(
        "--multi",
        choices=MULTI_MODES,
        default="per_item",
        help="how a request with several data objects is answered: per_item (one line "
        "each), first_only (data[0] only), all_one_line (all applied, one line), "
        "all_then_400 (applied in order up to a bad one, then 400) (default: per_item)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive,
        default=None,
        metavar="REQS_PER_SECOND",
        help="answer 429 above this many requests per second (default: no limit)",
    )
    parser.add_argument(
        "--latency", type=_non_negative, default=0.0, metavar="MS", help="added to each reply"
    )
    parser.add_argument(
        "--close-call-plan",
        type=_plan,
        default="STANDARD",
        help="plan CLOSE_CALL requires (its page says STANDARD, the plan table PLUS)",
    )
    parser.add_argument(
        "--disable-api", action="store_true", help="answer API IS NOT ENABLED FOR THIS COMMUNITY"
    )
    parser.add_argument(
        "--push-url",
        type=_push_url,
        default=None,
        metavar="URL",
        help="push the events of what the API changes (EVENT_911, EVENT_REMOVE_911, "
        "dispatch events) to this listener, e.g. http://127.0.0.1:30120/sonorancad/event",
    )
    faults = parser.add_argument_group("fault injection (probabilities per request, 0 to 1)")
    faults.add_argument("--fault-503", type=_probability, default=0.0, metavar="P")
    faults.add_argument("--fault-500", type=_probability, default=0.0, metavar="P")
    faults.add_argument(
        "--fault-500-after", type=_probability, default=0.0, metavar="P", help="apply, then 500"
    )
    faults.add_argument(
        "--fault-reset", type=_probability, default=0.0, metavar="P", help="reset, not applied"
    )
    faults.add_argument(
        "--fault-reset-after", type=_probability, default=0.0, metavar="P", help="apply, reset"
    )
    faults.add_argument("--fault-slow", type=_probability, default=0.0, metavar="P")
    faults.add_argument(
        "--fault-429", type=_probability, default=0.0, metavar="P", help="429, Retry-After: 1"
    )
    faults.add_argument("--slow-seconds", type=_non_negative, default=1.0, metavar="S")
    faults.add_argument("--seed", type=int, default=None, metavar="N", help="fault RNG seed")


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
        push_url=args.push_url,
    )
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
