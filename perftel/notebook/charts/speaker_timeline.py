"""Who spoke when in one recording: a row per speaker, a bar per transcript segment (the explorer's view;
the conversations timeline with overlaps and dead air is :mod:`perftel.notebook.conversations.timeline`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from perftel.notebook.charts.layout import apply_layout, empty_figure


def timeline_figure(segments: pd.DataFrame, *, duration: float | None = None) -> go.Figure:
    """One recording's speech as a timeline: a row per ``who``, a bar per segment from ``start`` to
    ``end`` (seconds from the start of the recording; the axis runs to ``duration`` seconds, default the
    last end), the segment's time and words on hover. ``segments``:
    :func:`~perftel.notebook.charts.call_segments` output. No segments: a chart saying so."""
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
    return apply_layout(fig, "Who spoke when", height=120 + 40 * segments["who"].nunique())
