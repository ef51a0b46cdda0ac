"""Sample data for notebooks that must run anywhere: fill a company's folder from the local sandbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from perftel.models import PipelineResult
from perftel.notebook.charts import filter_calls
from perftel.storage import CompanyStorage


def ensure_sandbox_data(
    company: str,
    start: date | str,
    end: date | str,
    *,
    data_dir: str | Path | None = None,
    model: str = "tiny.en",
    calls_per_day: float = 3,
) -> PipelineResult | None:
    """When ``company`` has no saved call in ``[start, end]``, run the whole pipeline against the GoTo
    Connect sandbox (local HTTP, demo credentials kept in memory only) to fill it; else do nothing.

    Returns the run's result, or ``None`` when the data was already there.
    """
    from perftel._sandbox import require_sandbox
    from perftel.pipeline import run_pipeline

    storage = CompanyStorage(company, data_dir)
    if storage.metadata_dir.is_dir() and len(filter_calls(storage.calls_frame(), start=start, end=end)):
        return None
    with require_sandbox().start_sandbox("goto_connect", calls_per_day=calls_per_day) as sandbox:
        return run_pipeline(
            "goto_connect",
            company,
            start,
            end,
            base_url=sandbox.base_url,
            credentials=sandbox.credentials,
            data_dir=data_dir,
            model=model,
        )


def start_sandbox(provider: str = "goto_connect", **options: Any):
    """Start ``provider``'s local emulator (from perftel-sandbox) in the background; it stays up while the
    kernel runs (or until ``.stop()``). ``options`` go to ``perftel_sandbox.start_sandbox``
    (``seed``, ``calls_per_day``, …).

    Raises:
        ConfigError: perftel-sandbox is not installed (the message says how to install it).
    """
    from perftel._sandbox import require_sandbox

    return require_sandbox().start_sandbox(provider, **options)
