"""The look every notebook chart shares: the ``plotly_white`` template with a title, the legend above the
plot, whole-number count axes, one category per day, and an empty state that says what to do."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

#: what an empty chart says when the caller gives no sentence of its own
NO_DATA = (
    "No calls match these filters: widen the dates or clear a filter (or sync more calls in notebook 01)."
)
#: plot margins in pixels
MARGIN = dict(l=50, r=20, t=50, b=45)


def apply_layout(
    fig: go.Figure, title: str, height: int = 320, *, margin: dict | None = None, legend_on_top: bool = True
) -> go.Figure:
    """``fig`` with the shared look: ``title``, ``height`` (pixels), ``margin`` (pixels; default
    :data:`MARGIN`) and, with ``legend_on_top``, an untitled horizontal legend above the plot's right
    end. Changes and returns ``fig``."""
    fig.update_layout(title=title, template="plotly_white", height=height, margin=margin or MARGIN)
    if legend_on_top:
        fig.update_layout(
            legend_title_text="",
            legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        )
    return fig


def empty_figure(title: str, message: str = NO_DATA, height: int = 320) -> go.Figure:
    """A chart with no data: its ``title`` and ``message`` (a sentence saying what to do), no axes."""
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
    return apply_layout(fig, title, height)


def no_calls_message(start: date | str | None, end: date | str | None, *, filtered: bool = False) -> str:
    """What an empty chart or table says: the period (when both ends are given) and what to do —
    clear a filter (``filtered``) or sync calls."""
    period = f" between {start} and {end}" if start and end else ""
    if filtered:
        return f"No calls match these filters{period}: clear a filter or widen the dates."
    return f"No calls{period}: sync them in notebook 01 (Run) or widen the dates."


def count_axis(fig: go.Figure, peak: float, title: str = "calls") -> None:
    """A y axis of whole numbers from zero, ticks every 1, 2, 5, 10, … so that ``peak`` needs at most six."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if peak / s <= 6)
    fig.update_yaxes(title=title, dtick=step, tick0=0, tickformat="d", rangemode="tozero")


def day_axis(fig: go.Figure, days: pd.Series) -> None:
    """An x axis of one category per day label in ``days`` (see :func:`day_labels`), in their order."""
    fig.update_xaxes(type="category", title="", categoryorder="array", categoryarray=list(pd.unique(days)))


def day_labels(days: pd.Series) -> pd.Series:
    """Dates as short labels ("Mon 24 Nov"), a fresh 0..n-1 index."""
    return pd.to_datetime(pd.Series(days)).dt.strftime("%a %d %b")
