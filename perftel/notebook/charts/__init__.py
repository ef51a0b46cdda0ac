"""Tables and charts of a company's calls and transcripts: pure functions, DataFrames in, figures out.

::

    tables = load_tables("acme")                      # .calls, .transcripts, .segments, .timezone
    calls_per_day_figure(tables.calls).show()
    filter_transcripts(tables.transcripts, words="refund", answered=True)

Days and hours are local to the company's time zone (``perftel.company``; stored times stay UTC). Each
chart is drawn from a small aggregated table (``calls_per_day`` → ``calls_per_day_chart``), so the
aggregates may come from pandas here or from SQL: the notebooks, the explorer and the report take them from
the company's dataset (:mod:`perftel.notebook.store`); :func:`load_tables`, which reads every JSON file into
pandas, stays for scripts and small folders. An empty table draws a message saying what to do, not empty
axes.

The modules: :mod:`~perftel.notebook.charts.call_tables` (read the files into tables),
:mod:`~perftel.notebook.charts.filters` (rows by day, direction, words), :mod:`~perftel.notebook.charts.aggregates`
(the tables behind the charts), :mod:`~perftel.notebook.charts.period_charts` (the period's charts),
:mod:`~perftel.notebook.charts.speaker_timeline` (who spoke when in one recording),
:mod:`~perftel.notebook.charts.model_comparison` (Whisper models side by side),
:mod:`~perftel.notebook.charts.layout` (the shared look and empty state) and
:mod:`~perftel.notebook.charts.offline_html` (figures for reports that open offline).
"""

from __future__ import annotations

from perftel.notebook.charts.aggregates import (
    DIRECTIONS,
    STATUSES,
    answered_per_day,
    calls_per_day,
    calls_per_hour,
    duration_bins,
    period_summary,
    talk_time,
)
from perftel.notebook.charts.call_tables import (
    SEGMENT_COLUMNS,
    TRANSCRIPT_COLUMNS,
    CallTables,
    add_time_columns,
    load_tables,
)
from perftel.notebook.charts.filters import call_segments, calls_with_words, filter_calls, filter_transcripts
from perftel.notebook.charts.layout import NO_DATA, empty_figure, no_calls_message
from perftel.notebook.charts.model_comparison import model_comparison_figure
from perftel.notebook.charts.offline_html import OfflineHtmlRenderer, use_offline_html_renderer
from perftel.notebook.charts.period_charts import (
    COLOURS,
    LABELS,
    answered_chart,
    answered_figure,
    call_figures,
    calls_per_day_chart,
    calls_per_day_figure,
    calls_per_hour_chart,
    calls_per_hour_figure,
    duration_chart,
    duration_figure,
    talk_time_chart,
    talk_time_figure,
)
from perftel.notebook.charts.speaker_timeline import timeline_figure

__all__ = [
    "COLOURS",
    "DIRECTIONS",
    "LABELS",
    "NO_DATA",
    "SEGMENT_COLUMNS",
    "STATUSES",
    "TRANSCRIPT_COLUMNS",
    "CallTables",
    "OfflineHtmlRenderer",
    "add_time_columns",
    "answered_chart",
    "answered_figure",
    "answered_per_day",
    "call_figures",
    "call_segments",
    "calls_per_day",
    "calls_per_day_chart",
    "calls_per_day_figure",
    "calls_per_hour",
    "calls_per_hour_chart",
    "calls_per_hour_figure",
    "calls_with_words",
    "duration_bins",
    "duration_chart",
    "duration_figure",
    "empty_figure",
    "filter_calls",
    "filter_transcripts",
    "load_tables",
    "model_comparison_figure",
    "no_calls_message",
    "period_summary",
    "talk_time",
    "talk_time_chart",
    "talk_time_figure",
    "timeline_figure",
    "use_offline_html_renderer",
]
