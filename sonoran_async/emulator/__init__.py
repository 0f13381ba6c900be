"""A local Sonoran CAD v1 emergency API server for tests, demos and benchmarks.

```python
from sonoran_async.emulator import Emulator

async with Emulator(community_id="demo", api_key="demo-key", plan="PRO") as emu:
    ...  # point a client at emu.url; inspect emu.state and emu.stats
```

Self-contained: it imports nothing from the client, so it is an independent check of it.
"""

from ._app import (
    CORE_KEY,
    MULTI_MODES,
    PLANS,
    EmulatorCore,
    EmulatorSettings,
    MultiMode,
    create_app,
)
from ._faults import SCRIPT_NAMES, Faults
from ._hub import HUB_PATH, Hub
from ._hub_wire import HubStats
from ._server import Emulator
from ._state import CadState, EmulatorStats, Listener

__all__ = [
    "CORE_KEY",
    "MULTI_MODES",
    "PLANS",
    "SCRIPT_NAMES",
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
    "MultiMode",
    "create_app",
]
