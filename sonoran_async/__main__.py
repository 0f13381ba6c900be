"""`python -m sonoran_async` is the `sonoran-async` command."""

from ._cli import main

raise SystemExit(main())
