"""``python -m sonoran_async.emulator``: same as ``sonoran-async emulate``."""

import sys

from ._cli import main

sys.exit(main())
