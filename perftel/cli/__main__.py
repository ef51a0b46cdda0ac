"""``python -m perftel.cli``: the same as the ``perftel`` console script."""

from __future__ import annotations

from perftel.cli import main

raise SystemExit(main())
