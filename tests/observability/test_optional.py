"""The core stays lean: without prometheus-client and opentelemetry the package imports,
sends, and every tracing hook does nothing; the metrics module names its extra."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
sys.modules["prometheus_client"] = None
sys.modules["opentelemetry"] = None
import asyncio
from sonoran_async import Call911, Reply, SonoranClient, _tracing

class Answers:
    async def request(self, method, path, body, headers):
        return Reply(200, b"EMERGENCY CALL ADDED ID: 7")

    async def aclose(self):
        pass

async def main():
    async with SonoranClient("demo", "demo-key", transport=Answers()) as cad:
        print("created", await cad.call_911(Call911(caller="A", location="B")))
    print("tracing installed:", _tracing.INSTALLED)
    try:
        import sonoran_async.metrics
    except ImportError as exc:
        print("metrics:", exc)

asyncio.run(main())
"""


def test_the_core_runs_without_prometheus_client_and_opentelemetry() -> None:
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "created 7"
    assert lines[1] == "tracing installed: False"
    assert "pip install 'sonoran-async[metrics]'" in lines[2]
