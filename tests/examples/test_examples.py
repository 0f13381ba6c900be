"""The examples run as a user would run them, against the emulator."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from sonoran_async import BatchPolicy, SonoranClient
from sonoran_async.cli import read_lines
from sonoran_async.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


ingest_script = load("ingest_script")


def test_the_ingest_script_reports_every_line_against_the_emulator() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "ingest_script.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr  # the sample holds two lines that are refused
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"line 1: created \(call id \d+\)", lines[0])
    assert re.fullmatch(r"line 2: created \(call id \d+\)", lines[1])
    assert lines[2] == "line 3: refused (invalid: caller: must not be empty)"
    assert lines[3].startswith("line 4: refused (ServerNotFoundError:")
    assert lines[4] == "2 created, 2 refused, 0 unknown"


def test_the_ingest_script_reads_a_file_and_exits_0_when_all_are_created(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text('{"caller": "A", "location": "B"}\n\n{"caller": "C", "location": "D"}\n')
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "ingest_script.py"), str(calls)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "2 created, 0 refused, 0 unknown"


async def test_a_reply_that_proves_nothing_is_unknown_and_the_calls_may_exist() -> None:
    lines = ['{"caller": "A", "location": "B"}', "not json", '{"caller": "C", "location": "D"}']
    async with Emulator() as emulator:
        emulator.inject("500_after")  # applies the request, then answers 500
        async with SonoranClient(
            "demo", "demo-key", base_url=emulator.url, batch=BatchPolicy(max_items=100)
        ) as cad:
            outcomes = await ingest_script.ingest(cad, ingest_script.sample_chunks(lines))
        created = len(emulator.state.emergency_calls)
    assert [(o.line, o.status) for o in outcomes] == [
        (1, "unknown"),
        (2, "refused"),
        (3, "unknown"),
    ]
    assert created == 2  # "unknown" was the honest answer: both calls exist


async def test_the_ingest_script_reads_lines_exactly_as_the_command_line(tmp_path: Path) -> None:
    """Issue 24, item 8: `is_emergency` was dropped (an EMERGENCY call was created) and
    metaData ignored; the script now uses the command line's reader and parser."""
    calls = tmp_path / "calls.jsonl"
    calls.write_bytes(
        b"\xef\xbb\xbf"  # a byte order mark, skipped
        b'{"caller": "A", "location": "B", "is_emergency": false}\n'
        b'{"caller": "C", "location": "D", "metaData": {"postal": "2045"}}\n'
        b"\n"
        b'{"caller": "E", "location": "F", "isEmergency": false}'  # no final newline
    )
    async with Emulator() as emulator:
        async with SonoranClient("demo", "demo-key", base_url=emulator.url) as cad:
            outcomes = await ingest_script.ingest(cad, read_lines(calls))
        records = list(emulator.state.emergency_calls.values())
    assert [(o.line, o.status) for o in outcomes] == [
        (1, "refused"),
        (2, "created"),
        (4, "created"),
    ]
    assert "unknown key 'is_emergency' (keys are camelCase: use 'isEmergency')" in (
        outcomes[0].detail
    )
    by_caller = {r["caller"]: r for r in records}
    assert set(by_caller) == {"C", "E"}
    assert by_caller["C"]["metaData"] == {"postal": "2045"}
    assert by_caller["E"]["isEmergency"] is False


def test_the_ingest_script_says_in_one_line_that_a_file_is_missing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "ingest_script.py"), str(tmp_path / "nope.jsonl")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr == f"error: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory\n"
    )


def test_the_fixtures_example_passes_in_a_fresh_project(tmp_path: Path) -> None:
    """Outside the repository, with no pytest configuration: pytest-asyncio's strict mode."""
    shutil.copy(EXAMPLES / "test_with_fixtures.py", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_with_fixtures.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b4 passed\b", done.stdout), done.stdout[-3000:]
    assert f"rootdir: {tmp_path}\n" in done.stdout  # no configuration file was found
    assert "mode=Mode.STRICT" in done.stdout or "mode=strict" in done.stdout
