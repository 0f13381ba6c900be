"""The pytest plugin ``sonoran_async.testing``."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sonoran_async.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]


async def test_sonoran_emulator_fixture(sonoran_emulator: Emulator) -> None:
    assert sonoran_emulator.url.startswith("http://127.0.0.1:")
    assert not sonoran_emulator.url.endswith("/")
    body = {"id": "demo", "key": "demo-key", "type": "GET_CALLS", "data": [{}]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(sonoran_emulator.url + "/emergency/get_calls", json=body) as resp,
    ):
        assert resp.status == 200
        assert await resp.json() == {"activeCalls": [], "emergencyCalls": [], "closedCalls": []}


async def test_factory_passes_settings(sonoran_emulator_factory: Any) -> None:
    a = await sonoran_emulator_factory(community_id="x", plan="STANDARD", multi="first_only")
    b = await sonoran_emulator_factory()
    assert a.url != b.url
    assert (a.core.community_id, a.core.plan, a.multi) == ("x", "STANDARD", "first_only")
    assert b.core.community_id == "demo"


def test_entry_point_registered() -> None:
    try:
        eps = importlib.metadata.entry_points(group="pytest11")
    except Exception:  # pragma: no cover
        pytest.skip("no entry points")
    names = {ep.name: ep.value for ep in eps}
    if "sonoran_async" not in names:
        pytest.skip("sonoran-async is not installed (pip install -e .)")
    assert names["sonoran_async"] == "sonoran_async.testing"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_plugin_in_a_user_project(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import aiohttp

            STARTED = []

            async def test_uses_factory(sonoran_emulator_factory):
                emu = await sonoran_emulator_factory(plan="PLUS")
                STARTED.append(emu)
                async with aiohttp.ClientSession() as s:
                    async with s.post(emu.url + "/x/y") as r:
                        assert r.status == 200

            def test_factory_stopped_them():
                assert STARTED and STARTED[0]._runner is None

            async def test_default(sonoran_emulator):
                assert sonoran_emulator.core.plan == "PRO"
            """
        )
    )
    plugin = ["-p", "no:sonoran_async", "-p", "sonoran_async.testing"]
    result = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *plugin,
            "-o",
            "asyncio_mode=auto",
            "test_user.py",
        ],
        tmp_path,
    )
    assert "3 passed" in result.stdout, result.stdout + result.stderr


def test_module_imports_without_pytest_asyncio(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pytest_asyncio'] = None\n"
        "import sonoran_async.testing as t\n"
        "print(hasattr(t, 'sonoran_emulator'), hasattr(t, 'sonoran_emulator_factory'))\n"
    )
    result = _run([sys.executable, "-c", code], tmp_path)
    assert result.stdout.strip() == "False False", result.stderr
