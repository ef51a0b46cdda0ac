"""The provider contract: what every telephony driver implements, and what it gets for free.

A driver subclasses :class:`Provider`, sets ``name``, ``display_name``, ``default_base_url`` and
``credential_fields``, and implements three primitives:

* ``_connect()`` — check the credentials work (log in) and return a short description;
* ``iter_calls(start, end)`` — yield :class:`~perftel.models.CallMetadata` for ``[start, end)``;
* ``_download(recording_id, dest_stem)`` — write one recording (via ``ApiClient.download``).

``test_connection``, ``fetch_calls``, ``download_recording``, credentials loading (from the
encrypted store or a ``credentials=`` mapping), safe file names and the context manager come
from here.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from perftel import config
from perftel.credentials import CredentialStore, TokenState, validate_company_id
from perftel.dates import DateLike, ZoneLike, utc_range
from perftel.errors import CredentialsError, PerftelError
from perftel.files import AUDIO_SUFFIXES, PARTIAL_SUFFIX, inside, safe_name
from perftel.http.oauth import MemoryTokenStore, TokenStore
from perftel.models import CallMetadata, ConnectionStatus, Recording


@dataclass(frozen=True)
class CredentialField:
    """One credential a provider needs; forms and the CLI are built from these."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""


class Provider(abc.ABC):
    """Base class of every telephony provider driver.

    ``company_id`` is validated (ConfigError otherwise). ``base_url`` overrides the provider's
    ``PERFTEL_<PROVIDER>_BASE_URL`` setting and ``default_base_url`` (a sandbox, a regional API).
    Credentials come from ``credentials`` (a mapping; its tokens then live in memory only) or else from
    ``store`` (default: :class:`~perftel.credentials.CredentialStore`), read on first use.
    ``transport``/``verify`` are passed to httpx (tests, private CAs).
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    default_base_url: ClassVar[str]
    credential_fields: ClassVar[tuple[CredentialField, ...]]

    def __init__(
        self,
        company_id: str,
        *,
        base_url: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        store: CredentialStore | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        self.company_id = validate_company_id(company_id)
        self.base_url = (config.provider_base_url(self.name, base_url) or self.default_base_url).rstrip("/")
        self._transport = transport
        self._verify = verify
        self._given = dict(credentials) if credentials is not None else None
        self._store = store if store is not None or credentials is not None else None
        self._secrets_cache: dict[str, str] | None = None
        self._token_store: TokenStore | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(company_id={self.company_id!r}, base_url={self.base_url!r})"

    # -- credentials ----------------------------------------------------------------------------
    @property
    def store(self) -> CredentialStore:
        """The credential store this driver reads (created on first use when none was given)."""
        if self._store is None:
            self._store = CredentialStore()
        return self._store

    @property
    def secrets(self) -> dict[str, str]:
        """This company's credentials for this provider (from the mapping or the store)."""
        if self._secrets_cache is None:
            raw = self._given if self._given is not None else self.store.load(self.company_id, self.name)
            self._secrets_cache = self.check_credentials(raw)
        return self._secrets_cache

    @classmethod
    def known_values(cls, values: Mapping[str, Any] | None) -> dict[str, str]:
        """The credential fields (and a stored ``access_token``/``expires_at``) in ``values``, stripped;
        blank ones dropped, unknown keys ignored."""
        known = {f.name for f in cls.credential_fields} | {"access_token", "expires_at"}
        return {
            k: str(v).strip()
            for k, v in (values or {}).items()
            if k in known and v is not None and str(v).strip()
        }

    @classmethod
    def check_credentials(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """Keep the known fields; raise ``CredentialsError`` naming any required one that is missing.
        Drivers whose fields are alternatives (one pair or another) override this."""
        clean = cls.known_values(values)
        missing = [f.name for f in cls.credential_fields if f.required and not clean.get(f.name)]
        if missing:
            raise CredentialsError(
                f"{cls.display_name} credentials are missing: {', '.join(missing)}.", provider=cls.name
            )
        return clean

    @property
    def token_store(self) -> TokenStore:
        """Where this account's tokens live: the encrypted store, or memory for a ``credentials=`` mapping."""
        if self._token_store is None:
            if self._given is not None:
                s = self.secrets
                expires = float(s["expires_at"]) if s.get("expires_at") else None
                self._token_store = MemoryTokenStore(
                    TokenState(s.get("access_token"), expires, s.get("refresh_token"))
                )
            else:
                self._token_store = self.store.tokens(self.company_id, self.name)
        return self._token_store

    def secret_values(self) -> list[str]:
        """Every secret this provider knows, for redaction."""
        secret_names = {f.name for f in self.credential_fields if f.secret}
        values = [v for k, v in (self._secrets_cache or {}).items() if k in secret_names]
        if self._token_store is not None:
            state = self._token_store.load()
            values += [v for v in (state.access_token, state.refresh_token) if v]
        return values

    # -- the user-facing verbs ------------------------------------------------------------------
    def test_connection(self) -> ConnectionStatus:
        """Log in and report ``success`` and a readable ``message`` (never raises for auth trouble)."""
        try:
            detail = self._connect()
        except PerftelError as exc:
            return ConnectionStatus(False, f"{self.display_name}: {exc}")
        return ConnectionStatus(True, f"Connected to {self.display_name}{': ' + detail if detail else ''}.")

    def login(self) -> str:
        """Like ``test_connection`` but raises the error; returns the description."""
        return self._connect()

    def fetch_calls(
        self, start_date: DateLike, end_date: DateLike, answered_only: bool = False, *, tz: ZoneLike = None
    ) -> list[CallMetadata]:
        """All calls that started in the range, read by :func:`perftel.dates.utc_range` in ``tz``.

        A whole day (``"2026-11-01"``, ``date``, a datetime at midnight, ``Timestamp``, ``datetime64``) is that
        local day, end day included; an explicit time is honoured. ``tz`` defaults to the company's time
        zone (``PERFTEL_TIMEZONE``, else its settings file, else UTC). Raises ConfigError for a bad date,
        and what :meth:`iter_calls` raises.
        """
        start, end = utc_range(start_date, end_date, tz=self.company_timezone if tz is None else tz)
        return list(self.iter_calls(start, end, answered_only=answered_only))

    @property
    def company_timezone(self):
        """The company's time zone (``perftel.company.company_settings(company_id).timezone``)."""
        from perftel.company import company_settings

        return company_settings(self.company_id).timezone

    def download_recording(
        self,
        recording_id: str,
        output_dir: str | Path,
        filename_prefix: str = "call",
        *,
        recording: Recording | None = None,
    ) -> Path:
        """Download one recording to ``output_dir/<prefix>_<recording-id>.<ext>``; returns the path.

        The file appears only when complete. Ids are made safe: they never leave ``output_dir``.
        ``recording``, as listed, spares drivers a metadata request they would otherwise make.
        """
        if recording is not None:
            self.remember(recording)
        stem = self.recording_stem(output_dir, filename_prefix, recording_id)
        return self._download(recording_id, stem)

    @staticmethod
    def recording_stem(output_dir: str | Path, filename_prefix: str, recording_id: str) -> Path:
        """``output_dir/<prefix>_<recording id>`` without an extension, both parts made file-safe.

        Raises StorageError when the result would leave ``output_dir``.
        """
        return inside(Path(output_dir), f"{safe_name(filename_prefix)}_{safe_name(recording_id)}")

    @classmethod
    def existing_recording(
        cls, output_dir: str | Path, filename_prefix: str, recording_id: str
    ) -> Path | None:
        """The finished file of a recording downloaded earlier, if any."""
        stem = cls.recording_stem(output_dir, filename_prefix, recording_id)
        for ext in sorted(AUDIO_SUFFIXES):
            candidate = stem.with_name(stem.name + ext)
            if (
                candidate.is_file()
                and not candidate.name.endswith(PARTIAL_SUFFIX)
                and candidate.stat().st_size > 0
            ):
                return candidate
        return None

    def remember(self, recording: Recording) -> None:
        """Keep what the listing said of ``recording`` for its download (drivers that need it override)."""
        return None

    # -- for drivers ----------------------------------------------------------------------------
    @abc.abstractmethod
    def _connect(self) -> str: ...

    @abc.abstractmethod
    def iter_calls(
        self, start: datetime, end: datetime, *, answered_only: bool = False
    ) -> Iterator[CallMetadata]:
        """Yield every call that started in ``[start, end)`` (aware UTC datetimes), each call once.

        ``answered_only`` leaves out calls nobody answered. Nothing is requested before the first
        ``next()``; drivers that fold legs into calls (Twilio, RingCentral) then read the whole listing
        into a temporary spool before yielding, the others page as they yield. The order of the calls is
        the driver's. A call without a start time is skipped with a warning naming its id, for every driver
        (:func:`perftel.providers.tolerant.start_or_skip`). Raises CredentialsError, AuthError, ApiError,
        RateLimitError or NetworkError
        (:mod:`perftel.errors`) when the provider cannot be read.
        """

    @abc.abstractmethod
    def _download(self, recording_id: str, dest_stem: Path) -> Path: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release HTTP connections."""

    def __enter__(self) -> Provider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
