"""The one-call viewer widget (:class:`CallTimeline`): pick a call, see its timeline beside the transcript,
and play the recording from any moment."""

from __future__ import annotations

import uuid
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
from IPython.display import display

from perftel import dates
from perftel.analytics.segments import missing
from perftel.notebook.common import guarded
from perftel.notebook.conversations.call_html import audio_html, call_summary_html, transcript_html
from perftel.notebook.conversations.load import SEGMENT_COLUMNS, ConversationTables
from perftel.notebook.conversations.timeline import timeline_figure
from perftel.notebook.tables import clock


class CallTimeline:
    """Pick a call: its timeline, the transcript beside it, and the recording playable from any moment.

    ``tables``: :class:`~perftel.notebook.conversations.load.ConversationTables`; ``call_id``: the call
    shown first (default the first of ``tables.calls``). Times of day are on ``timezone``'s clock (IANA
    name or ZoneInfo; None = PERFTEL_TIMEZONE or UTC; ConfigError for an unknown name).
    ``open_call(call_id)`` redraws everything; ``seek(seconds)`` (or the "Play from" box, or the "Jump
    to" list of segments) moves the player; a click on a transcript line plays from there in the browser.
    :attr:`widget` is the whole view; :attr:`figure`, :attr:`segments` and :attr:`position` (seconds)
    describe the open call.
    """

    def __init__(
        self, tables: ConversationTables, call_id: str | None = None, *, timezone: Any = None
    ) -> None:
        self.tables = tables
        self.timezone = dates.zone(timezone)
        self.player_id = f"perftel-audio-{uuid.uuid4().hex[:8]}"
        options = [
            (f"{_when(r.started_at, self.timezone)} · {r.agent} · {clock(r.duration_seconds)}", r.call_id)
            for r in tables.calls.itertuples()
        ]
        self.call = w.Dropdown(options=options, description="Call", layout=w.Layout(width="60%"))
        self.jump = w.Dropdown(description="Jump to", layout=w.Layout(width="60%"))
        self.play_from = w.BoundedFloatText(
            value=0.0,
            min=0.0,
            max=1e6,
            step=1.0,
            description="Play from (s)",
            style={"description_width": "initial"},
        )
        self.summary = w.HTML()
        self.chart = w.Output(layout=w.Layout(width="62%"))
        self.transcript = w.HTML(layout=w.Layout(width="38%", max_height="420px", overflow="auto"))
        self.player = w.HTML()
        self.status = w.HTML()
        self.figure: go.Figure | None = None
        self.segments = pd.DataFrame(columns=SEGMENT_COLUMNS)
        self.position = 0.0
        self.call.observe(guarded(lambda: self.open_call(self.call.value), self.status), names="value")
        self.jump.observe(guarded(lambda: self._jump(), self.status), names="value")
        self.play_from.observe(guarded(lambda: self.seek(self.play_from.value), self.status), names="value")
        self.widget = w.VBox(
            [
                self.call,
                self.summary,
                w.HBox([self.chart, self.transcript]),
                w.HBox([self.jump, self.play_from]),
                self.player,
                self.status,
            ]
        )
        first = call_id if call_id is not None else (options[0][1] if options else None)
        if first is not None and self.call.value != first:
            self.call.value = first  # observer opens it
        else:
            self.open_call(first)

    def _ipython_display_(self) -> None:
        display(self.widget)

    def _jump(self) -> None:
        if self.jump.value is not None:
            self.seek(self.jump.value)

    def open_call(self, call_id: str | None) -> go.Figure | None:
        """Show one call: summary line, timeline, transcript, player at 0:00. Returns the figure (None, and
        everything cleared, for ``call_id`` None). Raises IndexError for an id not in ``tables.calls``."""
        self.status.value = ""
        if call_id is None:
            self.figure, self.summary.value, self.transcript.value, self.player.value = None, "", "", ""
            self.chart.clear_output()
            return None
        call = self.tables.calls[self.tables.calls["call_id"] == call_id].iloc[0]
        self.segments = self.tables.segments[self.tables.segments["call_id"] == call_id].sort_values("start")
        hits = self.tables.tracker_hits[self.tables.tracker_hits["call_id"] == call_id]
        metrics = self.tables.call_metrics[self.tables.call_metrics["call_id"] == call_id]
        channels = int(call["channels"])
        self.figure = timeline_figure(
            self.segments,
            duration_seconds=float(call["duration_seconds"]),
            channels=channels,
            tracker_hits=hits,
            title=f"{call['agent']} · {_when(call['started_at'], self.timezone)}",
        )
        self.summary.value = call_summary_html(metrics.iloc[0] if len(metrics) else None, hits)
        self.transcript.value = transcript_html(self.segments, player_id=self.player_id, channels=channels)
        self.jump.options = [
            (f"{clock(s, floor=True)} {str(t)[:50]}", float(s))
            for s, t in zip(self.segments["start"], self.segments["text"], strict=True)
        ]
        self.jump.value = None
        with self.chart:
            self.chart.clear_output(wait=True)
            self.figure.show()
        self.seek(0.0)
        return self.figure

    def seek(self, seconds: float) -> float:
        """Set the player to start at ``seconds`` (clipped to the call, rounded to 0.01 s); returns the
        position used (0.0 when no call is open). The "Play from" box follows."""
        call = self.tables.calls[self.tables.calls["call_id"] == self.call.value]
        if call.empty:
            return 0.0
        row = call.iloc[0]
        end = max([float(row["duration_seconds"] or 0.0), *self.segments["end"].astype(float).tolist()])
        self.position = round(min(max(0.0, float(seconds or 0.0)), end), 2)
        self.player.value = audio_html(row["audio_path"], start=self.position, element_id=self.player_id)
        self.play_from.value = round(self.position, 2)  # its observer seeks to the same place again: no-op
        return self.position


def _when(moment: Any, tz: Any = None) -> str:
    """A UTC instant as local ``YYYY-MM-DD HH:MM`` on ``tz``'s clock ("?" when unknown)."""
    if moment is None or missing(moment):
        return "?"
    return dates.to_local(pd.Timestamp(moment).to_pydatetime(), tz).strftime("%Y-%m-%d %H:%M")
