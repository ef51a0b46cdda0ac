"""Conversation views: the agent scorecard, metric charts, a call timeline with transcript and player.

DataFrames in, tables/figures/widgets out. Four tables, each with a ``call_id`` column: ``calls`` (one
row per call: agent, UTC start, channels, recording), ``segments`` (one row per transcript segment, times
in seconds from the start of the recording), ``call_metrics`` (:data:`perftel.analytics.COLUMNS`) and
``tracker_hits`` (:data:`perftel.analytics.HIT_COLUMNS`); :mod:`perftel.notebook.conversations.load`
gives every column.

:func:`load_conversations` builds them from the transcripts on disk (metrics computed now, with
:mod:`perftel.analytics`); a dataset that already holds ``call_metrics`` and ``tracker_hits`` can hand its
tables to every other function instead.

The timeline (:func:`timeline_figure`) draws one lane per speaker with the overlaps, dead air and
tracker hits the metrics count (:mod:`perftel.notebook.conversations.timeline` says how).
:class:`CallTimeline` puts it beside the transcript and an HTML5 ``<audio>`` element: a click on a
transcript line, or :meth:`CallTimeline.seek`, plays from that moment.

The modules: :mod:`~perftel.notebook.conversations.load` (the tables), :mod:`~perftel.notebook.conversations.scorecard`
(the scorecard as text), :mod:`~perftel.notebook.conversations.metric_charts` (distributions and trends
per agent), :mod:`~perftel.notebook.conversations.timeline` (one call's lanes and marks),
:mod:`~perftel.notebook.conversations.call_html` (transcript, player, metrics line),
:mod:`~perftel.notebook.conversations.call_viewer` (the :class:`CallTimeline` widget) and
:mod:`~perftel.notebook.conversations.report_section` (the report's conversations section).
"""

from __future__ import annotations

from perftel.analytics import COLUMNS
from perftel.notebook.conversations.call_html import (
    MAX_EMBED_BYTES,
    audio_html,
    call_summary_html,
    transcript_html,
)
from perftel.notebook.conversations.call_viewer import CallTimeline
from perftel.notebook.conversations.load import (
    CALL_COLUMNS,
    SEGMENT_COLUMNS,
    ConversationTables,
    load_conversations,
    local_calls,
)
from perftel.notebook.conversations.metric_charts import (
    DISTRIBUTIONS,
    TRENDS,
    distribution_figure,
    trend_figure,
)
from perftel.notebook.conversations.report_section import (
    ConversationsSection,
    conversations_section,
    reading,
)
from perftel.notebook.conversations.scorecard import agent_scorecard, scorecard_table, styled
from perftel.notebook.conversations.timeline import (
    LANE_COLOURS,
    OVERLAP_COLOUR,
    SILENCE_COLOUR,
    TRACKER_COLOURS,
    CallMarks,
    call_marks,
    lanes,
    timeline_figure,
)
from perftel.notebook.sample_data import is_sandbox_company
from perftel.notebook.tables import NOT_AVAILABLE, clock

__all__ = [
    "CALL_COLUMNS",
    "COLUMNS",
    "DISTRIBUTIONS",
    "LANE_COLOURS",
    "MAX_EMBED_BYTES",
    "NOT_AVAILABLE",
    "OVERLAP_COLOUR",
    "SEGMENT_COLUMNS",
    "SILENCE_COLOUR",
    "TRACKER_COLOURS",
    "TRENDS",
    "CallMarks",
    "CallTimeline",
    "ConversationTables",
    "ConversationsSection",
    "agent_scorecard",
    "audio_html",
    "call_marks",
    "call_summary_html",
    "clock",
    "conversations_section",
    "distribution_figure",
    "is_sandbox_company",
    "lanes",
    "load_conversations",
    "local_calls",
    "reading",
    "scorecard_table",
    "styled",
    "timeline_figure",
    "transcript_html",
    "trend_figure",
]
