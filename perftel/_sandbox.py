"""The local provider emulators, a separate distribution (``perftel-sandbox``), imported on demand.

``perftel demo``, ``perftel sandbox`` and the notebooks' sample data need them; the product itself never
does, so the product wheel carries no emulator code and no media.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from perftel.errors import ConfigError

INSTALL_HINT = (
    "The local provider sandboxes are a separate package, perftel-sandbox (import name perftel_sandbox). "
    "Install it from a perftel checkout with `pip install -e ./sandbox` (`make demo` and `make test` do)."
)


def require_sandbox() -> ModuleType:
    """The ``perftel_sandbox`` module (``start_sandbox``, ``serve``, ``SANDBOX_PROVIDERS``).

    Raises :class:`~perftel.errors.ConfigError` saying how to install it when it is not installed.
    """
    try:
        return importlib.import_module("perftel_sandbox")
    except ModuleNotFoundError as exc:
        if exc.name != "perftel_sandbox":
            raise
        raise ConfigError(INSTALL_HINT, field="perftel-sandbox") from exc
