"""Dead air: the seconds of a call in which nobody speaks (Amazon Transcribe Call Analytics' "non-talk
time", https://docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html), its share of the call
and its longest single gap.

Talk is the union of all segments' ``[start, end)`` intervals (seconds, clipped to ``[0, duration]``);
silence is the rest of ``[0, duration]``, a silent start or end of the call included. Scalar functions
for one call and :func:`dead_air_arrays` for many calls at once (numpy; the same definitions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from perftel.analytics.grouped import firsts, group_cummax
from perftel.analytics.intervals import Interval, gaps


def silences(talk: Sequence[Interval], duration: float) -> list[Interval]:
    """The gaps of ``[0, duration)`` (seconds) between merged ``talk`` intervals, in order."""
    return gaps(talk, 0.0, duration)


def longest_silence(gaps_: Sequence[Interval]) -> Interval | None:
    """The longest of ``gaps_`` (the first of equals), or None when there is none."""
    return max(gaps_, key=lambda g: g[1] - g[0], default=None)


def silence_share(silence_seconds: float, duration: float) -> float | None:
    """``silence_seconds / duration`` rounded to 4 places; None for a call of no duration."""
    return round(silence_seconds / duration, 4) if duration > 0 else None


def silence_share_array(silence_seconds: Any, duration: Any) -> Any:
    """:func:`silence_share` of arrays (NaN for no duration)."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            duration > 0, np.round(silence_seconds / np.where(duration > 0, duration, 1), 4), np.nan
        )


def dead_air_arrays(call: Any, start: Any, end: Any, duration: Any) -> dict[str, Any]:
    """Talk and dead air of many calls at once.

    ``call``: the call index (0 … calls-1) of each segment; ``start``/``end``: its times in seconds
    (clipped at 0); ``duration``: seconds per call. Returns arrays indexed by call under the keys
    ``duration_seconds`` (extended to the last segment's end: the talk is real), ``talk_seconds``,
    ``longest_silence_seconds`` (0 when none) and ``longest_silence_start`` (NaN when none).
    """
    import numpy as np

    calls = len(duration)
    order = np.lexsort((end, start, call))
    c, s, e = call[order], start[order], end[order]
    last_end = np.zeros(calls)
    if len(c):
        np.maximum.at(last_end, c, e)
    duration = np.maximum(duration, last_end)
    cm = group_cummax(e, c)
    first = firsts(c)
    prev = np.where(first, -np.inf, np.r_[np.nan, cm[:-1]])
    talk = np.bincount(c, np.clip(e - np.maximum(s, prev), 0, None), minlength=calls)
    gap_start = np.where(first, 0.0, prev)
    gap = np.where(first, s, s - prev)
    tail_start = np.where(np.bincount(c, minlength=calls) > 0, last_end, 0.0)
    g_call = np.r_[c, np.arange(calls)]
    g_len = np.r_[gap, duration - tail_start]
    g_start = np.r_[gap_start, tail_start]
    keep = g_len > 0
    g_call, g_len, g_start = g_call[keep], g_len[keep], g_start[keep]
    pick = np.lexsort((g_start, -g_len, g_call))
    best = pick[firsts(g_call[pick])]
    longest = np.zeros(calls)
    longest_start = np.full(calls, np.nan)
    longest[g_call[best]] = g_len[best]
    longest_start[g_call[best]] = g_start[best]
    return {
        "duration_seconds": duration,
        "talk_seconds": talk,
        "longest_silence_seconds": longest,
        "longest_silence_start": longest_start,
    }
