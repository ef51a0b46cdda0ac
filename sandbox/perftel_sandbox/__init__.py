"""Local emulators of the telephony providers' HTTP APIs, for tests, demos and offline development.

Each sandbox is real HTTP on 127.0.0.1 (standard library server, ephemeral port by default) that
perftel's real clients talk to::

    from perftel_sandbox import start_sandbox

    with start_sandbox("goto_connect", seed=7) as sb:
        sb.base_url, sb.credentials, sb.account_key   # point the client here
        sb.faults.rate_limit_burst = 3                # flip faults at run time
        sb.requests                                   # what the client sent

``serve()`` runs one in the foreground (``perftel sandbox --provider goto_connect``).
The credentials a sandbox prints are sandbox-only demo values, never real secrets.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from perftel.errors import UnknownProviderError

SANDBOX_PROVIDERS: tuple[str, ...] = ("aircall", "goto_connect", "ringcentral", "twilio")
_REGISTRY = {
    "aircall": "perftel_sandbox.aircall:AircallSandbox",
    "goto_connect": "perftel_sandbox.goto_connect:GoToConnectSandbox",
    "ringcentral": "perftel_sandbox.ringcentral:RingCentralSandbox",
    "twilio": "perftel_sandbox.twilio:TwilioSandbox",
}


def language_of(call: Any) -> str | None:
    """The language a GoTo Connect sandbox call was recorded in ("en" or "pt"), for
    ``run_pipeline(..., language=language_of)``: the sandbox's synthetic Portuguese is too robotic for
    Whisper's language detection (see :func:`perftel_sandbox.goto_connect_data.language_of`)."""
    from perftel_sandbox.goto_connect_data import language_of as of_goto_call

    return of_goto_call(call)


def _sandbox_class(provider: str) -> type:
    name = str(provider).strip().lower()
    if name not in _REGISTRY:
        raise UnknownProviderError(str(provider), list(SANDBOX_PROVIDERS))
    module_name, _, class_name = _REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def start_sandbox(provider: str, *, seed: int = 7, host: str = "127.0.0.1", port: int = 0, **options: Any):
    """Start ``provider``'s emulator in a background thread and return it (also a context manager).

    ``options`` are the provider's keyword options, for GoTo Connect: ``rotate_refresh_tokens``,
    ``token_ttl``, ``calls_per_day``, ``report_delay``, ``enforce_rate_limit``, ``rate_limit``,
    ``redirect_uri``. Raises :class:`~perftel.errors.UnknownProviderError` for an unknown name.
    """
    return _sandbox_class(provider)(seed=seed, host=host, port=port, **options).start()


def serve(provider: str, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
    """Run a sandbox in the foreground, print where it is and its demo credentials, block until Ctrl-C."""
    sandbox = start_sandbox(provider, host=host, port=port, **options)
    lines = sandbox.describe()
    width = max(len(label) for label, _ in lines)
    print(f"perftel sandbox: {sandbox.provider} emulator running (local only)")
    print("Demo credentials below are SANDBOX-ONLY values, valid for this emulator and nothing else.")
    for label, value in lines:
        print(f"  {label.ljust(width)}  {value}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping sandbox")
    finally:
        sandbox.stop()


__all__ = ["SANDBOX_PROVIDERS", "language_of", "serve", "start_sandbox"]
