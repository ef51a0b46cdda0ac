"""Encrypted, multi-tenant credential and token store.

One file per company and provider: ``<config_dir>/credentials/<company_id>/<provider>.enc``,
encrypted with Fernet (``cryptography``). The key comes from ``PERFTEL_SECRET_KEY`` (a Fernet key,
or any passphrase) or from ``<config_dir>/secret.key``, generated on first use and readable only by
its owner. Each record names its company and provider inside the ciphertext, so a file copied into
another company's folder is refused. Every write is atomic and made under a file lock, which is
also what serialises token refreshes across processes and notebook kernels.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from filelock import FileLock

from perftel import config
from perftel.company import validate_company_id
from perftel.errors import ConfigError, CredentialsError
from perftel.files import atomic_open

_TOKEN_FIELDS = ("access_token", "expires_at", "refresh_token")


@dataclass(frozen=True)
class TokenState:
    """One OAuth token set: the access token, when it expires (UNIX seconds, UTC) and the refresh token.

    Immutable; its ``repr`` never shows a token.
    """

    access_token: str | None = None
    expires_at: float | None = None  # UNIX seconds
    refresh_token: str | None = None

    def fresh(self, margin: float) -> bool:
        """True when there is an access token that stays valid for more than ``margin`` seconds from now."""
        return (
            bool(self.access_token) and self.expires_at is not None and self.expires_at - time.time() > margin
        )

    def __repr__(self) -> str:  # never show tokens
        return (
            f"TokenState(access_token={'***' if self.access_token else None}, expires_at={self.expires_at})"
        )

    @classmethod
    def from_response(cls, body: dict[str, Any], previous: TokenState | None = None) -> TokenState:
        """The state after a token endpoint answered ``body``; keeps the old refresh token if none came.

        ``body`` is the OAuth 2.0 token response (RFC 6749 §5.1): ``access_token``, ``expires_in`` (seconds
        from now; one hour when absent or unreadable) and optionally ``refresh_token``.
        """
        expires_in = body.get("expires_in")
        try:
            expires_at = time.time() + float(expires_in) if expires_in is not None else time.time() + 3600.0
        except (TypeError, ValueError):
            expires_at = time.time() + 3600.0
        return cls(
            access_token=body.get("access_token"),
            expires_at=expires_at,
            refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        )


@dataclass(frozen=True)
class CredentialInfo:
    """What ``list`` shows: names and dates, never secrets.

    ``fields`` are the names of the stored secrets, sorted; ``created_at``/``updated_at`` are UTC ISO-8601
    text to the second (``"2026-11-30T04:53:56+00:00"``, "" when unknown); ``has_tokens`` is True when
    OAuth tokens are stored.
    """

    company_id: str
    provider: str
    fields: tuple[str, ...]
    created_at: str
    updated_at: str
    has_tokens: bool


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _fernet_from(secret: str) -> Fernet:
    try:
        return Fernet(secret.encode() if isinstance(secret, str) else secret)
    except (ValueError, TypeError):
        derived = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), b"perftel-credentials-v1", 200_000)
        return Fernet(base64.urlsafe_b64encode(derived))


class CredentialStore:
    """Per-company provider credentials and OAuth tokens, encrypted at rest.

    ``config_dir`` defaults to :func:`perftel.config.config_dir`; ``secret_key`` (a Fernet key or any
    passphrase) overrides ``PERFTEL_SECRET_KEY`` and the key file. Methods raise ConfigError for an
    invalid company id or provider name, and CredentialsError for a record that cannot be decrypted,
    belongs to another company/provider, or (``load``, token updates) does not exist, and for a key
    file readable by others.
    """

    def __init__(self, config_dir: str | os.PathLike | None = None, *, secret_key: str | None = None) -> None:
        self.root = config.config_dir(config_dir)
        self._secret_key = secret_key
        self._fernet: Fernet | None = None

    def __repr__(self) -> str:
        return f"CredentialStore({str(self.root)!r})"

    # -- key ------------------------------------------------------------------------------------
    @property
    def key_file(self) -> Path:
        """``<config_dir>/secret.key``: the generated key, used when no secret key is given or set."""
        return self.root / "secret.key"

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            secret = self._secret_key or config.env("PERFTEL_SECRET_KEY")
            self._fernet = _fernet_from(secret) if secret else Fernet(self._key_from_file())
        return self._fernet

    def _key_from_file(self) -> bytes:
        self._ensure_root()
        path = self.key_file
        if not path.exists():
            key = Fernet.generate_key()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(key)
        mode = path.stat().st_mode & 0o077
        if mode:
            raise CredentialsError(
                f"Key file {path} is readable by others (mode {oct(path.stat().st_mode & 0o777)}); "
                f"run: chmod 600 {path}"
            )
        return path.read_bytes().strip()

    def _ensure_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.root, 0o700)

    # -- paths ----------------------------------------------------------------------------------
    def _path(self, company_id: str, provider: str) -> Path:
        validate_company_id(company_id)
        if not re.fullmatch(r"[a-z0-9_]+", provider):
            raise ConfigError(f"Invalid provider name {provider!r}.", field="provider")
        return self.root / "credentials" / company_id / f"{provider}.enc"

    @contextlib.contextmanager
    def locked(self, company_id: str, provider: str) -> Iterator[None]:
        """Hold the inter-process lock of one company's provider record.

        A file lock next to the record; raises ``filelock.Timeout`` after waiting 120 seconds.
        """
        path = self._path(company_id, provider)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with FileLock(str(path.with_suffix(".lock")), timeout=120):
            yield

    # -- records --------------------------------------------------------------------------------
    def _read(self, company_id: str, provider: str) -> dict[str, Any] | None:
        path = self._path(company_id, provider)
        if not path.exists():
            return None
        try:
            record = json.loads(self._cipher().decrypt(path.read_bytes()))
        except InvalidToken as exc:
            raise CredentialsError(
                f"Cannot decrypt the {provider} credentials of company {company_id!r}: the secret key differs "
                "from the one they were saved with (check PERFTEL_SECRET_KEY or the key file), or the file is "
                "damaged. Save the credentials again.",
                company_id=company_id,
                provider=provider,
            ) from exc
        if record.get("company_id") != company_id or record.get("provider") != provider:
            raise CredentialsError(
                f"The credentials file for company {company_id!r} belongs to another company or provider; refused.",
                company_id=company_id,
                provider=provider,
            )
        return record

    def _write(self, company_id: str, provider: str, record: dict[str, Any]) -> None:
        path = self._path(company_id, provider)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = self._cipher().encrypt(json.dumps(record).encode("utf-8"))
        with atomic_open(path, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(payload)

    def save(self, company_id: str, provider: str, secrets: Mapping[str, Any]) -> None:
        """Store ``secrets`` (e.g. client id/secret, refresh token) for one company and provider.

        Replaces the stored secrets; values are stored as text and empty ones dropped. Stored tokens are
        cleared, or replaced by the ``refresh_token`` among ``secrets`` when there is one; ``access_token``
        and ``expires_at`` given here are not kept.
        """
        values = {k: str(v) for k, v in secrets.items() if v not in (None, "")}
        with self.locked(company_id, provider):
            old = self._read(company_id, provider) or {}
            tokens = {k: values.pop(k) for k in list(values) if k in _TOKEN_FIELDS}
            record = {
                "company_id": company_id,
                "provider": provider,
                "created_at": old.get("created_at", _now()),
                "updated_at": _now(),
                "secrets": values,
                "tokens": ({"refresh_token": tokens["refresh_token"]} if "refresh_token" in tokens else {}),
            }
            self._write(company_id, provider, record)

    def load(self, company_id: str, provider: str) -> dict[str, str]:
        """The stored secrets (not the tokens) of one company and provider, field name → text.

        Raises CredentialsError when none are saved.
        """
        record = self._read(company_id, provider)
        if record is None:
            raise _missing(company_id, provider)
        return dict(record.get("secrets") or {})

    def exists(self, company_id: str, provider: str) -> bool:
        """True when a record is saved for this company and provider (it is not decrypted)."""
        return self._path(company_id, provider).exists()

    def delete(self, company_id: str, provider: str) -> bool:
        """Remove one company's provider record, secrets and tokens; False when there was none."""
        with self.locked(company_id, provider):
            path = self._path(company_id, provider)
            if not path.exists():
                return False
            path.unlink()
            return True

    def list(self, company_id: str | None = None) -> list[CredentialInfo]:
        """What is saved for ``company_id`` (None: every company), sorted by company then provider.

        Each record is decrypted to read its field names, so a damaged one raises CredentialsError.
        """
        base = self.root / "credentials"
        companies = (
            [validate_company_id(company_id)]
            if company_id
            else sorted(p.name for p in base.iterdir() if p.is_dir())
            if base.is_dir()
            else []
        )
        infos = []
        for company in companies:
            for path in sorted((base / company).glob("*.enc")):
                record = self._read(company, path.stem) or {}
                infos.append(
                    CredentialInfo(
                        company_id=company,
                        provider=path.stem,
                        fields=tuple(sorted(record.get("secrets") or {})),
                        created_at=record.get("created_at", ""),
                        updated_at=record.get("updated_at", ""),
                        has_tokens=bool(record.get("tokens")),
                    )
                )
        return infos

    # -- tokens ---------------------------------------------------------------------------------
    def tokens(self, company_id: str, provider: str) -> StoredTokens:
        """The OAuth token store (``perftel.http.oauth.TokenStore``) of one company and provider."""
        return StoredTokens(self, company_id, provider)

    def _update_tokens(
        self, company_id: str, provider: str, change: Callable[[TokenState], TokenState | None]
    ) -> TokenState:
        with self.locked(company_id, provider):
            record = self._read(company_id, provider)
            if record is None:
                raise _missing(company_id, provider)
            current = TokenState(
                **{k: v for k, v in (record.get("tokens") or {}).items() if k in _TOKEN_FIELDS}
            )
            new = change(current)
            if new is None:
                return current
            record["tokens"] = {k: getattr(new, k) for k in _TOKEN_FIELDS if getattr(new, k) is not None}
            record["updated_at"] = _now()
            self._write(company_id, provider, record)  # persisted before anyone uses the new token
            return new


def _missing(company_id: str, provider: str) -> CredentialsError:
    return CredentialsError(
        f"No {provider} credentials saved for company {company_id!r}. Save them with "
        f"`perftel credentials set --company {company_id} --provider {provider}` or the notebook form.",
        company_id=company_id,
        provider=provider,
    )


class StoredTokens:
    """The ``TokenStore`` view of one company's provider record (see ``perftel.http.oauth``)."""

    def __init__(self, store: CredentialStore, company_id: str, provider: str) -> None:
        self.store, self.company_id, self.provider = store, company_id, provider

    def load(self) -> TokenState:
        """The stored tokens; an empty ``TokenState`` when there is no record or no token yet."""
        record = self.store._read(self.company_id, self.provider) or {}
        return TokenState(**{k: v for k, v in (record.get("tokens") or {}).items() if k in _TOKEN_FIELDS})

    def update(self, change: Callable[[TokenState], TokenState | None]) -> TokenState:
        """Read, apply ``change`` and persist its result (``None`` = keep) under the record's file lock.

        Returns the state now stored. Raises CredentialsError when no credentials are saved.
        """
        return self.store._update_tokens(self.company_id, self.provider, change)
