"""The charts of a period's calls: calls per local day and per hour of day (by direction), answered and
missed per day, call duration, and talk time per agent.

Each ``*_chart`` draws one table of :mod:`perftel.notebook.charts.aggregates` (or its SQL twin in
:mod:`perftel.notebook.store`); each ``*_figure`` aggregates the calls first, then draws. A table with no
calls draws :func:`~perftel.notebook.charts.layout.empty_figure` with the ``empty`` sentence.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from perftel.notebook.charts.aggregates import (
    DIRECTIONS,
    STATUSES,
    answered_per_day,
    calls_per_day,
    calls_per_hour,
    duration_bins,
    talk_time,
)
from perftel.notebook.charts.layout import (
    NO_DATA,
    apply_layout,
    count_axis,
    day_axis,
    day_labels,
    empty_figure,
)
from perftel.notebook.tables import clock, zone_name

COLOURS = {"INBOUND": "#1f77b4", "OUTBOUND": "#ff7f0e", "answered": "#2ca02c", "missed": "#d62728"}
LABELS = {"INBOUND": "Inbound", "OUTBOUND": "Outbound", "answered": "Answered", "missed": "Missed"}
#: what the talk-time chart says when no speech matches
NO_SPEECH = "No transcribed speech matches these filters."


def _bars(table: pd.DataFrame, x: str, colour: str, keys: list[str], barmode: str, **options) -> go.Figure:
    """Bars of ``calls`` per ``x``, coloured by ``colour`` (a column of :data:`LABELS` values, in the
    order of ``keys``), stacked or grouped (``barmode``)."""
    return px.bar(
        table,
        x=x,
        y="calls",
        color=colour,
        barmode=barmode,
        color_discrete_map={LABELS[k]: COLOURS[k] for k in keys},
        category_orders={colour: [LABELS[k] for k in keys]},
        **options,
    )


def calls_per_day_chart(per_day: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    """Inbound and outbound calls per day, stacked, from a :func:`calls_per_day` table."""
    if per_day.empty or per_day["calls"].sum() == 0:
        return empty_figure("Calls per day", empty)
    table = per_day.assign(
        day=day_labels(per_day["day"]).to_numpy(), direction=per_day["direction"].map(LABELS)
    )
    fig = _bars(table, "day", "direction", DIRECTIONS, "stack")
    day_axis(fig, table["day"])
    count_axis(fig, per_day.groupby("day")["calls"].sum().max())
    return apply_layout(fig, "Calls per day")


def calls_per_hour_chart(
    per_hour: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    """Inbound and outbound calls per hour of day, grouped, from a :func:`calls_per_hour` table; the axis
    names the zone ``tz`` the hours are local to."""
    if per_hour.empty or per_hour["calls"].sum() == 0:
        return empty_figure("Calls per hour of day", empty)
    table = per_hour.assign(direction=per_hour["direction"].map(LABELS))
    fig = _bars(table, "hour", "direction", DIRECTIONS, "group")
    fig.update_xaxes(dtick=2, range=[-0.5, 23.5], title=f"hour of day ({zone_name(tz)})")
    count_axis(fig, per_hour["calls"].max())
    return apply_layout(fig, "Calls per hour of day")


def answered_chart(per_day: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    """Answered and missed calls per day (stacked; the day's share on hover) from an
    :func:`answered_per_day` table."""
    if per_day.empty or per_day["calls"].sum() == 0:
        return empty_figure("Answered and missed calls", empty)
    table = per_day.assign(
        day=day_labels(per_day["day"]).to_numpy(),
        status=per_day["status"].map(LABELS),
        share=per_day["share"].map("{:.0%}".format),
    )
    fig = _bars(table, "day", "status", STATUSES, "stack", hover_data={"share": True})
    day_axis(fig, table["day"])
    count_axis(fig, per_day.groupby("day")["calls"].sum().max())
    return apply_layout(fig, "Answered and missed calls")


def duration_chart(bins: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    """Calls per duration bin (labelled m:ss–m:ss), answered and missed stacked (never overlaid), from a
    :func:`duration_bins` table."""
    if bins.empty or bins["calls"].sum() == 0:
        return empty_figure("Call duration", empty)
    table = bins.assign(
        bin=[f"{clock(a)}–{clock(b)}" for a, b in zip(bins["start"], bins["end"], strict=True)],
        status=bins["status"].map(LABELS),
    )
    fig = _bars(table, "bin", "status", STATUSES, "stack")
    fig.update_xaxes(type="category", title="duration (m:ss, ringing included)")
    count_axis(fig, bins.groupby("start")["calls"].sum().max())
    return apply_layout(fig, "Call duration")


def talk_time_chart(talk: pd.DataFrame, *, empty: str = NO_SPEECH) -> go.Figure:
    """Minutes of speech per agent / channel, horizontal bars, from a :func:`talk_time` table (talk time
    as m:ss, calls and share on hover)."""
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
    return apply_layout(fig, "Talk time by agent / channel", height=max(260, 60 + 32 * len(table)))


def calls_per_day_figure(
    calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    """:func:`calls_per_day_chart` of ``calls`` (one row per call, ``started_at`` UTC; days local to ``tz``)."""
    return calls_per_day_chart(calls_per_day(calls, tz), empty=empty)


def calls_per_hour_figure(
    calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    """:func:`calls_per_hour_chart` of ``calls`` (``started_at`` UTC; hours local to ``tz``)."""
    return calls_per_hour_chart(calls_per_hour(calls, tz), tz, empty=empty)


def answered_figure(
    calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC", *, empty: str = NO_DATA
) -> go.Figure:
    """:func:`answered_chart` of ``calls`` (``started_at`` UTC, ``answered``; days local to ``tz``)."""
    return answered_chart(answered_per_day(calls, tz), empty=empty)


def duration_figure(calls: pd.DataFrame, *, empty: str = NO_DATA) -> go.Figure:
    """:func:`duration_chart` of ``calls`` (``duration_seconds``, ``answered``)."""
    return duration_chart(duration_bins(calls), empty=empty)


def talk_time_figure(segments: pd.DataFrame, *, empty: str = NO_SPEECH) -> go.Figure:
    """:func:`talk_time_chart` of ``segments`` (``who``, ``talk_seconds`` in seconds, ``recording_id``)."""
    return talk_time_chart(talk_time(segments), empty=empty)


def call_figures(
    calls: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    tz: str | ZoneInfo | None = "UTC",
    *,
    empty: str = NO_DATA,
) -> dict[str, go.Figure]:
    """Every chart of a period, by name: ``calls_per_day``, ``calls_per_hour``, ``answered``,
    ``duration``, and ``talk_time`` when ``segments`` is given; days and hours local to ``tz``; ``empty``
    is what a chart of calls without data says."""
    figures = {
        "calls_per_day": calls_per_day_figure(calls, tz, empty=empty),
        "calls_per_hour": calls_per_hour_figure(calls, tz, empty=empty),
        "answered": answered_figure(calls, tz, empty=empty),
        "duration": duration_figure(calls, empty=empty),
    }
    if segments is not None:
        figures["talk_time"] = talk_time_figure(segments)
    return figures
