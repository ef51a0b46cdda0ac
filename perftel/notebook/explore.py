"""A small explorer: filters on top, charts beside the transcript table, one call's segments and audio."""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import display

from perftel.notebook.charts import (
    CallTables,
    call_segments,
    calls_per_day_figure,
    filter_calls,
    filter_transcripts,
    load_tables,
    talk_time_figure,
)
from perftel.notebook.common import guarded

_ANY = "any"
_CELL = "text-align:left;vertical-align:top;padding:2px 6px"


def transcript_table_html(transcripts: pd.DataFrame, *, limit: int = 50, excerpt: int = 90) -> str:
    """The transcript list as a compact HTML table (date, direction, answered, duration, agents, excerpt)."""
    if transcripts.empty:
        return "<i>No transcript matches the filters.</i>"
    rows = []
    for row in transcripts.head(limit).itertuples():
        when = row.started_at.strftime("%Y-%m-%d %H:%M") if pd.notna(row.started_at) else "?"
        text = row.text or "(silence)"
        cells = [
            when,
            html.escape(str(row.direction or "")),
            "yes" if row.answered else "no",
            f"{(row.duration_seconds or 0):.0f} s",
            html.escape(row.agents or ""),
            html.escape(text[:excerpt]) + ("…" if len(text) > excerpt else ""),
        ]
        rows.append("<tr>" + "".join(f"<td style='{_CELL}'>{cell}</td>" for cell in cells) + "</tr>")
    more = f"<div><i>{len(transcripts) - limit} more…</i></div>" if len(transcripts) > limit else ""
    head = "".join(
        f"<th style='{_CELL}'>{h}</th>"
        for h in ("started (UTC)", "direction", "answered", "duration", "agent", "transcript")
    )
    return (
        f"<table class='perftel-transcripts' style='font-size:12px'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{more}"
    )


def segments_html(segments: pd.DataFrame) -> str:
    """One call's segments: time, who, what."""
    if segments.empty:
        return "<i>No speech in this recording.</i>"
    rows = "".join(
        f"<tr><td style='{_CELL}'>{row.time}</td><td style='{_CELL}'><b>{html.escape(str(row.who))}</b></td>"
        f"<td style='{_CELL}'>{html.escape(row.text)}</td></tr>"
        for row in segments.itertuples()
    )
    return f"<table class='perftel-segments' style='font-size:12px'>{rows}</table>"


class CallExplorer:
    """Filter calls by date, direction, answered and words; charts next to the table; open one call."""

    def __init__(self, tables: CallTables) -> None:
        self.tables = tables
        days = tables.calls["day"] if not tables.calls.empty else pd.Series(dtype=object)
        self.start = w.DatePicker(value=min(days) if len(days) else None, description="From")
        self.end = w.DatePicker(value=max(days) if len(days) else None, description="To")
        self.direction = w.Dropdown(
            options=[_ANY, "INBOUND", "OUTBOUND"], value=_ANY, description="Direction"
        )
        self.answered = w.Dropdown(
            options=[(_ANY, None), ("answered", True), ("missed", False)], value=None, description="Answered"
        )
        self.words = w.Text(description="Words", placeholder="search the transcripts")
        self.table = w.HTML()
        self.charts = w.Output(layout=w.Layout(width="50%"))
        self.call = w.Dropdown(description="Open call", layout=w.Layout(width="95%"))
        self.detail = w.HTML()
        self.player = w.Box()
        self.filtered = tables.transcripts
        for control in (self.start, self.end, self.direction, self.answered, self.words):
            control.observe(guarded(self.refresh, self.detail), names="value")
        self.call.observe(guarded(lambda: self.open_call(self.call.value), self.detail), names="value")
        right = w.VBox([self.table, self.call, self.player, self.detail], layout=w.Layout(width="50%"))
        self.widget = w.VBox(
            [
                w.HBox([self.start, self.end, self.direction]),
                w.HBox([self.answered, self.words]),
                w.HBox([self.charts, right]),
            ]
        )
        self.refresh()

    @classmethod
    def for_company(cls, company: str, data_dir: str | Path | None = None) -> CallExplorer:
        return cls(load_tables(company, data_dir))

    def _ipython_display_(self) -> None:
        display(self.widget)

    def refresh(self) -> pd.DataFrame:
        """Apply the filters; redraw the table and charts; returns the matching transcripts."""
        direction = None if self.direction.value == _ANY else self.direction.value
        filters = dict(
            start=self.start.value, end=self.end.value, direction=direction, answered=self.answered.value
        )
        self.filtered = filter_transcripts(self.tables.transcripts, **filters, words=self.words.value)
        calls = filter_calls(self.tables.calls, **filters)
        self.table.value = f"<b>{len(self.filtered)} transcript(s)</b>" + transcript_table_html(self.filtered)
        self.figures = {
            "calls_per_day": calls_per_day_figure(calls),
            "talk_time": talk_time_figure(
                self.tables.segments[self.tables.segments["recording_id"].isin(self.filtered["recording_id"])]
            ),
        }
        with self.charts:
            self.charts.clear_output(wait=True)
            for fig in self.figures.values():
                fig.show()
        options = [
            (
                f"{r.started_at:%m-%d %H:%M} {r.direction or ''} · {(r.text or '(silence)')[:40]}",
                r.recording_id,
            )
            for r in self.filtered.itertuples()
        ]
        self.call.options = options
        self.call.value = options[0][1] if options else None
        if not options:
            self.open_call(None)
        return self.filtered

    def open_call(self, recording_id: str | None) -> pd.DataFrame:
        """Show one recording's segments (who said what, when) and a player; returns the segments."""
        if recording_id is None:
            self.detail.value, self.player.children = "", ()
            return call_segments(self.tables.segments, "")
        segments = call_segments(self.tables.segments, recording_id)
        self.detail.value = segments_html(segments)
        match = self.tables.transcripts[self.tables.transcripts["recording_id"] == recording_id]
        path = match["audio_path"].iloc[0] if len(match) else None
        if isinstance(path, str) and Path(path).is_file():
            self.player.children = (w.Audio.from_file(path, autoplay=False, loop=False),)
        else:
            self.player.children = (w.HTML("<i>The recording file is not on this machine.</i>"),)
        return segments
