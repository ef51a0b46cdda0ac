"""One progress mechanism: ``on_progress(step, current, total)``.

Code always calls a callback; the default does nothing, so nobody writes ``if callback:``.
``total`` is ``None`` while it is not known yet (e.g. while listing pages). Standard library only.
"""

from __future__ import annotations

import threading
from typing import Protocol

LOGIN = "login"
FETCH = "fetch"
DOWNLOAD = "download"
TRANSCRIBE = "transcribe"
STEPS = (LOGIN, FETCH, DOWNLOAD, TRANSCRIBE)


class ProgressCallback(Protocol):
    """The type of an ``on_progress`` callback (see the module docstring)."""

    def __call__(self, step: str, current: int, total: int | None) -> None:
        """Report ``current`` of ``total`` items done in ``step`` (one of :data:`STEPS`).

        ``total`` is None while it is not known yet.
        """
        ...


def no_progress(step: str, current: int, total: int | None) -> None:
    """The default callback: ignores everything."""


class CancelToken:
    """Set by a UI (a Cancel button, Ctrl-C) and checked by the pipeline between items."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop: items already started finish, the rest are skipped. Safe from any thread."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()
