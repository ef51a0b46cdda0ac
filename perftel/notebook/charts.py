"""Tables and charts of a company's calls and transcripts: pure functions, DataFrames in, figures out.

::

    tables = load_tables("acme")                      # .calls, .transcripts, .segments
    calls_per_day_figure(tables.calls).show()
    filter_transcripts(tables.transcripts, words="refund", answered=True)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from perftel import dates
from perftel.storage import CompanyStorage

DIRECTIONS = ["INBOUND", "OUTBOUND"]
STATUSES = ["answered", "missed"]
COLOURS = {"INBOUND": "#1f77b4", "OUTBOUND": "#ff7f0e", "answered": "#2ca02c", "missed": "#d62728"}
TRANSCRIPT_COLUMNS = [
    "recording_id",
    "call_id",
    "started_at",
    "direction",
    "answered",
    "duration_seconds",
    "agents",
    "language",
    "language_outside_list",
    "model",
    "audio_seconds",
    "segments",
    "text",
    "audio_path",
]
SEGMENT_COLUMNS = [
    "recording_id",
    "call_id",
    "start",
    "end",
    "talk_seconds",
    "channel",
    "speaker",
    "who",
    "text",
]


@dataclass
class CallTables:
    """A company's data as three tables: one row per call, per transcript, per segment."""

    calls: pd.DataFrame
    transcripts: pd.DataFrame
    segments: pd.DataFrame


def load_tables(company: str, data_dir: str | Path | None = None) -> CallTables:
    """Read a company's saved calls and transcriptions from disk."""
    storage = CompanyStorage(company, data_dir)
    calls = add_time_columns(storage.calls_frame())
    by_recording = {rec.id: call for call in storage.load_calls() for rec in call.recordings}
    rows, segments = [], []
    for result in storage.load_transcriptions():
        call = by_recording.get(result.recording_id)
        agents = (
            ", ".join(p.name or p.extension or "" for p in call.participants if p.role == "agent")
            if call
            else ""
        )
        rows.append(
            {
                "recording_id": result.recording_id,
                "call_id": call.id if call else None,
                "started_at": call.started_at if call else None,
                "direction": call.direction.value if call else None,
                "answered": call.answered if call else None,
                "duration_seconds": call.duration_seconds if call else None,
                "agents": agents,
                "language": result.language,
                "language_outside_list": result.language_outside_list,
                "model": result.model,
                "audio_seconds": result.duration,
                "segments": len(result.segments),
                "text": result.text.strip(),
                "audio_path": result.audio_path,
            }
        )
        for seg in result.segments:
            speaker = seg.speaker or (f"channel {seg.channel}" if seg.channel is not None else "speaker")
            segments.append(
                {
                    "recording_id": result.recording_id,
                    "call_id": call.id if call else None,
                    "start": seg.start,
                    "end": seg.end,
                    "talk_seconds": max(0.0, seg.end - seg.start),
                    "channel": seg.channel,
                    "speaker": speaker,
                    "who": agents if speaker == "agent" and agents else speaker,
                    "text": seg.text.strip(),
                }
            )
    transcripts = pd.DataFrame(rows, columns=TRANSCRIPT_COLUMNS)
    transcripts["started_at"] = pd.to_datetime(transcripts["started_at"], utc=True)
    transcripts = transcripts.sort_values("started_at", kind="stable").reset_index(drop=True)
    return CallTables(calls, transcripts, pd.DataFrame(segments, columns=SEGMENT_COLUMNS))


def add_time_columns(calls: pd.DataFrame) -> pd.DataFrame:
    """``day`` (a date), ``hour`` (0-23, UTC) and ``status`` (answered/missed) beside each call."""
    calls = calls.copy()
    started = pd.to_datetime(calls["started_at"], utc=True)
    calls["day"] = started.dt.date
    calls["hour"] = started.dt.hour.astype("Int64")
    calls["status"] = calls["answered"].map({True: "answered", False: "missed"})
    return calls


def _in_range(stamps: pd.Series, start: date | str | None, end: date | str | None, tz=None) -> pd.Series:
    return dates.in_range(stamps, start, end, tz=tz)  # local days of tz (None: PERFTEL_TIMEZONE or UTC)


def _call_mask(frame: pd.DataFrame, start, end, direction: str | None, answered: bool | None) -> pd.Series:
    keep = _in_range(frame["started_at"], start, end)
    if direction:
        keep &= frame["direction"] == direction
    if answered is not None:
        keep &= frame["answered"] == answered
    return keep


def filter_calls(
    calls: pd.DataFrame,
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    direction: str | None = None,
    answered: bool | None = None,
) -> pd.DataFrame:
    """Calls whose day is within ``[start, end]`` (both included), of a direction, answered or missed."""
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
    """Transcripts of calls in the range/direction/answered, containing every one of ``words`` (any case)."""
    keep = _call_mask(transcripts, start, end, direction, answered)
    for word in (words or "").lower().split():
        keep &= transcripts["text"].fillna("").str.lower().str.contains(word, regex=False)
    return transcripts[keep]


def call_segments(segments: pd.DataFrame, recording_id: str) -> pd.DataFrame:
    """Who said what, when, in one recording: ``time`` (m:ss), ``start``, ``end``, ``who``, ``text``."""
    rows = segments[segments["recording_id"] == recording_id].sort_values("start")
    out = rows[["start", "end", "who", "text"]].reset_index(drop=True)
    out.insert(0, "time", [f"{int(s // 60)}:{int(s % 60):02d}" for s in out["start"]])
    return out


# -- tables behind the charts --------------------------------------------------------------------
def calls_per_day(calls: pd.DataFrame) -> pd.DataFrame:
    """``day``, ``direction``, ``calls`` — every day of the span, zeros included."""
    calls = add_time_columns(calls) if "day" not in calls else calls
    if calls.empty:
        return pd.DataFrame(columns=["day", "direction", "calls"])
    days = pd.date_range(min(calls["day"]), max(calls["day"]), freq="D").date
    grid = pd.MultiIndex.from_product([days, DIRECTIONS], names=["day", "direction"])
    counts = calls.groupby(["day", "direction"]).size().reindex(grid, fill_value=0)
    return counts.rename("calls").reset_index()


def calls_per_hour(calls: pd.DataFrame) -> pd.DataFrame:
    """``hour`` (0-23, UTC), ``direction``, ``calls`` — all 24 hours."""
    calls = add_time_columns(calls) if "hour" not in calls else calls
    grid = pd.MultiIndex.from_product([range(24), DIRECTIONS], names=["hour", "direction"])
    counts = calls.groupby(["hour", "direction"]).size().reindex(grid, fill_value=0)
    return counts.rename("calls").reset_index()


def answered_per_day(calls: pd.DataFrame) -> pd.DataFrame:
    """``day``, ``status`` (answered/missed), ``calls``, ``share`` of the day's calls."""
    calls = add_time_columns(calls) if "status" not in calls else calls
    if calls.empty:
        return pd.DataFrame(columns=["day", "status", "calls", "share"])
    days = pd.date_range(min(calls["day"]), max(calls["day"]), freq="D").date
    grid = pd.MultiIndex.from_product([days, STATUSES], names=["day", "status"])
    table = calls.groupby(["day", "status"]).size().reindex(grid, fill_value=0).rename("calls").reset_index()
    totals = table.groupby("day")["calls"].transform("sum")
    table["share"] = (table["calls"] / totals.where(totals > 0)).fillna(0.0)
    return table


def talk_time(segments: pd.DataFrame) -> pd.DataFrame:
    """Seconds of speech per agent (named where the provider says who) or channel: ``who``, ``talk_seconds``,
    ``calls``, ``share``."""
    if segments.empty:
        return pd.DataFrame(columns=["who", "talk_seconds", "calls", "share"])
    table = segments.groupby("who").agg(
        talk_seconds=("talk_seconds", "sum"), calls=("recording_id", "nunique")
    )
    table = table.sort_values("talk_seconds", ascending=False).reset_index()
    table["share"] = table["talk_seconds"] / table["talk_seconds"].sum()
    return table


def period_summary(calls: pd.DataFrame, transcripts: pd.DataFrame) -> pd.DataFrame:
    """The headline numbers of a period, as a two-column table."""
    answered = int(calls["answered"].sum()) if not calls.empty else 0
    talk = (
        calls.loc[calls["answered"].astype(bool), "duration_seconds"]
        if not calls.empty
        else pd.Series(dtype=float)
    )
    rows = [
        ("calls", len(calls)),
        ("inbound", int((calls["direction"] == "INBOUND").sum())),
        ("outbound", int((calls["direction"] == "OUTBOUND").sum())),
        ("answered", answered),
        ("missed", len(calls) - answered),
        ("answer rate", f"{answered / len(calls):.0%}" if len(calls) else "–"),
        ("median answered duration", f"{talk.median():.0f} s" if len(talk) else "–"),
        ("transcribed recordings", len(transcripts)),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])


# -- figures ---------------------------------------------------------------------------------------
def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=340,
        margin=dict(l=40, r=20, t=50, b=40),
        legend_title_text="",
    )
    return fig


def calls_per_day_figure(calls: pd.DataFrame) -> go.Figure:
    table = calls_per_day(calls)
    fig = px.bar(
        table,
        x="day",
        y="calls",
        color="direction",
        barmode="stack",
        color_discrete_map=COLOURS,
        category_orders={"direction": DIRECTIONS},
    )
    return _layout(fig, "Calls per day")


def calls_per_hour_figure(calls: pd.DataFrame) -> go.Figure:
    table = calls_per_hour(calls)
    fig = px.bar(
        table,
        x="hour",
        y="calls",
        color="direction",
        barmode="group",
        color_discrete_map=COLOURS,
        category_orders={"direction": DIRECTIONS},
    )
    fig.update_xaxes(dtick=2, title="hour of day (UTC)")
    return _layout(fig, "Calls per hour of day")


def answered_figure(calls: pd.DataFrame) -> go.Figure:
    table = answered_per_day(calls)
    fig = px.bar(
        table,
        x="day",
        y="calls",
        color="status",
        barmode="stack",
        color_discrete_map=COLOURS,
        category_orders={"status": STATUSES},
        hover_data={"share": ":.0%"},
    )
    return _layout(fig, "Answered vs missed")


def duration_figure(calls: pd.DataFrame) -> go.Figure:
    calls = add_time_columns(calls) if "status" not in calls else calls
    fig = px.histogram(
        calls,
        x="duration_seconds",
        color="status",
        nbins=20,
        barmode="overlay",
        color_discrete_map=COLOURS,
        category_orders={"status": STATUSES},
    )
    fig.update_xaxes(title="duration (s)")
    return _layout(fig, "Call duration")


def talk_time_figure(segments: pd.DataFrame) -> go.Figure:
    table = talk_time(segments)
    fig = px.bar(
        table, x="talk_seconds", y="who", orientation="h", hover_data={"calls": True, "share": ":.0%"}
    )
    fig.update_yaxes(autorange="reversed", title="")
    fig.update_xaxes(title="seconds of speech")
    return _layout(fig, "Talk time by agent / channel")


def call_figures(calls: pd.DataFrame, segments: pd.DataFrame | None = None) -> dict[str, go.Figure]:
    """Every chart of a period, by name."""
    figures = {
        "calls_per_day": calls_per_day_figure(calls),
        "calls_per_hour": calls_per_hour_figure(calls),
        "answered": answered_figure(calls),
        "duration": duration_figure(calls),
    }
    if segments is not None:
        figures["talk_time"] = talk_time_figure(segments)
    return figures


def model_comparison_figure(summary: pd.DataFrame) -> go.Figure:
    """Accuracy (WER, CER) and speed (real-time factor) per Whisper model, side by side."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Error rate (lower is better)", "Real-time factor (lower is faster)")
    )
    for metric, colour in (("wer", "#1f77b4"), ("cer", "#9467bd")):
        fig.add_trace(
            go.Bar(x=summary["model"], y=summary[metric], name=metric.upper(), marker_color=colour),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Bar(x=summary["model"], y=summary["rtf"], name="RTF", marker_color="#ff7f0e"), row=1, col=2
    )
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    return _layout(fig, "Whisper models on the labelled sample")
