"""Tracker matching: phrases found, whole words, in one call's segments or a ``segments`` DataFrame.

:func:`normalize` makes text comparable (Unicode NFKD, combining marks dropped, ``casefold``, punctuation as a
word break); a :class:`Tracker`'s phrases then match whole words within one segment, limited to a speaker
role and a :class:`Window` of the call when the tracker says so. :class:`TrackerSet` runs them:
:meth:`~TrackerSet.find` over one call, :meth:`~TrackerSet.hits_frame` over many (pandas imported then).
Hit times are seconds from the start of the recording. The rules are described in
:mod:`perftel.analytics.trackers`, which reads them from each company's ``trackers.toml``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from perftel.analytics.segments import DEFAULT_CHANNEL_ROLES, ROLES, missing, segment_field

#: the columns of a ``tracker_hits`` table (and of :meth:`TrackerHit.as_row`)
HIT_COLUMNS = ("call_id", "tracker", "phrase", "speaker", "channel", "start_seconds", "matched_text")
_WINDOW = re.compile(
    r"^\s*(first|last)\s+(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|min|minutes?)\s*$", re.IGNORECASE
)
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


def _word_times(segment: Any) -> tuple[list[str], list[float], list[str]]:
    """(normalized tokens, their start times, the original word each token came from) for one segment."""
    start, end = float(segment_field(segment, "start")), float(segment_field(segment, "end"))
    words = segment_field(segment, "words")
    tokens: list[str] = []
    times: list[float] = []
    originals: list[str] = []
    if words and not isinstance(words, (int, float)):
        for word in words:
            text = segment_field(word, "word") or ""
            for token in _tokens(text):
                tokens.append(token)
                times.append(float(segment_field(word, "start", start)))
                originals.append(text.strip())
        return tokens, times, originals
    text = segment_field(segment, "text") or ""
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
            channels = 2 if any(not missing(segment_field(s, "channel")) for s in segments) else 1
        hits: list[TrackerHit] = []
        for segment in segments:
            channel = segment_field(segment, "channel")
            channel = None if missing(channel) else int(channel)
            speaker = segment_field(segment, "speaker")
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
