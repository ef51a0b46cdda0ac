"""Sample data for notebooks that must run anywhere: fill a *sandbox* company's folder from the local
sandbox. Sandbox credentials and sandbox calls only ever go to a sandbox company (:data:`SANDBOX_COMPANIES`),
never into a real company's folder or credential store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perftel.errors import ConfigError
from perftel.models import PipelineResult
from perftel.storage import CompanyStorage

if TYPE_CHECKING:
    from perftel.whisper_settings import WhisperSettings

#: company ids that hold sandbox data (and ids starting with one of them and "-", e.g. "demo-2")
SANDBOX_COMPANIES = ("sandbox", "demo")
#: the settings a new sandbox company gets: the sandbox speaks Brazilian Portuguese and English
SANDBOX_SETTINGS = {"timezone": "America/Sao_Paulo", "languages": ["pt", "en"], "country": "BR"}


def is_sandbox_company(company: str) -> bool:
    """True for ``sandbox``, ``demo`` and ids such as ``sandbox-2``: the only places sandbox data goes."""
    return any(company == name or company.startswith(f"{name}-") for name in SANDBOX_COMPANIES)


def require_sandbox_company(company: str) -> str:
    """``company`` when it is a sandbox company; else ConfigError (field ``company_id``)."""
    if not is_sandbox_company(company):
        raise ConfigError(
            f"{company!r} is not a sandbox company: sandbox calls and credentials only go to "
            f"{' or '.join(SANDBOX_COMPANIES)} (or an id starting with 'sandbox-' / 'demo-').",
            field="company_id",
        )
    return company


def prepare_sandbox_company(company: str, data_dir: str | Path | None = None) -> None:
    """Write :data:`SANDBOX_SETTINGS` for a sandbox company that has no settings file yet."""
    from perftel.company import save_setting, settings_path

    require_sandbox_company(company)
    if not settings_path(company, data_dir).is_file():
        for key, value in SANDBOX_SETTINGS.items():
            save_setting(company, key, value, data_dir)


def ensure_sandbox_data(
    company: str,
    start: date | str,
    end: date | str,
    *,
    data_dir: str | Path | None = None,
    whisper: WhisperSettings | None = None,
    calls_per_day: float = 3,
) -> PipelineResult | None:
    """When the sandbox company ``company`` has no saved call in ``[start, end]`` (UTC days), run the whole
    pipeline against the GoTo Connect sandbox (local HTTP, demo credentials kept in memory only) to fill it;
    else do nothing. Each call's language is pinned to the one it was recorded in (the sandbox's synthetic
    Portuguese defeats language detection), so a multilingual model is needed for the Portuguese calls.
    ``whisper``: the Whisper settings (default :meth:`~perftel.whisper_settings.WhisperSettings.from_env`).

    Returns the run's result, or ``None`` when the data was already there.
    Raises ConfigError when ``company`` is not a sandbox company (:func:`is_sandbox_company`).
    """
    from perftel._sandbox import require_sandbox
    from perftel.notebook.charts import filter_calls
    from perftel.pipeline import run_pipeline

    prepare_sandbox_company(company, data_dir)
    storage = CompanyStorage(company, data_dir)
    if storage.metadata_dir.is_dir() and len(filter_calls(storage.calls_frame(), start=start, end=end)):
        return None
    sandbox_package = require_sandbox()
    language_of = sandbox_package.language_of
    with sandbox_package.start_sandbox("goto_connect", calls_per_day=calls_per_day) as sandbox:
        return run_pipeline(
            "goto_connect",
            company,
            start,
            end,
            base_url=sandbox.base_url,
            credentials=sandbox.credentials,
            data_dir=data_dir,
            whisper=whisper,
            language=language_of,
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
