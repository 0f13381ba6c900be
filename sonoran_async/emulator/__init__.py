"""A local Sonoran CAD emergency API server (v1, and v2 on the same state with the
`emulator` extra) for tests, demos and benchmarks.

```python
from sonoran_async.emulator import Emulator

async with Emulator(community_id="demo", api_key="demo-key", plan="PRO") as emu:
    ...  # point a client at emu.url; inspect emu.state and emu.stats
```

Self-contained: it imports nothing from the client, so it is an independent check of it.
"""

from ._app import CORE_KEY, create_app
from ._core import MULTI_MODES, PLANS, EmulatorCore, EmulatorSettings, MultiMode
from ._faults import SCRIPT_NAMES, Faults
from ._hub import HUB_PATH, Hub
from ._hub_wire import HubStats
from ._live import DEMO_FIXTURE, LiveState, live_of, make_record
from ._server import Emulator
from ._snapshots import SNAPSHOT_MODES, SnapshotMode
from ._state import CadState, EmulatorStats, Listener

__all__ = [
    "CORE_KEY",
    "DEMO_FIXTURE",
    "MULTI_MODES",
    "PLANS",
    "SCRIPT_NAMES",
    "SNAPSHOT_MODES",
    "CadState",
    "Emulator",
    "EmulatorCore",
    "EmulatorSettings",
    "EmulatorStats",
    "Faults",
    "HUB_PATH",
    "Hub",
    "HubStats",
    "Listener",
    "LiveState",
    "MultiMode",
    "SnapshotMode",
    "create_app",
    "live_of",
    "make_record",
]
