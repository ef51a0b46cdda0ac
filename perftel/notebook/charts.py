"""Tables and charts of a company's calls and transcripts: pure functions, DataFrames in, figures out.

::

    tables = load_tables("acme")                      # .calls, .transcripts, .segments, .timezone
    calls_per_day_figure(tables.calls).show()
    filter_transcripts(tables.transcripts, words="refund", answered=True)

Days and hours are local to the company's time zone (``perftel.company``; stored times stay UTC). Each
chart is drawn from a small aggregated table (``calls_per_day`` → ``calls_per_day_chart``), so the
aggregates may come from pandas here or from SQL: the notebooks, the explorer and the report take them from
the company's dataset (:mod:`perftel.notebook.store`); :func:`load_tables`, which reads every JSON file into
pandas, stays for scripts and small folders. An empty table draws a message saying what
to do, not empty axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer
from plotly.subplots import make_subplots

from perftel import dates
from perftel.notebook.tables import clock, zone_name
from perftel.storage import CompanyStorage

DIRECTIONS = ["INBOUND", "OUTBOUND"]
STATUSES = ["answered", "missed"]
COLOURS = {"INBOUND": "#1f77b4", "OUTBOUND": "#ff7f0e", "answered": "#2ca02c", "missed": "#d62728"}
LABELS = {"INBOUND": "Inbound", "OUTBOUND": "Outbound", "answered": "Answered", "missed": "Missed"}
#: what an empty chart says when the caller gives no sentence of its own
NO_DATA = (
    "No calls match these filters: widen the dates or clear a filter (or sync more calls in notebook 01)."
)
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
    """A company's data as three tables: one row per call, per transcript, per segment; ``timezone`` is
    the company's IANA zone, in which the ``day`` and ``hour`` columns are counted."""

    calls: pd.DataFrame
    transcripts: pd.DataFrame
    segments: pd.DataFrame
    timezone: str = "UTC"
    company: str = ""


def load_tables(
    company: str, data_dir: str | Path | None = None, *, timezone: str | ZoneInfo | None = None
) -> CallTables:
    """Read a company's saved calls and transcriptions from disk; days and hours in ``timezone``
    (default: the company's setting, see :func:`perftel.company.company_settings`).

    Every JSON file, every segment, in memory (about a minute and 10 GB for a year of 500 calls a day):
    for more than a few thousand calls use :func:`perftel.open_dataset` and :mod:`perftel.notebook.store`."""
    from perftel.company import company_settings

    tz = zone_name(company_settings(company, data_dir, timezone=timezone).timezone)
    storage = CompanyStorage(company, data_dir)
    calls = add_time_columns(storage.calls_frame(), tz)
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
    transcripts["day"] = _local(transcripts["started_at"], tz).dt.date
    return CallTables(calls, transcripts, pd.DataFrame(segments, columns=SEGMENT_COLUMNS), tz, company)


def _local(stamps: pd.Series, tz: str | ZoneInfo | None) -> pd.Series:
    return pd.to_datetime(stamps, utc=True).dt.tz_convert(zone_name(tz))


def add_time_columns(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """``day`` (a date), ``hour`` (0-23), both local to ``tz`` (an IANA name), and ``status``
    (answered/missed) beside each call."""
    calls = calls.copy()
    local = _local(calls["started_at"], tz)
    calls["day"] = local.dt.date
    calls["hour"] = local.dt.hour.astype("Int64")
    calls["status"] = calls["answered"].map({True: "answered", False: "missed"})
    return calls


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
    keep = _in_range(frame, start, end)
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
    """Calls whose day (local, see :func:`add_time_columns`) is within ``[start, end]`` (both included), of a
    direction, answered or missed."""
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
    keep &= _has_words(transcripts["text"], words)
    return transcripts[keep]


def _has_words(texts: pd.Series, words: str | None) -> pd.Series:
    keep = pd.Series(True, index=texts.index)
    for word in (words or "").lower().split():
        keep &= texts.fillna("").str.lower().str.contains(word, regex=False)
    return keep


def calls_with_words(calls: pd.DataFrame, transcripts: pd.DataFrame, words: str | None) -> pd.DataFrame:
    """The calls whose transcript holds every one of ``words`` (all calls when ``words`` is empty), so the
    charts follow the Words filter as the transcript table does."""
    if not (words or "").strip():
        return calls
    hits = transcripts.loc[_has_words(transcripts["text"], words), "call_id"].dropna()
    return calls[calls["id"].isin(set(hits))]


def call_segments(segments: pd.DataFrame, recording_id: str) -> pd.DataFrame:
    """Who said what, when, in one recording: ``time`` (m:ss), ``start``, ``end``, ``who``, ``text``."""
    rows = segments[segments["recording_id"] == recording_id].sort_values("start")
    out = rows[["start", "end", "who", "text"]].reset_index(drop=True)
    out.insert(0, "time", [clock(math.floor(s)) for s in out["start"]])
    return out


class OfflineHtmlRenderer(MimetypeRenderer):
    """A plotly renderer for HTML exports that must open offline: each figure as HTML, plotly.js inlined
    in the first one only, no MathJax (plotly's own ``notebook`` renderer always links MathJax's CDN).
    plotly copies renderers before use, so "already included" is kept on the class, once per kernel."""

    included = False

    def to_mimebundle(self, fig_dict: dict) -> dict:
        html = pio.to_html(
            fig_dict,
            include_plotlyjs=not self.included,
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            config={"displaylogo": False, "responsive": True},
        )
        OfflineHtmlRenderer.included = True
        return {"text/html": html}


def use_offline_html_renderer() -> None:
    """Render figures as self-contained HTML from now on in this kernel (the report's kernel does, through
    ``PERFTEL_OFFLINE_HTML=1``, see :mod:`perftel.report`)."""
    if "perftel_offline" not in pio.renderers:
        pio.renderers["perftel_offline"] = OfflineHtmlRenderer()
    pio.renderers.default = "perftel_offline"


# -- tables behind the charts (small aggregates: pandas here, SQL elsewhere) ------------------------
def calls_per_day(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """``day``, ``direction``, ``calls`` — every day of the span, zeros included (days local to ``tz``
    unless ``calls`` already has a ``day`` column)."""
    calls = add_time_columns(calls, tz) if "day" not in calls else calls
    if calls.empty:
        return pd.DataFrame(columns=["day", "direction", "calls"])
    days = pd.date_range(min(calls["day"]), max(calls["day"]), freq="D").date
    grid = pd.MultiIndex.from_product([days, DIRECTIONS], names=["day", "direction"])
    counts = calls.groupby(["day", "direction"]).size().reindex(grid, fill_value=0)
    return counts.rename("calls").reset_index()


def calls_per_hour(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """``hour`` (0-23, local to ``tz`` unless ``calls`` has an ``hour`` column), ``direction``, ``calls`` —
    all 24 hours."""
    calls = add_time_columns(calls, tz) if "hour" not in calls else calls
    grid = pd.MultiIndex.from_product([range(24), DIRECTIONS], names=["hour", "direction"])
    counts = calls.groupby(["hour", "direction"]).size().reindex(grid, fill_value=0)
    return counts.rename("calls").reset_index()


def answered_per_day(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """``day``, ``status`` (answered/missed), ``calls``, ``share`` of the day's calls (0–1)."""
    calls = add_time_columns(calls, tz) if "status" not in calls or "day" not in calls else calls
    if calls.empty:
        return pd.DataFrame(columns=["day", "status", "calls", "share"])
    days = pd.date_range(min(calls["day"]), max(calls["day"]), freq="D").date
    grid = pd.MultiIndex.from_product([days, STATUSES], names=["day", "status"])
    table = calls.groupby(["day", "status"]).size().reindex(grid, fill_value=0).rename("calls").reset_index()
    totals = table.groupby("day")["calls"].transform("sum")
    table["share"] = (table["calls"] / totals.where(totals > 0)).fillna(0.0)
    return table


def duration_bins(calls: pd.DataFrame, width: float | None = None) -> pd.DataFrame:
    """Calls per duration bin and status: ``start`` (s), ``end`` (s), ``status``, ``calls``. ``width``
    (s) defaults to a round size giving about 12 bins."""
    calls = add_time_columns(calls) if "status" not in calls else calls
    seconds = calls["duration_seconds"].dropna()
    if seconds.empty:
        return pd.DataFrame(columns=["start", "end", "status", "calls"])
    if width is None:
        width = next((w for w in (5, 10, 15, 30, 60, 120, 300, 600) if seconds.max() / w <= 12), 900)
    starts = (calls["duration_seconds"] // width * width).rename("start")
    counts = calls.assign(start=starts).groupby(["start", "status"]).size()
    edges = range(0, int(seconds.max() // width * width) + 1, int(width))
    grid = pd.MultiIndex.from_product([list(map(float, edges)), STATUSES], names=["start", "status"])
    table = counts.reindex(grid, fill_value=0).rename("calls").reset_index()
    table.insert(1, "end", table["start"] + width)
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
    """The headline numbers of a period, as a two-column table of display text (``measure``, ``value``)."""
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


# -- figures ---------------------------------------------------------------------------------------
def _layout(fig: go.Figure, title: str, height: int = 320) -> go.Figure:
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=height,
        margin=dict(l=50, r=20, t=50, b=45),
        legend_title_text="",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
    )
    return fig


def empty_figure(title: str, message: str = NO_DATA, height: int = 320) -> go.Figure:
    """A chart with no data: its title and a sentence saying what to do, no axes."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(size=14, color="#555"),
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height)


def _count_axis(fig: go.Figure, peak: float, title: str = "calls") -> None:
    """Whole numbers only: ticks every 1, 2, 5, 10, … calls."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if peak / s <= 6)
    fig.update_yaxes(title=title, dtick=step, tick0=0, tickformat="d", rangemode="tozero")


def _day_axis(fig: go.Figure, days: pd.Series) -> None:
    """Days as dates ("Mon 24 Nov"), one category per day, whatever the span."""
    fig.update_xaxes(type="category", title="", categoryorder="array", categoryarray=list(pd.unique(days)))


def _day_labels(days: pd.Series) -> pd.Series:
    return pd.to_datetime(pd.Series(days)).dt.strftime("%a %d %b")


def calls_per_day_chart(per_day: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    """Stacked bars from a :func:`calls_per_day` table."""
    if per_day.empty or per_day["calls"].sum() == 0:
        return empty_figure("Calls per day", empty)
    table = per_day.assign(
        day=_day_labels(per_day["day"]).to_numpy(), direction=per_day["direction"].map(LABELS)
    )
    fig = px.bar(
        table,
        x="day",
        y="calls",
        color="direction",
        barmode="stack",
        color_discrete_map={LABELS[k]: COLOURS[k] for k in DIRECTIONS},
        category_orders={"direction": [LABELS[d] for d in DIRECTIONS]},
    )
    _day_axis(fig, table["day"])
    _count_axis(fig, per_day.groupby("day")["calls"].sum().max())
    return _layout(fig, "Calls per day")


def calls_per_hour_chart(
    per_hour: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    """Grouped bars from a :func:`calls_per_hour` table; the axis names the zone."""
    if per_hour.empty or per_hour["calls"].sum() == 0:
        return empty_figure("Calls per hour of day", empty)
    table = per_hour.assign(direction=per_hour["direction"].map(LABELS))
    fig = px.bar(
        table,
        x="hour",
        y="calls",
        color="direction",
        barmode="group",
        color_discrete_map={LABELS[k]: COLOURS[k] for k in DIRECTIONS},
        category_orders={"direction": [LABELS[d] for d in DIRECTIONS]},
    )
    fig.update_xaxes(dtick=2, range=[-0.5, 23.5], title=f"hour of day ({zone_name(tz)})")
    _count_axis(fig, per_hour["calls"].max())
    return _layout(fig, "Calls per hour of day")


def answered_chart(per_day: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    """Answered and missed calls per day (stacked) from an :func:`answered_per_day` table."""
    if per_day.empty or per_day["calls"].sum() == 0:
        return empty_figure("Answered and missed calls", empty)
    table = per_day.assign(
        day=_day_labels(per_day["day"]).to_numpy(),
        status=per_day["status"].map(LABELS),
        share=per_day["share"].map("{:.0%}".format),
    )
    fig = px.bar(
        table,
        x="day",
        y="calls",
        color="status",
        barmode="stack",
        hover_data={"share": True},
        color_discrete_map={LABELS[k]: COLOURS[k] for k in STATUSES},
        category_orders={"status": [LABELS[s] for s in STATUSES]},
    )
    _day_axis(fig, table["day"])
    _count_axis(fig, per_day.groupby("day")["calls"].sum().max())
    return _layout(fig, "Answered and missed calls")


def duration_chart(bins: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    """Calls per duration bin, answered and missed stacked (never overlaid), from :func:`duration_bins`."""
    if bins.empty or bins["calls"].sum() == 0:
        return empty_figure("Call duration", empty)
    table = bins.assign(
        bin=[f"{clock(a)}–{clock(b)}" for a, b in zip(bins["start"], bins["end"], strict=True)],
        status=bins["status"].map(LABELS),
    )
    fig = px.bar(
        table,
        x="bin",
        y="calls",
        color="status",
        barmode="stack",
        color_discrete_map={LABELS[k]: COLOURS[k] for k in STATUSES},
        category_orders={"status": [LABELS[s] for s in STATUSES]},
    )
    fig.update_xaxes(type="category", title="duration (m:ss, ringing included)")
    _count_axis(fig, bins.groupby("start")["calls"].sum().max())
    return _layout(fig, "Call duration")


def talk_time_chart(
    talk: pd.DataFrame, *, empty: str = "No transcribed speech matches these filters."
) -> go.Figure:
    """Minutes of speech per agent / channel from a :func:`talk_time` table."""
    if talk.empty:
        return empty_figure("Talk time by agent / channel", empty)
    table = talk.assign(
        minutes=talk["talk_seconds"] / 60,
        talk=talk["talk_seconds"].map(clock),
        share=talk["share"].map("{:.0%}".format),
    )
    fig = px.bar(
        table,
        x="minutes",
        y="who",
        orientation="h",
        hover_data={"talk": True, "calls": True, "share": True, "minutes": False},
    )
    fig.update_traces(marker_color="#4c78a8")
    fig.update_yaxes(autorange="reversed", title="")
    fig.update_xaxes(title="minutes of speech", rangemode="tozero")
    return _layout(fig, "Talk time by agent / channel", height=max(260, 60 + 32 * len(table)))


def calls_per_day_figure(
    calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    return calls_per_day_chart(calls_per_day(calls, tz), empty=empty)


def calls_per_hour_figure(
    calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    return calls_per_hour_chart(calls_per_hour(calls, tz), tz, empty=empty)


def answered_figure(
    calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    return answered_chart(answered_per_day(calls, tz), empty=empty)


def duration_figure(calls: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    return duration_chart(duration_bins(calls), empty=empty)


def talk_time_figure(
    segments: pd.DataFrame, *, empty: str = "No transcribed speech matches these filters."
) -> go.Figure:
    return talk_time_chart(talk_time(segments), empty=empty)


def call_figures(
    calls: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    tz: str | ZoneInfo | None = "UTC",
    *,
    empty: str = NO_DATA,
) -> dict[str, go.Figure]:
    """Every chart of a period, by name; ``empty`` is what a chart without data says."""
    figures = {
        "calls_per_day": calls_per_day_figure(calls, tz, empty=empty),
        "calls_per_hour": calls_per_hour_figure(calls, tz, empty=empty),
        "answered": answered_figure(calls, tz, empty=empty),
        "duration": duration_figure(calls, empty=empty),
    }
    if segments is not None:
        figures["talk_time"] = talk_time_figure(segments)
    return figures


def no_calls_message(start: date | str | None, end: date | str | None, *, filtered: bool = False) -> str:
    """What an empty chart or table says: the period and what to do."""
    period = f" between {start} and {end}" if start and end else ""
    if filtered:
        return f"No calls match these filters{period}: clear a filter or widen the dates."
    return f"No calls{period}: sync them in notebook 01 (Run) or widen the dates."


def timeline_figure(segments: pd.DataFrame, *, duration: float | None = None) -> go.Figure:
    """One call's speech as a timeline: a row per speaker, a bar per segment (seconds from the start;
    the segment's words on hover). ``segments``: :func:`call_segments` output."""
    if segments.empty:
        return empty_figure("Who spoke when", "No speech in this recording.", height=180)
    fig = go.Figure()
    for who, rows in segments.groupby("who", sort=False):
        fig.add_trace(
            go.Bar(
                y=[who] * len(rows),
                x=(rows["end"] - rows["start"]).to_numpy(),
                base=rows["start"].to_numpy(),
                orientation="h",
                name=str(who),
                customdata=rows[["time", "text"]].to_numpy(),
                hovertemplate="%{customdata[0]} %{customdata[1]}<extra></extra>",
            )
        )
    fig.update_xaxes(
        title="seconds from the start of the recording", range=[0, duration or segments["end"].max()]
    )
    fig.update_yaxes(title="", autorange="reversed")
    fig.update_layout(barmode="overlay", showlegend=False)
    return _layout(fig, "Who spoke when", height=120 + 40 * segments["who"].nunique())


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
