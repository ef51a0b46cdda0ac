"""One call's timeline: a lane per speaker (one "mono" lane when the call has one channel), each segment a
bar from ``start`` to ``end`` (seconds from the start of the call); overlaps
(:func:`perftel.analytics.overlaps`, the same rule as the metrics) as red bands; silences of at least
``dead_air_seconds`` and the call's longest silence (the metrics' dead air) as grey bands; tracker hits as
diamonds on the speaker's lane."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from perftel.analytics import MONO_NOTE, overlaps
from perftel.analytics.intervals import gaps, union
from perftel.analytics.segments import DEFAULT_CHANNEL_ROLES, ROLES, missing
from perftel.notebook.conversations.metric_charts import conversation_layout
from perftel.notebook.tables import clock

LANE_COLOURS = {"agent": "#1f77b4", "customer": "#2ca02c", "mono": "#7f7f7f"}
#: the colour of a lane without a role ("channel N", a named speaker)
OTHER_LANE_COLOUR = "#8c564b"
TRACKER_COLOURS = ["#ff7f0e", "#9467bd", "#e377c2", "#bcbd22", "#17becf", "#8c564b"]
OVERLAP_COLOUR = "rgba(214,39,40,0.30)"
SILENCE_COLOUR = "rgba(127,127,127,0.22)"


def _role(speaker: Any, channel: Any, roles: dict[int, str]) -> str | None:
    """ "agent"/"customer" from the speaker, else from the channel's role; None when neither says."""
    if isinstance(speaker, str) and speaker in ROLES:
        return speaker
    if not missing(channel):
        return roles.get(int(channel))
    return None


def lanes(segments: pd.DataFrame, channels: int, roles: dict[int, str] | None = None) -> pd.Series:
    """The timeline lane of each segment (a Series on ``segments``' index): its role ("agent"/"customer",
    from ``speaker`` or from ``channel`` through ``roles``, default channel 0 agent, 1 customer), the
    speaker or "channel N" when it has no role, or "mono" for every segment of a one-channel call."""
    roles = roles if roles is not None else DEFAULT_CHANNEL_ROLES
    if channels < 2:
        return pd.Series("mono", index=segments.index, dtype=object)
    out = []
    for speaker, channel in zip(segments["speaker"], segments["channel"], strict=True):
        role = _role(speaker, channel, roles)
        out.append(role or (speaker if isinstance(speaker, str) else f"channel {channel}"))
    return pd.Series(out, index=segments.index, dtype=object)


@dataclass
class CallMarks:
    """What the timeline marks for one call (seconds from the start): ``overlaps`` as (start, end,
    interrupter), ``silences`` of at least the dead-air threshold as (start, end), ``longest_silence``
    (start, end) or None, and whether speaker-based marks are available (not for mono calls)."""

    overlaps: list[tuple[float, float, str | None]]
    silences: list[tuple[float, float]]
    longest_silence: tuple[float, float] | None
    speakers_available: bool


def call_marks(
    segments: pd.DataFrame,
    duration_seconds: float,
    channels: int,
    *,
    dead_air_seconds: float = 3.0,
    min_overlap_seconds: float = 0.3,
    roles: dict[int, str] | None = None,
) -> CallMarks:
    """Overlaps and silences of one call (``segments``: ``start``, ``end`` in seconds, ``speaker``,
    ``channel``), by the same rules as :func:`perftel.analytics.call_metrics` (so the marks agree with
    ``overlap_count`` and ``longest_silence_seconds``/``_start``). The call lasts ``duration_seconds`` or
    to its last segment's end, whichever is later."""
    roles = roles if roles is not None else DEFAULT_CHANNEL_ROLES
    starts = segments["start"].astype(float).clip(lower=0).tolist()
    ends = segments["end"].astype(float).clip(lower=0).tolist()
    duration = max([float(duration_seconds or 0.0), *ends])
    talk = union(zip(starts, ends, strict=True))
    silent = gaps(talk, 0.0, duration)
    longest = max(silent, key=lambda g: g[1] - g[0], default=None)
    long_ones = [g for g in silent if g[1] - g[0] >= dead_air_seconds]
    found: list[tuple[float, float, str | None]] = []
    available = channels >= 2
    if available:
        by_role: dict[str, list[tuple[float, float]]] = {"agent": [], "customer": []}
        for speaker, channel, a, b in zip(
            segments["speaker"], segments["channel"], starts, ends, strict=True
        ):
            role = _role(speaker, channel, roles)
            if role:
                by_role[role].append((a, b))
        found = [
            (o.start, o.end, o.interrupter)
            for o in overlaps(by_role, min_overlap_seconds=min_overlap_seconds)
        ]
    return CallMarks(found, long_ones, longest, available)


def timeline_figure(
    segments: pd.DataFrame,
    *,
    duration_seconds: float,
    channels: int,
    tracker_hits: pd.DataFrame | None = None,
    title: str = "",
    dead_air_seconds: float = 3.0,
    min_overlap_seconds: float = 0.3,
) -> go.Figure:
    """The call timeline (see the module docstring): x is seconds from the start of the call.

    ``segments``: one call's rows of the ``segments`` table; ``tracker_hits``: its rows of
    ``tracker_hits`` (``start_seconds``, ``speaker``, ``channel``, ``tracker``, ``matched_text``).
    Traces: one ``go.Bar`` per lane (``name`` = lane, ``base`` = segment starts, ``x`` = lengths), then
    one ``go.Scatter`` of diamonds per tracker (``name`` = tracker, ``meta`` = "tracker hits"). Shapes:
    rectangles named "overlap", "silence" and "longest silence". A mono call gets one lane "mono" and the
    note "speakers: not available (mono)" instead of overlap marks.
    """
    segments = segments.sort_values("start", kind="stable").reset_index(drop=True)
    lane = lanes(segments, channels)
    order = [x for x in ("agent", "customer") if x in set(lane)] + sorted(set(lane) - {"agent", "customer"})
    if channels >= 2:
        order = [*dict.fromkeys(["agent", "customer", *order])]
    elif not order:
        order = ["mono"]
    fig = go.Figure()
    for name in order:
        _add_lane(fig, name, segments[lane == name])
    marks = call_marks(
        segments,
        duration_seconds,
        channels,
        dead_air_seconds=dead_air_seconds,
        min_overlap_seconds=min_overlap_seconds,
    )
    _add_marks(fig, marks)
    if tracker_hits is not None and len(tracker_hits):
        _add_tracker_hits(fig, tracker_hits, channels, order[0])
    end = max([float(duration_seconds or 0.0), *segments["end"].astype(float).tolist()])
    fig.update_xaxes(range=[0, max(end, 1.0)], title="seconds from the start of the call")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(order)), title="")
    for trace in fig.data:
        if trace.type == "bar":
            trace.showlegend = False  # the lanes are named on the axis; the legend names the trackers
    fig.update_layout(
        barmode="overlay",
        bargap=0.35,
        legend=dict(
            orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1, title_text="tracker hits: "
        ),
    )
    if not marks.speakers_available:
        fig.add_annotation(
            text=f"speakers: {MONO_NOTE}",
            xref="paper",
            yref="paper",
            x=1,
            y=1.08,
            showarrow=False,
            font=dict(color="#7f7f7f"),
        )
    return conversation_layout(fig, title or "Call timeline", height=150 + 70 * len(order))


def _add_lane(fig: go.Figure, name: str, rows: pd.DataFrame) -> None:
    """One lane's segments as horizontal bars (times and the first 120 characters of text on hover)."""
    fig.add_trace(
        go.Bar(
            y=[name] * len(rows),
            base=rows["start"].astype(float).tolist(),
            x=(rows["end"].astype(float) - rows["start"].astype(float)).tolist(),
            orientation="h",
            name=name,
            marker_color=LANE_COLOURS.get(name, OTHER_LANE_COLOUR),
            customdata=[
                [clock(a), clock(b), html.escape(str(t))[:120]]
                for a, b, t in zip(rows["start"], rows["end"], rows["text"], strict=True)
            ],
            hovertemplate="%{customdata[0]}–%{customdata[1]}<br>%{customdata[2]}<extra>" + name + "</extra>",
        )
    )


def _add_marks(fig: go.Figure, marks: CallMarks) -> None:
    """Silences (the longest one outlined and labelled "dead air m:ss") and overlaps (labelled with who
    cut in) as bands behind the bars."""
    for a, b in marks.silences:
        if marks.longest_silence != (a, b):
            fig.add_vrect(x0=a, x1=b, fillcolor=SILENCE_COLOUR, line_width=0, layer="below", name="silence")
    if marks.longest_silence:
        a, b = marks.longest_silence
        fig.add_vrect(
            x0=a,
            x1=b,
            fillcolor=SILENCE_COLOUR,
            line=dict(color="#7f7f7f", dash="dot", width=1),
            layer="below",
            name="longest silence",
            annotation_text=f"dead air {clock(b - a)}",
            annotation_position="top left",
        )
    for a, b, who in marks.overlaps:
        fig.add_vrect(
            x0=a,
            x1=b,
            fillcolor=OVERLAP_COLOUR,
            line_width=0,
            layer="below",
            name="overlap",
            annotation_text=f"{who} cuts in" if who else "",
            annotation_position="bottom left",
        )


def _add_tracker_hits(fig: go.Figure, tracker_hits: pd.DataFrame, channels: int, first_lane: str) -> None:
    """One trace of diamonds per tracker, each hit on its speaker's lane ("mono" on a mono call; the first
    lane when neither speaker nor channel says)."""
    hit_lane = []
    for speaker, channel in zip(tracker_hits["speaker"], tracker_hits["channel"], strict=True):
        if channels < 2:
            hit_lane.append("mono")
        else:
            role = _role(speaker, channel, DEFAULT_CHANNEL_ROLES)
            hit_lane.append(role or (f"channel {channel}" if not missing(channel) else first_lane))
    hits = tracker_hits.assign(lane=hit_lane)
    for k, (name, rows) in enumerate(hits.groupby("tracker", sort=True)):
        fig.add_trace(
            go.Scatter(
                x=rows["start_seconds"].astype(float).tolist(),
                y=rows["lane"].tolist(),
                mode="markers",
                name=str(name),
                meta="tracker hits",
                showlegend=True,
                marker=dict(
                    symbol="diamond",
                    size=13,
                    color=TRACKER_COLOURS[k % len(TRACKER_COLOURS)],
                    line=dict(color="black", width=1),
                ),
                customdata=rows[["matched_text"]].astype(str).to_numpy(),
                hovertemplate=f"{html.escape(str(name))}: “%{{customdata[0]}}” at %{{x:.1f}} s<extra></extra>",
            )
        )
