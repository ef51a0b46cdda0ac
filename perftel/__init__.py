"""perftel: call metadata and recordings from cloud telephony providers, transcribed locally.

The verbs::

    provider = perftel.create_provider("goto_connect", "acme")
    provider.test_connection()
    calls = provider.fetch_calls("2026-11-01", "2026-11-07")
    transcriber = perftel.create_transcriber(perftel.WhisperSettings(model="base"))
    result = perftel.run_pipeline("goto_connect", "acme", days=7)
    dataset = perftel.open_dataset("acme")        # calls, segments, search and SQL over the saved calls
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perftel.credentials import CredentialStore
from perftel.errors import (
    ApiError,
    AuthError,
    ConfigError,
    CredentialsError,
    DownloadError,
    NetworkError,
    NotFoundError,
    PerftelError,
    RateLimitError,
    RecordingNotReadyError,
    ServerError,
    StorageError,
    TranscriptionError,
    UnknownProviderError,
)
from perftel.models import (
    CallMetadata,
    ConnectionStatus,
    Direction,
    Failure,
    Participant,
    PipelineResult,
    Recording,
    TranscriptionResult,
    TranscriptionSegment,
)
from perftel.pipeline import run_pipeline
from perftel.progress import CancelToken
from perftel.providers import create_provider, provider_names
from perftel.storage import CompanyStorage

if TYPE_CHECKING:
    from perftel.dataset import Dataset, open_dataset
    from perftel.transcribe import TranscribeOptions, Transcriber, create_transcriber
    from perftel.whisper_settings import WhisperSettings

__version__ = "0.1.0"

# Names loaded on first use, and their module: faster-whisper takes a while to import, duckdb and pyarrow too.
_LAZY = {
    "create_transcriber": "perftel.transcribe",
    "Transcriber": "perftel.transcribe",
    "TranscribeOptions": "perftel.transcribe",
    "WhisperSettings": "perftel.whisper_settings",
    "open_dataset": "perftel.dataset",
    "Dataset": "perftel.dataset",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'perftel' has no attribute {name!r}")


__all__ = [
    "ApiError",
    "AuthError",
    "CallMetadata",
    "CancelToken",
    "CompanyStorage",
    "ConfigError",
    "ConnectionStatus",
    "CredentialStore",
    "CredentialsError",
    "Dataset",
    "Direction",
    "DownloadError",
    "Failure",
    "NetworkError",
    "NotFoundError",
    "Participant",
    "PerftelError",
    "PipelineResult",
    "RateLimitError",
    "Recording",
    "RecordingNotReadyError",
    "ServerError",
    "StorageError",
    "TranscribeOptions",
    "TranscriptionError",
    "TranscriptionResult",
    "TranscriptionSegment",
    "Transcriber",
    "UnknownProviderError",
    "WhisperSettings",
    "__version__",
    "create_provider",
    "create_transcriber",
    "open_dataset",
    "provider_names",
    "run_pipeline",
]
