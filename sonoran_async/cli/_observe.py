"""What a job run from cron shows its operators: `--log-format json` (one JSON object per
line on stderr, the key never in it) and `--metrics-port` (Prometheus metrics for the
run, served from the event loop)."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Final

import orjson

from .._errors import references_of
from ._common import ENV_API_KEY, EXIT_FAILED, UsageError, positive_int
from ._report import library_logs_to

if TYPE_CHECKING:
    from rich.console import Console

    from .._client import SonoranClient

#: Fields of a log record (`extra=`) that a JSON line carries when they are set.
RECORD_FIELDS: Final = ("sonoran_event", "request_id", "trace_id")
#: The logger the command's own lines go to in JSON mode.
CLI_LOGGER: Final = "sonoran_async.cli"


def log_options() -> argparse.ArgumentParser:
    """Parent parser: `--log-format`."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("logs")
    group.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="stderr as text for a person (default), or json: one JSON object per line "
        "(time, level, logger, message, and Sonoran's request_id / traceId when a reply "
        "gave one)",
    )
    return parser


def metrics_options() -> argparse.ArgumentParser:
    """Parent parser: `--metrics-port` and `--metrics-host`."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("metrics")
    group.add_argument(
        "--metrics-port",
        type=port_number,
        metavar="N",
        help="serve Prometheus metrics at http://HOST:N/metrics while the command runs "
        "(needs the [metrics] extra)",
    )
    group.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address --metrics-port listens on (default: 127.0.0.1; 0.0.0.0 for all)",
    )
    return parser


def port_number(value: str) -> int:
    """A TCP port to listen on: 1-65535 (argparse names the option on an error)."""
    port = positive_int(value)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, got {value}")
    return port


# --- JSON lines ----------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per record; every text value has `secret` cut out."""

    def __init__(self, secret: str = "") -> None:
        super().__init__()
        self._secret = secret

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in RECORD_FIELDS:
            if (value := getattr(record, name, None)) is not None:
                entry[name] = value
        if record.exc_info and (error := record.exc_info[1]) is not None:
            entry["error"] = type(error).__name__
            entry.update(references_of(error))
            entry["traceback"] = self.formatException(record.exc_info)
        if self._secret:
            entry = {
                k: v.replace(self._secret, "***") if isinstance(v, str) else v
                for k, v in entry.items()
            }
        return orjson.dumps(entry).decode()


class _LinesToLog(io.StringIO):
    """A console's text, logged line by line (the level read from how a line starts)."""

    def __init__(self) -> None:
        super().__init__()
        self._logger = logging.getLogger(CLI_LOGGER)
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            if line := line.rstrip():
                self._logger.log(_level_of(line), line)
        return len(text)


def _level_of(line: str) -> int:
    head = line.split(":", 1)[0].lower()
    if head == "error":
        return logging.ERROR
    if head in ("warning", "rate limited", "sigint", "sigterm"):
        return logging.WARNING
    return logging.INFO


def stderr_console(args: argparse.Namespace) -> Console:
    """The command's stderr console: rich text, or (json) one JSON line per line."""
    from rich.console import Console

    if args.log_format != "json":
        return Console(stderr=True)
    return Console(
        file=_LinesToLog(), width=10_000, soft_wrap=True, highlight=False, color_system=None
    )


@contextlib.contextmanager
def library_logs(args: argparse.Namespace, console: Console) -> Iterator[None]:
    """While the command runs: the library's warnings on the console (text), or every
    record as a JSON line on stderr (json, the per-429 lines and their request_id
    included, and an unexpected error's traceback: exit 1); the logger is restored
    afterwards."""
    if args.log_format != "json":
        with library_logs_to(console):
            yield
        return
    with json_logs(sys.stderr, secret=args.api_key or os.environ.get(ENV_API_KEY) or ""):
        try:
            yield
        except UsageError:
            raise
        except Exception:  # a bug: still one JSON line (key cut out), not a raw traceback
            logging.getLogger(CLI_LOGGER).exception("unexpected error; stopped")
            raise SystemExit(EXIT_FAILED) from None


@contextlib.contextmanager
def json_logs(stream: IO[str], *, secret: str = "") -> Iterator[None]:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secret))
    library, cli = logging.getLogger("sonoran_async"), logging.getLogger(CLI_LOGGER)
    saved = library.level, library.propagate, cli.level
    library.addHandler(handler)
    library.setLevel(logging.WARNING)
    library.propagate = False
    cli.setLevel(logging.INFO)
    try:
        yield
    finally:
        library.removeHandler(handler)
        library.setLevel(saved[0])
        library.propagate = saved[1]
        cli.setLevel(saved[2])


def log_error(args: argparse.Namespace, message: str) -> None:
    """An error line on stderr: text, or a JSON line."""
    if getattr(args, "log_format", "text") == "json":
        logging.getLogger(CLI_LOGGER).error(message)
    else:
        print(f"error: {message}", file=sys.stderr)


# --- metrics -------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def metrics_served(args: argparse.Namespace, client: SonoranClient) -> AsyncIterator[None]:
    """With `--metrics-port`: the client's metrics over HTTP until the block ends."""
    port: int | None = getattr(args, "metrics_port", None)
    if port is None:
        yield
        return
    try:
        from prometheus_client import CollectorRegistry

        from ..metrics import SonoranCollector, serve_metrics
    except ImportError:
        raise UsageError(
            "--metrics-port needs prometheus-client: pip install 'sonoran-async[metrics]'"
        ) from None
    registry = CollectorRegistry()
    registry.register(SonoranCollector(client))
    async with contextlib.AsyncExitStack() as stack:
        try:
            url = await stack.enter_async_context(
                serve_metrics(registry, host=args.metrics_host, port=port)
            )
        except OSError as exc:  # the port is taken, the address is not this host's
            raise UsageError(f"--metrics-port {port}: {exc.strerror or exc}") from None
        logging.getLogger(CLI_LOGGER).info("metrics at %s", url)
        yield
