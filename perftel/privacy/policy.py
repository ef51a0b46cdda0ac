"""A company's privacy policy: which kinds of personal data are redacted, and whether audio is too.

Read from the ``[privacy]`` table of the company's settings file (``<data_dir>/<company>/settings.toml``,
see :mod:`perftel.company`)::

    [privacy]
    enabled = true                                    # false: transcripts are written as transcribed
    kinds = ["card", "cpf", "cnpj", "email", "phone"] # the default: every kind
    audio = false                                     # true: recordings are replaced by silenced copies

With no table (or no file) the default applies: every kind redacted, audio kept. An unknown key or kind
is a :class:`~perftel.errors.ConfigError` naming it and the valid ones (and, since the policy is read
before a transcript is written, nothing is written meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perftel.errors import ConfigError
from perftel.privacy.findings import KINDS

KEYS = ("enabled", "kinds", "audio")


@dataclass(frozen=True)
class PrivacyPolicy:
    """What to redact. ``kinds``: a subset of :data:`~perftel.privacy.detect.KINDS` (empty: nothing);
    ``audio``: also silence the spans in the recording; ``region``: ISO 3166 default for phone numbers
    (the company's ``country``)."""

    kinds: tuple[str, ...] = KINDS
    audio: bool = False
    region: str | None = None

    @property
    def active(self) -> bool:
        """True when at least one kind is redacted."""
        return bool(self.kinds)

    @classmethod
    def off(cls) -> PrivacyPolicy:
        """Nothing redacted."""
        return cls(kinds=(), audio=False)


def validate_kinds(kinds: Iterable[Any], *, source: str = "kinds") -> tuple[str, ...]:
    """The kinds, lower case, in :data:`KINDS` order; ConfigError naming an unknown one and the valid ones."""
    if isinstance(kinds, str) or not isinstance(kinds, (list, tuple, set, frozenset)):
        raise ConfigError(
            f'{source} must be a list, e.g. ["card", "cpf"]. Valid kinds: {", ".join(KINDS)}.',
            field="privacy.kinds",
        )
    wanted = []
    for kind in kinds:
        name = str(kind).strip().lower()
        if name not in KINDS:
            raise ConfigError(
                f"{source}: unknown kind {kind!r}. Valid kinds: {', '.join(KINDS)}.", field="privacy.kinds"
            )
        wanted.append(name)
    return tuple(k for k in KINDS if k in wanted)


def policy_from_section(
    section: dict[str, Any], *, region: str | None = None, source: str = "[privacy]"
) -> PrivacyPolicy:
    """The policy a ``[privacy]`` table describes (``{}``: the default). Raises ConfigError."""
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {', '.join(map(repr, unknown))}. Valid keys: {', '.join(KEYS)}.",
            field="privacy",
        )
    for key in ("enabled", "audio"):
        if key in section and not isinstance(section[key], bool):
            raise ConfigError(f"{source}: {key} must be true or false.", field=f"privacy.{key}")
    kinds = validate_kinds(section["kinds"], source=f"{source} kinds") if "kinds" in section else KINDS
    if section.get("enabled") is False:
        return PrivacyPolicy(kinds=(), audio=False, region=region)
    return PrivacyPolicy(kinds=kinds, audio=bool(section.get("audio", False)) and bool(kinds), region=region)


def company_policy(company_id: str, data_dir: str | Path | None = None) -> PrivacyPolicy:
    """The policy of ``company_id`` from its settings file (the company's country is the phone region)."""
    from perftel.company import company_settings

    settings = company_settings(company_id, data_dir)
    return policy_from_section(
        settings.section("privacy"), region=settings.country, source=f"{settings.path}: [privacy]"
    )


def policy_for_transcript(json_path: Path) -> PrivacyPolicy:
    """The policy for a transcript written to ``json_path``.

    Inside a company's folders (``<data_dir>/<company>/calls/transcriptions/``) that company's policy;
    anywhere else the default policy (every kind; phone region from ``PERFTEL_COUNTRY`` if set).
    """
    from perftel import config
    from perftel.company import _country, validate_company_id

    parent = Path(json_path).resolve().parent
    if parent.name == "transcriptions" and parent.parent.name == "calls":
        company_dir = parent.parent.parent
        try:
            company = validate_company_id(company_dir.name)
        except ConfigError:
            company = None
        if company is not None:
            return company_policy(company, company_dir.parent)
    return PrivacyPolicy(region=_country(config.env("PERFTEL_COUNTRY"), "PERFTEL_COUNTRY"))


def transcribe_options(company_id: str, data_dir: str | Path | None = None) -> Any:
    """``TranscribeOptions(word_timestamps=True)`` when the company's policy silences audio (the spans
    come from word times), else None (the transcriber's defaults). Raises ConfigError for a bad policy."""
    if not company_policy(company_id, data_dir).audio:
        return None
    from perftel.transcribe import TranscribeOptions

    return TranscribeOptions(word_timestamps=True)
