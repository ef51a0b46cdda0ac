"""A company (tenant): its id and its settings, kept in one readable file beside its data.

``<data_dir>/<company_id>/settings.toml``::

    timezone = "America/Sao_Paulo"     # IANA name; local days and local times in tables and charts
    languages = ["pt", "en"]           # the languages its calls are in (Whisper codes or usual spellings)
    country = "BR"                     # ISO 3166 region: the default for phone numbers

    [privacy]                          # read by perftel's redaction (its own keys)
    [vocabulary]                       # read by transcription (its own keys)

Precedence, highest first: a value passed in code → the environment (``PERFTEL_TIMEZONE``,
``PERFTEL_LANGUAGES`` as ``"pt,en"``, ``PERFTEL_COUNTRY``; real variables or ``.env``) → the company's
file → the default (UTC, no languages: detect freely, no country). Data on disk always stays in UTC; the
time zone only decides what "a day" and "a local time" mean.

Errors: :class:`~perftel.errors.ConfigError` for an invalid company id, an unknown key (named, with the
valid ones), a time zone that is not an IANA name, or a file that is not valid TOML (with its line).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from perftel import config
from perftel.errors import ConfigError
from perftel.files import write_text_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SETTINGS_FILE = "settings.toml"
_COMPANY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: top-level keys a settings file may hold (sections are owned by the module that reads them)
KNOWN_KEYS = ("timezone", "languages", "country", "privacy", "vocabulary")
UTC = ZoneInfo("UTC")


def validate_company_id(company_id: str) -> str:
    """Company ids become folder names: letters, digits, ``.``, ``_``, ``-``; 1–64 characters.

    Raises ConfigError (field ``company_id``) otherwise.
    """
    if not isinstance(company_id, str) or not _COMPANY_ID.match(company_id) or ".." in company_id:
        raise ConfigError(
            f"Invalid company id {company_id!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit.",
            field="company_id",
        )
    return company_id


def timezone_named(name: str | ZoneInfo | None, *, source: str = "timezone") -> ZoneInfo:
    """The :class:`zoneinfo.ZoneInfo` for an IANA name such as ``"America/Sao_Paulo"`` (``None`` → UTC).

    Raises ConfigError naming ``source`` (the setting or field the value came from) when the name is unknown.
    """
    if name is None or name == "":
        return UTC
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{source}={name!r} is not a time zone: use an IANA name such as 'America/Sao_Paulo', "
            "'Europe/Lisbon' or 'UTC'.",
            field=source,
        ) from exc


def _country(value: Any, source: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ConfigError(
            f"{source}={value!r} is not a country: use a two-letter ISO 3166 code such as 'BR'.", field=source
        )
    return text


def _languages(value: Any, source: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        raise ConfigError(
            f'{source} must be a list of language names or codes, e.g. ["pt", "en"].', field=source
        )
    return tuple(item.strip() for item in items if item.strip())


@dataclass(frozen=True)
class CompanySettings:
    """One company's settings, resolved (see the module docstring for where each value comes from).

    Attributes:
        company_id: the tenant.
        timezone: a ZoneInfo; local days and local times are in this zone (UTC when unset).
        languages: the languages the company's calls are in, as written (empty: detect freely).
        country: ISO 3166 alpha-2 region, the default for phone numbers (or None).
        sections: the file's tables (``privacy``, ``vocabulary``, …) as dicts, for the modules that own them.
        path: the settings file (it may not exist).
    """

    company_id: str
    timezone: ZoneInfo = UTC
    languages: tuple[str, ...] = ()
    country: str | None = None
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    @property
    def timezone_name(self) -> str:
        """The IANA name of :attr:`timezone`, e.g. ``"America/Sao_Paulo"``."""
        return self.timezone.key

    def section(self, name: str) -> dict[str, Any]:
        """A table of the settings file (empty when absent)."""
        return dict(self.sections.get(name, {}))


def settings_path(company_id: str, data_dir: str | Path | None = None) -> Path:
    """``<data_dir>/<company_id>/settings.toml``."""
    return config.data_dir(data_dir) / validate_company_id(company_id) / SETTINGS_FILE


def read_settings_file(path: Path) -> dict[str, Any]:
    """The raw TOML of a settings file (``{}`` when it does not exist); ConfigError on bad TOML or keys."""
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}. Fix the file or delete it.", field="settings"
        ) from exc
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {', '.join(map(repr, unknown))}. Valid settings: {', '.join(KNOWN_KEYS)}.",
            field="settings",
        )
    return raw


def company_settings(
    company_id: str, data_dir: str | Path | None = None, *, timezone: str | ZoneInfo | None = None
) -> CompanySettings:
    """The resolved settings of ``company_id`` (a value passed here wins over everything else).

    Raises ConfigError for an invalid id, file, key or value.
    """
    path = settings_path(company_id, data_dir)
    raw = read_settings_file(path)
    tz_source = (
        "timezone"
        if timezone
        else "PERFTEL_TIMEZONE"
        if config.env("PERFTEL_TIMEZONE")
        else f"{path}: timezone"
    )
    tz = timezone or config.env("PERFTEL_TIMEZONE") or raw.get("timezone")
    languages = config.env("PERFTEL_LANGUAGES") or raw.get("languages")
    lang_source = "PERFTEL_LANGUAGES" if config.env("PERFTEL_LANGUAGES") else f"{path}: languages"
    country = config.env("PERFTEL_COUNTRY") or raw.get("country")
    country_source = "PERFTEL_COUNTRY" if config.env("PERFTEL_COUNTRY") else f"{path}: country"
    sections = {key: value for key, value in raw.items() if isinstance(value, dict)}
    return CompanySettings(
        company_id=company_id,
        timezone=timezone_named(tz, source=tz_source),
        languages=_languages(languages, lang_source),
        country=_country(country, country_source),
        sections=sections,
        path=path,
    )


def company_today(
    company_id: str, data_dir: str | Path | None = None, *, now: datetime | None = None
) -> date:
    """Today's date where the company is: the local day in its time zone (:func:`company_settings`).

    ``now`` is the aware instant to read (tests pass a fixed one; default the current time). On a UTC
    server at 22:00 in São Paulo it is still that day there. Raises ConfigError as ``company_settings``.
    """
    from perftel.dates import today

    return today(company_settings(company_id, data_dir).timezone, now=now)


def save_setting(company_id: str, key: str, value: Any, data_dir: str | Path | None = None) -> Path:
    """Set one top-level setting in the company's file (created if needed), validated first; returns the path.

    ``value`` None removes the key. Raises ConfigError for an unknown key or an invalid value.
    """
    import tomli_w

    if key not in KNOWN_KEYS or key in ("privacy", "vocabulary"):
        simple = [k for k in KNOWN_KEYS if k not in ("privacy", "vocabulary")]
        raise ConfigError(
            f"Unknown setting {key!r}. Settings set this way: {', '.join(simple)}.", field="settings"
        )
    path = settings_path(company_id, data_dir)
    raw = read_settings_file(path)
    if value is None:
        raw.pop(key, None)
    elif key == "timezone":
        raw[key] = timezone_named(value).key
    elif key == "languages":
        raw[key] = list(_languages(value, key))
    else:
        raw[key] = _country(value, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, tomli_w.dumps(raw))
    return path
