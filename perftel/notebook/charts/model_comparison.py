"""Whisper models side by side: error rates and speed on a labelled sample (notebook 03)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from perftel.notebook.charts.layout import apply_layout


def model_comparison_figure(summary: pd.DataFrame) -> go.Figure:
    """Accuracy and speed per Whisper model, two panels: WER and CER (shares 0–1, shown as %) and the
    real-time factor (processing seconds per second of audio). ``summary``: one row per model with
    ``model``, ``wer``, ``cer``, ``rtf`` (as :func:`perftel.evaluate.summarize` gives)."""
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
    return apply_layout(fig, "Whisper models on the labelled sample")
