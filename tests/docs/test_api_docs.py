"""The API reference builds from the docstrings with `mkdocs build --strict` (no warning)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_builds_without_warnings_and_documents_the_public_api(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    client = (tmp_path / "reference" / "client" / "index.html").read_text()
    names = ("SonoranClient.call_911", "SonoranClient.submit", "BatchPolicy", "Call911")
    for name in (*names, "RedisRateLimit"):
        assert f'id="sonoran_async.{name}"' in client, name
    emulator = (tmp_path / "reference" / "emulator" / "index.html").read_text()
    assert 'id="sonoran_async.emulator.Emulator"' in emulator
    events = (tmp_path / "reference" / "events" / "index.html").read_text()
    assert 'id="sonoran_async.events.EventReceiver"' in events
    testing = (tmp_path / "reference" / "testing" / "index.html").read_text()
    assert 'id="sonoran_async.testing.sonoran_emulator_factory"' in testing
