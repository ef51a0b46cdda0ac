"""``perftel demo``: the whole pipeline against the GoTo Connect sandbox, with no account and no internet.

It starts the sandbox (real HTTP on 127.0.0.1), saves the sandbox's demo client in the encrypted
store for company ``demo``, goes through the one-time OAuth consent exactly as with the real
service (the sandbox approves at once), then lists, downloads and transcribes the last N days.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from perftel._sandbox import require_sandbox
from perftel.credentials import CredentialStore
from perftel.models import PipelineResult
from perftel.pipeline import run_pipeline
from perftel.progress import ProgressCallback, no_progress
from perftel.providers import create_provider

if TYPE_CHECKING:
    from perftel.whisper_settings import WhisperSettings

DEMO_COMPANY = "demo"


def run_demo(
    *,
    days: int = 7,
    data_dir: Path | None = None,
    whisper: WhisperSettings | None = None,
    language: str | None = None,
    store: CredentialStore | None = None,
    on_progress: ProgressCallback = no_progress,
    echo=print,
) -> PipelineResult:
    """Run the whole pipeline for company ``demo`` against a local GoTo Connect sandbox (last ``days`` days).

    ``whisper``: the Whisper settings (default :meth:`~perftel.whisper_settings.WhisperSettings.from_env`);
    ``language`` pins the language (default: each call pinned to the one it was recorded in). ``echo``
    prints the steps. Returns the run's ``PipelineResult``. Raises ConfigError when perftel-sandbox is
    not installed (the message says how to install it).
    """
    sandbox_package = require_sandbox()  # ConfigError naming the install when missing
    start_sandbox = sandbox_package.start_sandbox
    language_of = sandbox_package.language_of
    store = store or CredentialStore()
    with start_sandbox("goto_connect", calls_per_day=4) as sandbox:
        echo(f"GoTo Connect sandbox listening on {sandbox.base_url}")
        client = {k: v for k, v in sandbox.credentials.items() if k != "refresh_token"}
        store.save(DEMO_COMPANY, "goto_connect", {**client, "redirect_uri": sandbox.redirect_uri})
        with create_provider(
            "goto_connect", DEMO_COMPANY, base_url=sandbox.base_url, store=store
        ) as provider:
            # The one-time consent: the sandbox approves at once and redirects with ?code=…
            consent = httpx.get(provider.authorization_url(), follow_redirects=False, timeout=10)
            provider.complete_authorization(consent.headers["location"])
            status = provider.test_connection()
            echo(status.message)
            # the sandbox's synthetic Portuguese defeats language detection: pin each call to its own
            result = run_pipeline(
                provider,
                days=days,
                data_dir=data_dir,
                whisper=whisper,
                language=language or language_of,
                on_progress=on_progress,
            )
    return result
