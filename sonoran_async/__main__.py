"""`python -m sonoran_async` is the `sonoran-async` command."""

from .cli import main

raise SystemExit(main())
