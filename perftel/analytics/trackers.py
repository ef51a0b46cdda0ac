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
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from perftel import config
from perftel.analytics.metrics import DEFAULT_CHANNEL_ROLES, ROLES, missing
from perftel.errors import ConfigError
from perftel.files import write_text_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TRACKERS_FILE = "trackers.toml"
TRACKER_KEYS = ("phrases", "speaker", "window", "description")
HIT_COLUMNS = ("call_id", "tracker", "phrase", "speaker", "channel", "start_seconds", "matched_text")
_WINDOW = re.compile(
    r"^\s*(first|last)\s+(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|min|minutes?)\s*$", re.IGNORECASE
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NON_WORD = re.compile(r"[^\w]+|_")


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free words joined by single spaces ("Não, É!" → "nao e")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", stripped).split())


def _tokens(text: str) -> list[str]:
    return normalize(text).split()


@dataclass(frozen=True)
class Window:
    """Part of the call a tracker looks at: the first or last ``seconds`` of it."""

    edge: str  # "first" | "last"
    seconds: float

    @classmethod
    def parse(cls, value: str) -> Window:
        """A window from text such as ``"first 30 s"`` or ``"last 2 min"`` (seconds or minutes, any case).

        Raises ValueError for anything else.
        """
        match = _WINDOW.match(value or "")
        if not match:
            raise ValueError(f'window {value!r} is not like "first 30 s" or "last 60 s"')
        seconds = float(match.group(2)) * (60 if match.group(3).lower().startswith("min") else 1)
        return cls(match.group(1).lower(), seconds)

    def contains(self, seconds: float, duration: float | None) -> bool:
        """Whether a time ``seconds`` from the start of the recording falls in the window.

        ``duration`` is the recording's length in seconds; a "last" window contains nothing when it is None.
        """
        if self.edge == "first":
            return seconds < self.seconds
        return duration is not None and seconds >= duration - self.seconds

    def __str__(self) -> str:
        return f"{self.edge} {self.seconds:g} s"


@dataclass(frozen=True)
class Tracker:
    """A named list of phrases, optionally limited to a speaker ("agent"/"customer") and a window."""

    name: str
    phrases: tuple[str, ...]
    speaker: str | None = None
    window: Window | None = None
    description: str = ""
    _patterns: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._patterns:
            object.__setattr__(self, "_patterns", tuple(tuple(_tokens(p)) for p in self.phrases))


@dataclass(frozen=True)
class TrackerHit:
    """One phrase found: ``start_seconds`` from the start of the recording (the transcript's timeline, which
    can begin after the call's own start, e.g. after ringing); ``matched_text`` as transcribed.

    ``speaker`` is the role ("agent"/"customer") when the call has two channels, else None.
    """

    call_id: str | None
    tracker: str
    phrase: str
    speaker: str | None
    channel: int | None
    start_seconds: float
    matched_text: str

    def as_row(self) -> dict[str, Any]:
        """The hit as a dict keyed by :data:`HIT_COLUMNS`."""
        return asdict(self)


def _get(segment: Any, name: str, default: Any = None) -> Any:
    if isinstance(segment, Mapping):
        return segment.get(name, default)
    return getattr(segment, name, default)


def _word_times(segment: Any) -> tuple[list[str], list[float], list[str]]:
    """(normalized tokens, their start times, the original word each token came from) for one segment."""
    start, end = float(_get(segment, "start")), float(_get(segment, "end"))
    words = _get(segment, "words")
    tokens: list[str] = []
    times: list[float] = []
    originals: list[str] = []
    if words and not isinstance(words, (int, float)):
        for word in words:
            text = _get(word, "word") or ""
            for token in _tokens(text):
                tokens.append(token)
                times.append(float(_get(word, "start", start)))
                originals.append(text.strip())
        return tokens, times, originals
    text = _get(segment, "text") or ""
    raw_words = text.split()
    length = max(1, len(text))
    position = 0
    for word in raw_words:
        at = text.find(word, position)
        position = at + len(word)
        for token in _tokens(word):
            tokens.append(token)
            times.append(start + (end - start) * at / length)
            originals.append(word)
    return tokens, times, originals


class TrackerSet:
    """Validated trackers; :meth:`find` runs them over one call's segments."""

    def __init__(self, trackers: Iterable[Tracker] = (), *, source: str | None = None) -> None:
        self.trackers: tuple[Tracker, ...] = tuple(trackers)
        self.source = source

    def __len__(self) -> int:
        return len(self.trackers)

    def __iter__(self):  # noqa: ANN204
        return iter(self.trackers)

    def __repr__(self) -> str:
        return f"TrackerSet({[t.name for t in self.trackers]!r}, source={self.source!r})"

    @property
    def names(self) -> list[str]:
        """The trackers' names, in file order."""
        return [t.name for t in self.trackers]

    def find(
        self,
        segments: Sequence[Any],
        *,
        call_id: str | None = None,
        duration_seconds: float | None = None,
        channels: int | None = None,
        channel_roles: Mapping[int, str] | None = None,
    ) -> list[TrackerHit]:
        """Every hit in one call, ordered by time. Segments as for :func:`perftel.analytics.call_metrics`.

        ``duration_seconds`` is the length of the segments' timeline (the recording), used by "last N s"
        windows; ``channels`` defaults to 2 when any segment has a channel.
        """
        roles = channel_roles if channel_roles is not None else DEFAULT_CHANNEL_ROLES
        if channels is None:
            channels = 2 if any(not missing(_get(s, "channel")) for s in segments) else 1
        hits: list[TrackerHit] = []
        for segment in segments:
            channel = _get(segment, "channel")
            channel = None if missing(channel) else int(channel)
            speaker = _get(segment, "speaker")
            role = speaker if isinstance(speaker, str) and speaker in ROLES else None
            role = role or (roles.get(channel) if channel is not None else None)
            if channels < 2:
                role = None
            tokens, times, originals = _word_times(segment)
            if not tokens:
                continue
            for tracker in self.trackers:
                if tracker.speaker and channels >= 2 and role != tracker.speaker:
                    continue
                for phrase, pattern in zip(tracker.phrases, tracker._patterns, strict=True):
                    size = len(pattern)
                    first = pattern[0]
                    for i in range(len(tokens) - size + 1):
                        if tokens[i] != first or tuple(tokens[i : i + size]) != pattern:
                            continue
                        at = times[i]
                        if tracker.window and not tracker.window.contains(at, duration_seconds):
                            continue
                        said = " ".join(dict.fromkeys(originals[i : i + size]))
                        hits.append(
                            TrackerHit(call_id, tracker.name, phrase, role, channel, round(at, 3), said)
                        )
        hits.sort(key=lambda h: (h.start_seconds, h.tracker))
        return hits

    def hits_frame(self, segments: Any, calls: Any) -> Any:
        """``tracker_hits`` DataFrame for many calls (DataFrames shaped as for ``call_metrics_frame``).

        Columns :data:`HIT_COLUMNS`; one row per hit, calls in ``segments`` order. ``calls`` needs
        ``call_id`` and the recording's length in seconds for "last" windows: ``audio_seconds`` when the
        frame has it (segment times count from the recording's start, and a call's ``duration_seconds``
        may include ringing, e.g. Aircall's), else ``duration_seconds`` taken as the recording's length
        (as :func:`~perftel.analytics.metrics.call_metrics_frame` does); optionally ``channels``. A NaN
        length is unknown ("last" windows then find nothing), as in
        :func:`perftel.analytics.tables.tracker_hits_frame`.
        """
        import pandas as pd

        length = "audio_seconds" if "audio_seconds" in calls else "duration_seconds"
        durations = {
            call_id: None if pd.isna(seconds) else float(seconds)
            for call_id, seconds in zip(calls["call_id"].tolist(), calls[length].tolist(), strict=True)
        }
        channels = (
            dict(zip(calls["call_id"].tolist(), calls["channels"].tolist(), strict=True))
            if "channels" in calls
            else {}
        )
        rows: list[dict[str, Any]] = []
        for call_id, group in segments.groupby("call_id", sort=False):
            records = group.sort_values("start").to_dict("records")
            found = self.find(
                records,
                call_id=call_id,
                duration_seconds=durations.get(call_id),
                channels=channels.get(call_id),
            )
            rows.extend(h.as_row() for h in found)
        return pd.DataFrame(rows, columns=list(HIT_COLUMNS))


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
