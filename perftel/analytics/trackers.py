"""Trackers: named phrase lists found in transcripts ("did the agent say the recording disclosure in the
first 30 s?").

Each company keeps its trackers in ``<data_dir>/<company_id>/trackers.toml`` beside its data::

    [trackers.recording_disclosure]
    speaker = "agent"                 # optional: "agent" or "customer"
    window = "first 30 s"             # optional: "first N s" / "last N s" of the call
    phrases = ["esta ligação está sendo gravada", "this call is being recorded"]

``perftel trackers init --company X`` writes the shipped example (recording disclosure, greeting,
cancellation intent, competitor mention; Portuguese and English) — :func:`example_text` returns it.

Matching (:func:`normalize`): case and accents are ignored (Unicode NFKD, combining marks dropped,
``casefold``), punctuation counts as a word break (``"e-mail"`` = ``"e mail"``), and a phrase only matches
whole words (``"cancel"`` does not match ``"cancelled"``). A phrase is matched within one segment. A hit
records the call, tracker, phrase, speaker and time in seconds from the start of the call (the first
matched word's start when the segment has word times, else interpolated by position in the segment).
Speaker limits need two-channel calls: on a mono call a speaker-limited tracker matches any speaker
and its hits have ``speaker`` None. Windows use the hit's time: ``first N s`` is ``time < N``, ``last N s``
is ``time >= duration - N``.

Bad input: a file that is not valid TOML, an unknown key, an empty phrase, a wrong speaker or window raise
:class:`~perftel.errors.ConfigError` naming the file and line. :class:`CompanyTrackers` validates a
changed file completely before using it, so after a failed reload the previous trackers stay in force.

This module reads, checks and writes the file; the matching is :mod:`perftel.analytics.tracker_match`
(its public names are importable from here too).
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

from perftel import config
from perftel.analytics.segments import ROLES
from perftel.analytics.tracker_match import (  # noqa: F401 (re-exported: the trackers' public names live here)
    HIT_COLUMNS,
    Tracker,
    TrackerHit,
    TrackerSet,
    Window,
    normalize,
)
from perftel.errors import ConfigError
from perftel.files import write_text_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TRACKERS_FILE = "trackers.toml"
TRACKER_KEYS = ("phrases", "speaker", "window", "description")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _line_of(text: str, pattern: re.Pattern[str], after: int = 0) -> int | None:
    lines = text.splitlines()
    for number in range(after, len(lines)):
        if pattern.search(lines[number]):
            return number + 1
    return None


def _section_line(text: str, name: str) -> int:
    found = _line_of(text, re.compile(rf"^\s*\[\s*trackers\s*\.\s*[\"']?{re.escape(name)}[\"']?\s*\]"))
    return found or 1


def parse_trackers(text: str, *, source: str = "trackers.toml") -> TrackerSet:
    """Validate and build trackers from TOML text. Raises ConfigError naming ``source`` and the line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+)", str(exc))
        line = int(where.group(1)) if where else max(1, len(text.splitlines()))
        raise ConfigError(
            f"{source}, line {line}: not valid TOML ({exc}). Fix that line.", field="trackers"
        ) from exc
    unknown = sorted(set(raw) - {"trackers"})
    if unknown:
        line = _line_of(text, re.compile(rf"^\s*\[?\s*{re.escape(unknown[0])}\b")) or 1
        raise ConfigError(
            f"{source}, line {line}: unknown key {unknown[0]!r}; trackers go in [trackers.<name>] tables.",
            field="trackers",
        )
    tables = raw.get("trackers", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{source}: 'trackers' must be tables like [trackers.greeting].", field="trackers")
    trackers = []
    for name, spec in tables.items():
        line = _section_line(text, name)

        def fail(message: str, at: int | None = None, name: str = name, line: int = line) -> ConfigError:
            return ConfigError(f"{source}, line {at or line}: tracker {name!r}: {message}", field="trackers")

        if not _NAME.match(name):
            raise fail("use a name of letters, digits, '_', '.', '-' (at most 64)")
        if not isinstance(spec, dict):
            raise fail("must be a table: [trackers.<name>] with phrases = [...]")
        bad = sorted(set(spec) - set(TRACKER_KEYS))
        if bad:
            raise fail(
                f"unknown key {bad[0]!r}; valid keys: {', '.join(TRACKER_KEYS)}",
                _line_of(text, re.compile(rf"^\s*{re.escape(bad[0])}\s*="), line - 1),
            )
        phrases = spec.get("phrases")
        if not isinstance(phrases, list) or not phrases:
            raise fail('needs phrases = ["...", ...] with at least one phrase')
        for phrase in phrases:
            if not isinstance(phrase, str) or not normalize(phrase):
                empty = (
                    re.compile(r"(\"\s*[^\w\"]*\"|'\s*[^\w']*')")
                    if isinstance(phrase, str)
                    else re.compile(r"[\[,]\s*[^\s\"'\[\],]")
                )
                at = _line_of(text, empty, line - 1)
                raise fail(f"empty phrase {phrase!r} (a phrase needs at least one word); remove it", at)
        speaker = spec.get("speaker")
        if speaker is not None and speaker not in ROLES:
            raise fail(
                f"speaker {speaker!r} must be one of {', '.join(ROLES)} (or left out)",
                _line_of(text, re.compile(r"^\s*speaker\s*="), line - 1),
            )
        window = None
        if spec.get("window") is not None:
            try:
                window = Window.parse(str(spec["window"]))
            except ValueError as exc:
                raise fail(str(exc), _line_of(text, re.compile(r"^\s*window\s*="), line - 1)) from None
        trackers.append(Tracker(name, tuple(phrases), speaker, window, str(spec.get("description") or "")))
    return TrackerSet(trackers, source=source)


def load_trackers(path: str | Path) -> TrackerSet:
    """Trackers from a TOML file (an empty set when it does not exist). Raises ConfigError."""
    path = Path(path)
    if not path.is_file():
        return TrackerSet(source=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}", field="trackers") from exc
    return parse_trackers(text, source=str(path))


def trackers_path(company_id: str, data_dir: str | Path | None = None) -> Path:
    """``<data_dir>/<company_id>/trackers.toml``."""
    from perftel.company import validate_company_id

    return config.data_dir(data_dir) / validate_company_id(company_id) / TRACKERS_FILE


def example_text() -> str:
    """The shipped example trackers file (Portuguese and English phrases)."""
    return resources.files("perftel.analytics").joinpath("trackers_example.toml").read_text(encoding="utf-8")


def init_trackers(company_id: str, data_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """Write the example file as the company's trackers; ConfigError if one exists (unless ``force``)."""
    path = trackers_path(company_id, data_dir)
    if path.exists() and not force:
        raise ConfigError(
            f"{path} already exists; edit it, or pass --force to overwrite it.", field="trackers"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, example_text())
    return path


class CompanyTrackers:
    """A company's trackers, reloaded when the file changes; a bad file keeps the previous set in force.

    :meth:`reload` raises the ConfigError (so the user sees what to fix) but :attr:`current` stays the
    last valid set; :attr:`error` keeps the message of the last failed load (None after a good one).
    """

    def __init__(self, company_id: str, data_dir: str | Path | None = None) -> None:
        self.path = trackers_path(company_id, data_dir)
        self.current = TrackerSet(source=str(self.path))
        self.error: str | None = None
        self._stamp: tuple[int, int] | None = None

    def reload(self, *, force: bool = False) -> TrackerSet:
        """The current trackers, read again when the file changed (or ``force``); no file: an empty set.

        Raises ConfigError for an invalid file; :attr:`current` then keeps the last valid set.
        """
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if not force and stamp == self._stamp and self.error is None:
            return self.current
        try:
            fresh = load_trackers(self.path)
        except ConfigError as exc:
            self.error = str(exc)
            raise
        self.current, self.error, self._stamp = fresh, None, stamp
        return fresh
