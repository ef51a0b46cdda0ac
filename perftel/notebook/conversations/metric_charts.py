"""Charts of the conversation metrics per agent: every call's value as a box per agent
(:func:`distribution_figure`) and the scorecard's medians per local day or ISO week (:func:`trend_figure`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from perftel import dates
from perftel.analytics import scorecard
from perftel.notebook.charts.layout import apply_layout
from perftel.notebook.conversations.load import with_agent

#: the per-call metrics shown as boxes, with their panel titles
DISTRIBUTIONS = {
    "talk_to_listen_ratio": "Talk-to-listen (agent ÷ customer)",
    "longest_silence_seconds": "Dead air (longest silence, s)",
    "agent_interruptions": "Interruptions by the agent",
    "agent_words_per_minute": "Agent words per minute",
}
#: the scorecard medians shown as trends, with their panel titles
TRENDS = {
    "talk_to_listen_median": "Talk-to-listen (median)",
    "dead_air_median_seconds": "Dead air (median, s)",
    "interruptions_per_call": "Interruptions per call",
    "words_per_minute_median": "Words per minute (median)",
}
#: one colour per agent, in name order (repeating after seven)
AGENT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
#: plot margins of the conversation charts, in pixels
MARGIN = dict(l=50, r=20, t=60, b=40)


def conversation_layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    """``fig`` with the conversation charts' look: ``title``, ``height`` (pixels), :data:`MARGIN`, the
    legend left as plotly places it. Changes and returns ``fig``."""
    return apply_layout(fig, title, height, margin=MARGIN, legend_on_top=False)


def distribution_figure(call_metrics: pd.DataFrame, calls: pd.DataFrame) -> go.Figure:
    """One box per agent for each metric of :data:`DISTRIBUTIONS`, one panel per metric (every call a
    point; ``meta`` of each trace names its metric; mono calls, which have no speaker metrics, only in dead
    air). ``call_metrics`` and ``calls`` as in :mod:`perftel.notebook.conversations.load`."""
    frame = with_agent(call_metrics, calls)
    fig = make_subplots(rows=1, cols=len(DISTRIBUTIONS), subplot_titles=list(DISTRIBUTIONS.values()))
    agents = sorted(frame["agent"].fillna("(unknown)").unique())
    for col, metric in enumerate(DISTRIBUTIONS, start=1):
        for i, agent in enumerate(agents):
            values = pd.to_numeric(frame.loc[frame["agent"] == agent, metric], errors="coerce").dropna()
            fig.add_trace(
                go.Box(
                    y=values,
                    name=agent,
                    legendgroup=agent,
                    showlegend=col == 1,
                    boxpoints="all",
                    jitter=0.4,
                    marker_color=AGENT_COLOURS[i % len(AGENT_COLOURS)],
                    meta=metric,
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(showticklabels=False)
    return conversation_layout(fig, "Per call, by agent", height=380)


def trend_figure(
    call_metrics: pd.DataFrame,
    calls: pd.DataFrame,
    *,
    period: str = "day",
    timezone: Any = None,
) -> go.Figure:
    """The scorecard's medians per agent and local ``period`` ("day", or "week": ISO weeks starting on
    Monday), one panel per metric of :data:`TRENDS`, a line per agent (``meta`` names the metric). Days
    are on ``timezone``'s clock (IANA name or ZoneInfo; None = PERFTEL_TIMEZONE or UTC); the x axis is
    dates, one tick per period. Raises ConfigError for an unknown zone."""
    tz = dates.zone(timezone)
    name = getattr(tz, "key", None) or "UTC"
    card = scorecard(call_metrics, None, calls=calls, period=period, timezone=name)
    fig = make_subplots(rows=len(TRENDS), cols=1, shared_xaxes=True, subplot_titles=list(TRENDS.values()))
    for i, agent in enumerate(sorted(card["agent"].unique())):
        rows = card[card["agent"] == agent].sort_values("period")
        for r, metric in enumerate(TRENDS, start=1):
            fig.add_trace(
                go.Scatter(
                    x=rows["period"],
                    y=rows[metric],
                    mode="lines+markers",
                    name=agent,
                    legendgroup=agent,
                    showlegend=r == 1,
                    line_color=AGENT_COLOURS[i % len(AGENT_COLOURS)],
                    meta=metric,
                ),
                row=r,
                col=1,
            )
    step = 86_400_000 * (7 if period == "week" else 1)  # ms: one tick per day or week, never hours
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d", dtick=step)
    fig.update_xaxes(
        title=f"local {period} ({name})" + (", weeks start on Monday" if period == "week" else ""),
        row=len(TRENDS),
        col=1,
    )
    return conversation_layout(fig, f"Per agent and {period}", height=170 * len(TRENDS))
