"""The call explorer, laid out for a 1440×1000 screen: filters in one row; the call list (paged, sortable,
missed calls included) with the one-call view beside it — who said what on a timeline, the segments and
the audio together; the charts below, every one following every filter (Words included).

It reads the company's dataset (:mod:`perftel.dataset`): the period's calls and transcript excerpts, the
charts' aggregates summed in SQL (:mod:`perftel.notebook.store`), words found by ``Dataset.search``, and the
segments of the one call opened — never every segment in memory."""

from __future__ import annotations

import html
import json
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import display

from perftel.dataset import Dataset, open_dataset
from perftel.notebook.charts import no_calls_message, timeline_figure
from perftel.notebook.common import guarded
from perftel.notebook.store import (
    first_day_last_day,
    store_calls,
    store_figures,
    store_segments,
    store_transcripts,
    store_word_matches,
)
from perftel.notebook.tables import clock, local_times, started_column, yes_no, zone_name

ANY, ANSWERED, MISSED = "any", "answered", "missed"
SORTS = {
    "newest first": ("started_at", False),
    "oldest first": ("started_at", True),
    "longest first": ("duration_seconds", False),
}
_CELL = "text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid #eee"
_COLUMNS = (  # header, width
    ("started", "118px"),
    ("direction", "74px"),
    ("answered", "66px"),
    ("duration", "62px"),
    ("agent", "132px"),
    ("transcript", "auto"),
)


def show_figure(out: w.Output, figure) -> None:
    """Put a plotly figure into an Output widget as its only output (the plotly mimetype JupyterLab and
    Voilà draw), set through the widget's trait: works from any callback, with or without a kernel."""
    spec = json.loads(figure.to_json())  # plain JSON: no numpy arrays in the widget's state
    bundle = {
        "application/vnd.plotly.v1+json": {**spec, "config": {"displaylogo": False, "responsive": True}},
        "text/plain": f"<figure: {figure.layout.title.text or 'chart'}>",
    }
    out.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)


def _excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def call_rows(calls: pd.DataFrame, transcripts: pd.DataFrame) -> pd.DataFrame:
    """The explorer's list: one row per call with its first transcript's ``recording_id`` and ``text``
    (missing for a missed or unrecorded call).

    ``calls`` as :func:`perftel.notebook.store.store_calls` (keyed by ``id``), ``transcripts`` as
    :func:`perftel.notebook.store.store_transcripts`; the result has the columns of ``calls`` plus
    ``recording_id`` and ``text``, in the order of ``calls``.
    """
    first = transcripts.dropna(subset=["call_id"]).drop_duplicates("call_id")[
        ["call_id", "recording_id", "text"]
    ]
    rows = calls.merge(first, how="left", left_on="id", right_on="call_id").drop(columns="call_id")
    return rows


def calls_table_html(
    rows: pd.DataFrame, tz: str, *, empty: str = "No calls match the filters.", excerpt: int = 150
) -> str:
    """A page of :func:`call_rows` as an HTML table: local start (the zone in the header), direction,
    answered yes/no, duration m:ss, agent, transcript excerpt (or why there is none)."""
    if rows.empty:
        return f"<p class='perftel-empty' style='color:#555;font-size:14px'>{html.escape(empty)}</p>"
    started = local_times(rows["started_at"], tz)
    body = []
    for (_, row), when in zip(rows.iterrows(), started, strict=True):
        if isinstance(row.get("text"), str):
            text = _excerpt(row["text"] or "(no speech)", excerpt)
        elif not row["answered"]:
            text = "— missed: no recording"
        else:
            text = "— no transcript"
        cells = [
            when,
            str(row["direction"] or "").capitalize(),
            yes_no(row["answered"]),
            clock(row["duration_seconds"]),
            html.escape(str(row.get("agents") or "")),
            html.escape(text),
        ]
        body.append("<tr>" + "".join(f"<td style='{_CELL}'>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th style='{_CELL};width:{width}'>{html.escape(started_column(tz) if name == 'started' else name)}</th>"
        for name, width in _COLUMNS
    )
    return (
        "<table class='perftel-calls' style='font-size:13px;line-height:1.35;width:100%;"
        f"table-layout:fixed;border-collapse:collapse'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def transcript_table_html(
    transcripts: pd.DataFrame, *, limit: int = 50, excerpt: int = 90, tz: str = "UTC"
) -> str:
    """The transcript list as a compact HTML table (kept for scripts; the explorer lists calls)."""
    if transcripts.empty:
        return "<p class='perftel-empty'><i>No transcript matches the filters.</i></p>"
    table = calls_table_html(transcripts.head(limit), tz, excerpt=excerpt)
    table = table.replace("class='perftel-calls'", "class='perftel-calls perftel-transcripts'")
    more = f"<p><i>{len(transcripts) - limit} more…</i></p>" if len(transcripts) > limit else ""
    return table + more


def segments_html(segments: pd.DataFrame) -> str:
    """One call's segments: time (m:ss), who, what."""
    if segments.empty:
        return "<p class='perftel-empty'><i>No speech in this recording.</i></p>"
    rows = "".join(
        f"<tr><td style='{_CELL};width:48px'>{row.time}</td>"
        f"<td style='{_CELL};width:130px'><b>{html.escape(str(row.who))}</b></td>"
        f"<td style='{_CELL}'>{html.escape(row.text)}</td></tr>"
        for row in segments.itertuples()
    )
    return (
        "<table class='perftel-segments' style='font-size:13px;width:100%;table-layout:fixed;"
        f"border-collapse:collapse'>{rows}</table>"
    )


class CallExplorer:
    """Filter calls by date (local days), direction, answered/missed and words; page and sort the list;
    open one call; the charts follow the same filters.

    ``dataset``: the company's open dataset (:func:`perftel.open_dataset`); ``start``/``end``: the first
    period shown (local days; default: the first and last day with calls).

    Headless API (what the widgets call): ``refresh()`` → the matching transcripts (text cut to an
    excerpt); ``open_call(id)`` (a recording id or a call id) → that recording's segments; ``rows`` are
    the listed calls.
    """

    EXCERPT = 400  # characters of each transcript read for the list

    def __init__(
        self, dataset: Dataset, *, start=None, end=None, page_size: int = 12, autoplay: bool = False
    ) -> None:
        if not isinstance(dataset, Dataset):
            raise TypeError(
                "CallExplorer takes a dataset: nb.CallExplorer(nb.open_dataset(company, data_dir))."
            )
        self.dataset, self.tz, self.page_size, self.page = dataset, zone_name(dataset.tz), page_size, 0
        first, last = first_day_last_day(dataset) if start is None or end is None else (start, end)
        narrow = {"description_width": "initial"}
        self.start = w.DatePicker(
            value=start or first,
            description="From",
            style=narrow,
            layout=w.Layout(width="210px"),
        )
        self.end = w.DatePicker(
            value=end or last,
            description="To",
            style=narrow,
            layout=w.Layout(width="190px"),
        )
        self.direction = w.Dropdown(
            options=[(ANY, ANY), ("inbound", "INBOUND"), ("outbound", "OUTBOUND")],
            value=ANY,
            description="Direction",
            style=narrow,
            layout=w.Layout(width="190px"),
        )
        self.answered = w.Dropdown(
            options=[ANY, ANSWERED, MISSED],
            value=ANY,
            description="Answered",
            style=narrow,
            layout=w.Layout(width="190px"),
        )
        self.words = w.Text(
            description="Words",
            placeholder="words in the transcript",
            style=narrow,
            layout=w.Layout(width="300px"),
        )
        self.sort = w.Dropdown(
            options=list(SORTS),
            value="newest first",
            description="Sort",
            style=narrow,
            layout=w.Layout(width="200px"),
        )
        self.count = w.HTML()
        self.table = w.HTML(layout=w.Layout(width="100%"))
        self.prev_button = w.Button(description="‹ Previous", layout=w.Layout(width="110px"))
        self.next_button = w.Button(description="Next ›", layout=w.Layout(width="110px"))
        self.page_label = w.Label()
        self.call = w.Dropdown(description="Open call", style=narrow, layout=w.Layout(width="100%"))
        self.header = w.HTML()
        self.player = w.Box(layout=w.Layout(width="100%"))
        self.timeline = w.Output(layout=w.Layout(width="100%"))
        self.detail = w.HTML(layout=w.Layout(width="100%", max_height="330px", overflow="auto"))
        self.message = w.HTML()
        self.chart_outputs = {
            name: w.Output(layout=w.Layout(width="50%"))
            for name in ("calls_per_day", "answered", "calls_per_hour", "talk_time")
        }
        self.filtered = pd.DataFrame()
        self.calls = pd.DataFrame()
        self.rows = pd.DataFrame()
        self.figures: dict = {}
        for control in (self.start, self.end, self.direction, self.answered, self.words):
            control.observe(guarded(self.refresh, self.message), names="value")
        self.sort.observe(guarded(lambda: self._show_page(0), self.message), names="value")
        self.prev_button.on_click(guarded(lambda: self._show_page(self.page - 1), self.message))
        self.next_button.on_click(guarded(lambda: self._show_page(self.page + 1), self.message))
        self.call.observe(guarded(lambda: self.open_call(self.call.value), self.message), names="value")
        left = w.VBox(
            [
                self.count,
                self.table,
                w.HBox([self.prev_button, self.page_label, self.next_button, self.sort]),
            ],
            layout=w.Layout(width="58%", padding="0 12px 0 0"),
        )
        right = w.VBox(
            [self.call, self.header, self.player, self.timeline, self.detail],
            layout=w.Layout(width="42%", border="1px solid #ddd", padding="6px"),
        )
        charts = list(self.chart_outputs.values())
        self.widget = w.VBox(
            [
                w.HBox([self.start, self.end, self.direction, self.answered, self.words]),
                self.message,
                w.HBox([left, right], layout=w.Layout(width="100%")),
                w.HBox(charts[:2], layout=w.Layout(width="100%")),
                w.HBox(charts[2:], layout=w.Layout(width="100%")),
            ],
            layout=w.Layout(width="100%"),
        )
        self.refresh()

    @classmethod
    def for_company(cls, company: str, data_dir: str | Path | None = None, **options) -> CallExplorer:
        """The explorer over ``company``'s dataset (built from the saved files when there is none yet)."""
        return cls(open_dataset(company, data_dir), **options)

    def _ipython_display_(self) -> None:
        display(self.widget)

    # -- filters ------------------------------------------------------------------------------------
    @property
    def filters(self) -> dict:
        """The current filters as keyword arguments for the dataset's queries.

        Keys: ``start``/``end`` (``datetime.date`` local calendar days, both included, or None), ``direction``
        (``"INBOUND"``/``"OUTBOUND"`` or None for any) and ``answered`` (True, False or None for any).
        """
        answered = {ANY: None, ANSWERED: True, MISSED: False}[self.answered.value]
        direction = None if self.direction.value == ANY else self.direction.value
        return dict(start=self.start.value, end=self.end.value, direction=direction, answered=answered)

    def _empty_message(self) -> str:
        filtered = self.direction.value != ANY or self.answered.value != ANY or bool(self.words.value.strip())
        return no_calls_message(self.start.value, self.end.value, filtered=filtered)

    def refresh(self) -> pd.DataFrame:
        """Apply the filters; redraw the list, the charts and the open call; returns the matching transcripts.

        The frame is :func:`perftel.notebook.store.store_transcripts`'s (one row per recording).
        """
        filters, words = self.filters, self.words.value
        problem = ""
        if filters["start"] and filters["end"] and filters["end"] < filters["start"]:
            problem = "The end is before the start: pick an end on or after it."
        self.message.value = f"<span style='color:#b00020'>⚠ {problem}</span>" if problem else ""
        recordings = None
        if problem:  # show nothing (and say why) rather than raise from a callback
            filters["end"], filters["call_ids"], recordings = filters["start"], [], []
        ds, period = self.dataset, (filters.pop("start"), filters.pop("end"))
        if words.strip() and not problem:
            matches = store_word_matches(ds, words, *period)
            recordings = list(matches["recording_id"])
            filters["call_ids"] = list(matches["call_id"].dropna())
        self.filtered = store_transcripts(
            ds, *period, recording_ids=recordings, excerpt=self.EXCERPT, **filters
        )
        calls = store_calls(ds, *period, **filters)
        self.calls = calls
        self.rows = call_rows(calls, self.filtered)
        empty = self._empty_message()
        self.figures = store_figures(ds, *period, empty=empty, **filters)
        for name, out in self.chart_outputs.items():
            show_figure(out, self.figures[name])
        answered = int(calls["answered"].sum()) if len(calls) else 0
        self.count.value = (
            f"<b>{len(calls)} call{'s' if len(calls) != 1 else ''}</b> · {answered} answered · "
            f"{len(calls) - answered} missed · {len(self.filtered)} transcribed"
        )
        self._show_page(0)
        column, ascending = SORTS[self.sort.value]
        recorded = self.rows.dropna(subset=["recording_id"]).sort_values(
            column, ascending=ascending, kind="stable"
        )
        options = [  # in the list's order, so the first one opened is the first one listed
            (
                f"{when} · {str(r.direction).capitalize()} · {r.agents or '–'} · {clock(r.duration_seconds)}",
                r.recording_id,
            )
            for r, when in zip(
                recorded.itertuples(),
                local_times(recorded["started_at"], self.tz, "%d %b %H:%M"),
                strict=True,
            )
        ]
        self.call.options = options
        self.call.value = options[0][1] if options else None
        if not options:
            self.open_call(None)
        return self.filtered

    def _show_page(self, page: int) -> None:
        column, ascending = SORTS[self.sort.value]
        ordered = self.rows.sort_values(column, ascending=ascending, kind="stable", na_position="last")
        pages = max(1, -(-len(ordered) // self.page_size))
        self.page = min(max(page, 0), pages - 1)
        shown = ordered.iloc[self.page * self.page_size : (self.page + 1) * self.page_size]
        self.table.value = calls_table_html(shown, self.tz, empty=self._empty_message())
        first = self.page * self.page_size + 1
        self.page_label.value = (
            f"{first}–{first + len(shown) - 1} of {len(ordered)}" if len(ordered) else "no calls"
        )
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1

    # -- one call -----------------------------------------------------------------------------------
    def open_call(self, recording_id: str | None) -> pd.DataFrame:
        """Show one recording (or a call id's first recording): header, audio, timeline, segments;
        returns its segments.

        The frame is :func:`perftel.notebook.store.store_segments`'s (``start``/``end`` in seconds from
        the recording's start); empty when nothing matches.
        """
        ds, row = self.dataset, None
        if recording_id is not None:
            found = store_transcripts(ds, recording_ids=[recording_id], excerpt=1)
            if found.empty:  # a call id: its first recording
                found = store_transcripts(ds, call_ids=[recording_id], excerpt=1).head(1)
            row = found.iloc[0] if len(found) else None
            recording_id = row["recording_id"] if row is not None else None
        self.timeline.outputs = ()
        if row is None:
            self.header.value, self.detail.value, self.player.children = "", "", ()
            if not self.call.options:
                self.header.value = (
                    "<p class='perftel-empty' style='color:#555'>No transcribed call matches the filters.</p>"
                )
            return store_segments(ds, "")
        segments = store_segments(ds, recording_id)
        when = local_times(pd.Series([row["started_at"]]), self.tz).iloc[0]
        self.header.value = (
            f"<div style='font-size:14px'><b>{when}</b> ({html.escape(self.tz)}) · "
            f"{html.escape(str(row['direction']).capitalize())} · {html.escape(row['agents'] or '–')} · "
            f"call {clock(row['duration_seconds'])} · recording {clock(row['audio_seconds'])} · "
            f"language {html.escape(str(row['language'] or '–'))}</div>"
        )
        self.detail.value = segments_html(segments)
        path = row["audio_path"]
        if isinstance(path, str) and Path(path).is_file():
            self.player.children = (
                w.Audio.from_file(path, autoplay=False, loop=False, layout=w.Layout(width="100%")),
            )
        else:
            self.player.children = (w.HTML("<i>The recording file is not on this machine.</i>"),)
        show_figure(self.timeline, timeline_figure(segments, duration=row["audio_seconds"]))
        return segments
