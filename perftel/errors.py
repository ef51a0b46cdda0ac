"""perftel's exceptions: one tree, every error carries its data as attributes.

::

    PerftelError
    ├── ConfigError                 missing/invalid setting; names the variable or field
    ├── UnknownProviderError        lists the valid names
    ├── CredentialsError            missing, undecryptable or revoked credentials (never shows the secret)
    ├── ApiError                    .provider .status_code .url (secrets redacted) .body_excerpt
    │   ├── AuthError
    │   ├── NotFoundError
    │   ├── RateLimitError          .retry_after
    │   ├── ServerError
    │   └── NetworkError
    ├── DownloadError               short/empty file, wrong content type, disk failure
    │   └── RecordingNotReadyError  the provider is still processing it: a later run gets it
    ├── TranscriptionError          undecodable audio, model failure
    └── StorageError

Every error has a ``retryable`` flag and is raised ``from`` its cause. Standard library only.
"""

from __future__ import annotations


class PerftelError(Exception):
    """Base of every error perftel raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class ConfigError(PerftelError):
    """A missing or invalid setting. ``field`` names the variable or widget field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownProviderError(PerftelError, KeyError):
    """A provider name that is not registered. ``valid`` lists the names that are."""

    def __init__(self, name: str, valid: list[str]) -> None:
        self.name = name
        self.valid = list(valid)
        super().__init__(f"Unknown provider {name!r}. Valid providers: {', '.join(self.valid)}.")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class CredentialsError(PerftelError):
    """Credentials that are missing, cannot be decrypted, or were revoked."""

    def __init__(self, message: str, *, company_id: str | None = None, provider: str | None = None) -> None:
        super().__init__(message)
        self.company_id = company_id
        self.provider = provider


class ApiError(PerftelError):
    """A provider's API answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        url: str | None = None,
        body_excerpt: str | None = None,
        error_code: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.provider = provider
        self.status_code = status_code
        self.url = url
        self.body_excerpt = body_excerpt
        self.error_code = error_code


class AuthError(ApiError):
    """The provider refused our credentials or token (401/403, invalid_grant)."""


class NotFoundError(ApiError):
    """The resource does not exist (yet)."""


class RateLimitError(ApiError):
    """Too many requests; ``retry_after`` is the wait in seconds when the provider said."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """The provider failed (5xx)."""

    retryable = True


class NetworkError(ApiError):
    """The provider could not be reached or the connection broke."""

    retryable = True


class DownloadError(PerftelError):
    """A recording could not be downloaded intact (empty/short body, wrong type, disk failure)."""

    def __init__(
        self, message: str, *, recording_id: str | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.recording_id = recording_id


class RecordingNotReadyError(DownloadError):
    """The provider has the recording but is still processing it. Not retried now; a later run gets it."""


class TranscriptionError(PerftelError):
    """Audio that cannot be decoded or transcribed. ``path`` names the file."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class StorageError(PerftelError):
    """Data on disk that cannot be written or read, or a path that would escape its folder."""


__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "CredentialsError",
    "DownloadError",
    "NetworkError",
    "NotFoundError",
    "PerftelError",
    "RateLimitError",
    "RecordingNotReadyError",
    "ServerError",
    "StorageError",
    "TranscriptionError",
    "UnknownProviderError",
]
