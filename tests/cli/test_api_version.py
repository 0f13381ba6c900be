"""Issue 24, item 7: `--api-version {1,2}` on the command line, and v2 against an
emulator installed without its extra refused at once with the line saying what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from sonoran_async import ApiNotEnabledError, Call911, SonoranClient
from sonoran_async.cli import main
from sonoran_async.emulator import Emulator

INSTALL = "v2 needs `pip install 'sonoran-async[emulator]'`"


def write_calls(path: Path, n: int) -> None:
    path.write_bytes(
        b"".join(orjson.dumps({"caller": f"C{i}", "location": "x"}) + b"\n" for i in range(n))
    )


def test_ingest_speaks_v2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "calls.jsonl"
    write_calls(source, 3)
    assert main(["ingest", str(source), "--api-version", "2", "--json", "--rate-limit", "0"]) == 0
    data = orjson.loads(capsys.readouterr().out)
    # v1 would put the three in one request; v2 creates one call per request.
    assert (data["created"], data["requests"]) == (3, 3)


@pytest.fixture
def no_v2_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As with the core install: the emulator's v2 module cannot be imported."""
    monkeypatch.setitem(sys.modules, "sonoran_async.emulator._v2", None)


@pytest.mark.usefixtures("no_v2_extra")
def test_the_command_line_refuses_v2_without_the_extra_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "calls.jsonl"
    write_calls(source, 1)
    with pytest.raises(SystemExit) as info:
        main(["ingest", str(source), "--api-version", "2"])
    assert info.value.code == 2
    [line] = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert INSTALL in line


@pytest.mark.usefixtures("no_v2_extra")
async def test_a_v2_client_on_an_emulator_without_the_extra_is_refused_with_one_line() -> None:
    async with (
        Emulator() as emu,
        SonoranClient("demo", "demo-key", base_url=emu.url, api_version=2) as cad,
    ):
        with pytest.raises(ApiNotEnabledError) as info:  # fatal: the client stops
            await cad.call_911(Call911(caller="a", location="b"))
    assert INSTALL in str(info.value) and "\n" not in str(info.value)
    assert emu.state.emergency_calls == {}
