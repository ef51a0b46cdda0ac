"""The small tables behind the period charts, counted in pandas: calls per local day and hour, answered
and missed per day, calls per duration bin, talk time per agent, and the period's headline numbers.

Every count comes on a full grid (every day of the span, all 24 hours, every bin), zeros included, so a
quiet day shows as zero and not as a gap. :mod:`perftel.notebook.store` computes the same tables in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pandas as pd

from perftel.notebook.charts.call_tables import add_time_columns
from perftel.notebook.tables import clock

DIRECTIONS = ["INBOUND", "OUTBOUND"]
STATUSES = ["answered", "missed"]


def _every_day(days: pd.Series) -> list:
    """Every date from the first to the last of ``days``, both included."""
    return list(pd.date_range(min(days), max(days), freq="D").date)


def _count_grid(calls: pd.DataFrame, axes: dict[str, Iterable]) -> pd.DataFrame:
    """Calls counted per combination of ``axes`` (column → every value it can take), zeros included: the
    axes' columns then ``calls``."""
    grid = pd.MultiIndex.from_product([list(values) for values in axes.values()], names=list(axes))
    counts = calls.groupby(list(axes)).size().reindex(grid, fill_value=0)
    return counts.rename("calls").reset_index()


def calls_per_day(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """``day`` (a date), ``direction`` (each of :data:`DIRECTIONS`), ``calls`` — every day of the span,
    zeros included (days local to ``tz`` unless ``calls`` already has a ``day`` column)."""
    calls = add_time_columns(calls, tz) if "day" not in calls else calls
    if calls.empty:
        return pd.DataFrame(columns=["day", "direction", "calls"])
    return _count_grid(calls, {"day": _every_day(calls["day"]), "direction": DIRECTIONS})


def calls_per_hour(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """``hour`` (0-23, local to ``tz`` unless ``calls`` has an ``hour`` column), ``direction``, ``calls`` —
    all 24 hours."""
    calls = add_time_columns(calls, tz) if "hour" not in calls else calls
    return _count_grid(calls, {"hour": range(24), "direction": DIRECTIONS})


def answered_per_day(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """``day`` (local to ``tz`` unless given), ``status`` (answered/missed), ``calls``, ``share`` of the
    day's calls (0–1; 0 on a day without calls) — every day of the span."""
    calls = add_time_columns(calls, tz) if "status" not in calls or "day" not in calls else calls
    if calls.empty:
        return pd.DataFrame(columns=["day", "status", "calls", "share"])
    table = _count_grid(calls, {"day": _every_day(calls["day"]), "status": STATUSES})
    totals = table.groupby("day")["calls"].transform("sum")
    table["share"] = (table["calls"] / totals.where(totals > 0)).fillna(0.0)
    return table


def duration_bins(calls: pd.DataFrame, width: float | None = None) -> pd.DataFrame:
    """Calls per duration bin and status: ``start`` (s), ``end`` (s), ``status``, ``calls``, every bin from
    0 to the longest call. ``width`` (s) defaults to the first of 5, 10, 15, 30, 60, 120, 300, 600 s giving
    at most 12 bins (else 900 s)."""
    calls = add_time_columns(calls) if "status" not in calls else calls
    seconds = calls["duration_seconds"].dropna()
    if seconds.empty:
        return pd.DataFrame(columns=["start", "end", "status", "calls"])
    if width is None:
        width = next((w for w in (5, 10, 15, 30, 60, 120, 300, 600) if seconds.max() / w <= 12), 900)
    starts = (calls["duration_seconds"] // width * width).rename("start")
    edges = range(0, int(seconds.max() // width * width) + 1, int(width))
    table = _count_grid(calls.assign(start=starts), {"start": map(float, edges), "status": STATUSES})
    table.insert(1, "end", table["start"] + width)
    return table


def talk_time(segments: pd.DataFrame) -> pd.DataFrame:
    """Seconds of speech per agent (named where the provider says who) or channel, most first: ``who``,
    ``talk_seconds``, ``calls`` (recordings they speak in), ``share`` (0–1 of all speech)."""
    if segments.empty:
        return pd.DataFrame(columns=["who", "talk_seconds", "calls", "share"])
    table = segments.groupby("who").agg(
        talk_seconds=("talk_seconds", "sum"), calls=("recording_id", "nunique")
    )
    table = table.sort_values("talk_seconds", ascending=False).reset_index()
    table["share"] = table["talk_seconds"] / table["talk_seconds"].sum()
    return table


def period_summary(calls: pd.DataFrame, transcripts: pd.DataFrame) -> pd.DataFrame:
    """The headline numbers of a period, as a two-column table of display text (``measure``, ``value``):
    calls, inbound, outbound, answered, missed, answer rate, median answered call (m:ss), transcribed
    recordings."""
    answered = int(calls["answered"].sum()) if not calls.empty else 0
    talk = (
        calls.loc[calls["answered"].astype(bool), "duration_seconds"]
        if not calls.empty
        else pd.Series(dtype=float)
    )
    rows = [
        ("Calls", len(calls)),
        ("Inbound", int((calls["direction"] == "INBOUND").sum())),
        ("Outbound", int((calls["direction"] == "OUTBOUND").sum())),
        ("Answered", answered),
        ("Missed", len(calls) - answered),
        ("Answer rate", f"{answered / len(calls):.0%}" if len(calls) else "–"),
        ("Median answered call", clock(talk.median()) if len(talk) else "–"),
        ("Transcribed recordings", len(transcripts)),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])
