"""Row filters on the tables of :mod:`perftel.notebook.charts.call_tables`: by local day, direction,
answered or missed, and words in the transcript; and one recording's segments."""

from __future__ import annotations

from datetime import date

import pandas as pd

from perftel import dates
from perftel.notebook.tables import clock


def _in_range(frame: pd.DataFrame, start: date | str | None, end: date | str | None) -> pd.Series:
    """Rows whose ``day`` (local, when the column is there; else the UTC day) is in ``[start, end]``."""
    days = frame["day"] if "day" in frame else pd.to_datetime(frame["started_at"], utc=True).dt.date
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        keep &= days >= dates.to_day(start, field="start")
    if end is not None:
        keep &= days <= dates.to_day(end, field="end")
    return keep


def _call_mask(frame: pd.DataFrame, start, end, direction: str | None, answered: bool | None) -> pd.Series:
    """Rows in ``[start, end]`` of the given direction and answered state (None: any)."""
    keep = _in_range(frame, start, end)
    if direction:
        keep &= frame["direction"] == direction
    if answered is not None:
        keep &= frame["answered"] == answered
    return keep


def _has_words(texts: pd.Series, words: str | None) -> pd.Series:
    """Texts holding every whitespace-separated word of ``words`` (any case, plain substrings)."""
    keep = pd.Series(True, index=texts.index)
    for word in (words or "").lower().split():
        keep &= texts.fillna("").str.lower().str.contains(word, regex=False)
    return keep


def filter_calls(
    calls: pd.DataFrame,
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    direction: str | None = None,
    answered: bool | None = None,
) -> pd.DataFrame:
    """Calls whose day (local, see :func:`~perftel.notebook.charts.add_time_columns`; the UTC day when
    ``calls`` has no ``day`` column) is within ``[start, end]`` (both included, dates or ISO strings), of
    a ``direction`` ("INBOUND"/"OUTBOUND"), answered or missed; None means any. Raises ConfigError for a
    date that cannot be read."""
    return calls[_call_mask(calls, start, end, direction, answered)]


def filter_transcripts(
    transcripts: pd.DataFrame,
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    direction: str | None = None,
    answered: bool | None = None,
    words: str | None = None,
) -> pd.DataFrame:
    """Transcripts of calls in the range/direction/answered (as :func:`filter_calls`) whose ``text`` holds
    every one of ``words`` (any case)."""
    keep = _call_mask(transcripts, start, end, direction, answered)
    keep &= _has_words(transcripts["text"], words)
    return transcripts[keep]


def calls_with_words(calls: pd.DataFrame, transcripts: pd.DataFrame, words: str | None) -> pd.DataFrame:
    """The calls (matched on ``calls.id`` = ``transcripts.call_id``) whose transcript holds every one of
    ``words`` (all calls when ``words`` is empty), so the charts follow the Words filter as the transcript
    table does."""
    if not (words or "").strip():
        return calls
    hits = transcripts.loc[_has_words(transcripts["text"], words), "call_id"].dropna()
    return calls[calls["id"].isin(set(hits))]


def call_segments(segments: pd.DataFrame, recording_id: str) -> pd.DataFrame:
    """Who said what, when, in one recording, by start: ``time`` (m:ss, floored), ``start``, ``end``
    (seconds from the start of the recording), ``who``, ``text``; a fresh 0..n-1 index."""
    rows = segments[segments["recording_id"] == recording_id].sort_values("start")
    out = rows[["start", "end", "who", "text"]].reset_index(drop=True)
    out.insert(0, "time", [clock(s, floor=True) for s in out["start"]])
    return out
