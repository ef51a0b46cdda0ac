"""Reading a transcript's segments for the metrics: their fields, word counts and speaker roles.

A segment is a :class:`~perftel.models.TranscriptionSegment` or a dict with ``start``/``end`` (seconds from
the start of the recording), ``channel`` (None for mono), ``speaker`` ("agent", "customer" or
"channel N") and ``words`` (a list or a count) or ``text``. Its role is its speaker when that is "agent"
or "customer", else its channel's role in ``channel_roles`` (default :data:`DEFAULT_CHANNEL_ROLES`, the
layout of the providers' dual-channel recordings; such a role is *assumed*). The DataFrame readers do the
same for a ``segments`` table at once (numpy and pandas imported when called).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from perftel.analytics.intervals import Interval

#: the two speaker roles the speaker metrics compare, in the order of the vectorised role codes 0 and 1
ROLES = ("agent", "customer")
#: channel number → role of the providers' dual-channel recordings
DEFAULT_CHANNEL_ROLES: dict[int, str] = {0: "agent", 1: "customer"}
#: ``speaker_metrics_note`` of a one-channel call: one channel cannot tell who spoke
MONO_NOTE = "not available (mono)"
#: ``speaker_metrics_note`` of a call with a segment whose role is neither given nor mapped by channel
NO_ROLES_NOTE = "not available (speakers unknown)"


def segment_field(segment: Any, name: str, default: Any = None) -> Any:
    """Field ``name`` of a segment that is a mapping (a dict, a row) or an object; ``default`` if absent."""
    if isinstance(segment, Mapping):
        return segment.get(name, default)
    return getattr(segment, name, default)


def missing(value: Any) -> bool:
    """True for None, NaN or pandas' NA (a value a table left empty)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def word_count(segment: Any) -> int:
    """Words of a segment: its ``words`` count, the length of its ``words`` list, else of its ``text``
    split on white space."""
    words = segment_field(segment, "words")
    if isinstance(words, (int, float)) and not isinstance(words, bool):
        return int(words)
    if words is not None:
        return len(words)
    return len((segment_field(segment, "text") or "").split())


@dataclass
class SegmentsByRole:
    """One call's segments read for the metrics (times in seconds, clipped at 0).

    ``intervals``: ``(start, end)`` of every segment; ``talk`` and ``words_by_role``: the intervals and
    word count of each role (keys "agent", "customer"); ``words``: all segments' words; ``any_channel``:
    some segment has a channel; ``roles_assumed``: some role came from ``channel_roles``;
    ``unknown_role``: some segment has no role (it is left out of ``talk``).
    """

    intervals: list[Interval] = field(default_factory=list)
    talk: dict[str, list[Interval]] = field(default_factory=lambda: {role: [] for role in ROLES})
    words_by_role: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROLES, 0))
    words: int = 0
    any_channel: bool = False
    roles_assumed: bool = False
    unknown_role: bool = False


def read_segments(segments: Sequence[Any], channel_roles: Mapping[int, str] | None = None) -> SegmentsByRole:
    """Read one call's segments (see the module docstring) into a :class:`SegmentsByRole`.

    Raises KeyError when ``channel_roles`` maps a channel to a name other than "agent"/"customer", and
    TypeError/ValueError when a segment lacks a numeric ``start`` or ``end``.
    """
    roles = channel_roles if channel_roles is not None else DEFAULT_CHANNEL_ROLES
    read = SegmentsByRole()
    for segment in segments:
        start = max(0.0, float(segment_field(segment, "start")))
        end = max(0.0, float(segment_field(segment, "end")))
        count = word_count(segment)
        read.words += count
        read.intervals.append((start, end))
        channel = segment_field(segment, "channel")
        speaker = segment_field(segment, "speaker")
        has_channel = not missing(channel)
        read.any_channel = read.any_channel or has_channel
        role = speaker if isinstance(speaker, str) and speaker in ROLES else None
        if role is None and has_channel:
            role = roles.get(int(channel))
            read.roles_assumed = read.roles_assumed or role is not None
        if role is None:
            read.unknown_role = True
            continue
        read.talk[role].append((start, end))
        read.words_by_role[role] += count
    return read


def channel_array(segments: Any) -> Any:
    """Float array of a ``segments`` DataFrame's ``channel`` column (NaN where empty or absent)."""
    import numpy as np
    import pandas as pd

    if "channel" in segments:
        return pd.to_numeric(segments["channel"], errors="coerce").to_numpy(dtype=float)
    return np.full(len(segments), np.nan)


def role_codes(
    segments: Any, channel: Any, channel_roles: Mapping[int, str] | None = None
) -> tuple[Any, Any]:
    """Role code per row of a ``segments`` DataFrame: 0 agent, 1 customer (the index in :data:`ROLES`),
    -1 unknown; and a boolean array, True where the role came from ``channel_roles`` by ``channel``
    (:func:`channel_array`). Names outside :data:`ROLES` in ``channel_roles`` are ignored."""
    import numpy as np

    roles = channel_roles if channel_roles is not None else DEFAULT_CHANNEL_ROLES
    has_channel = ~np.isnan(channel)
    speaker = (
        segments["speaker"].astype(object).to_numpy()
        if "speaker" in segments
        else np.full(len(segments), None)
    )
    role = np.full(len(segments), -1)
    role[speaker == "agent"] = 0
    role[speaker == "customer"] = 1
    assumed = np.zeros(len(segments), dtype=bool)
    for number, name in roles.items():
        if name in ROLES:
            mapped = (role < 0) & has_channel & (channel == number)
            role[mapped] = ROLES.index(name)
            assumed |= mapped
    return role, assumed


def word_count_array(segments: Any) -> Any:
    """Float array of words per row of a ``segments`` DataFrame: its ``words`` count (empty: 0), else the
    number of words in its ``text``."""
    import numpy as np
    import pandas as pd

    if "words" in segments:
        return pd.to_numeric(segments["words"], errors="coerce").fillna(0).to_numpy(dtype=float)
    return np.array([len(str(t or "").split()) for t in segments["text"].tolist()], dtype=float)
