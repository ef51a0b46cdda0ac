"""Conversation analytics: per-call metrics, trackers and the agent scorecard.

See :mod:`perftel.analytics.metrics` (formulas), :mod:`perftel.analytics.trackers` (phrase lists per
company) and :mod:`perftel.analytics.scorecard` (per-agent aggregates, pandas and SQL).
"""

from __future__ import annotations

from perftel.analytics.metrics import (
    COLUMNS,
    MONO_NOTE,
    CallMetrics,
    Overlap,
    call_metrics,
    call_metrics_frame,
    metrics_from_result,
    overlaps,
)
from perftel.analytics.scorecard import SCORECARD_SQL, TRACKER_RATES_SQL, scorecard
from perftel.analytics.trackers import (
    HIT_COLUMNS,
    CompanyTrackers,
    Tracker,
    TrackerHit,
    TrackerSet,
    Window,
    example_text,
    init_trackers,
    load_trackers,
    normalize,
    parse_trackers,
    trackers_path,
)

__all__ = [
    "COLUMNS",
    "HIT_COLUMNS",
    "MONO_NOTE",
    "SCORECARD_SQL",
    "TRACKER_RATES_SQL",
    "CallMetrics",
    "CompanyTrackers",
    "Overlap",
    "Tracker",
    "TrackerHit",
    "TrackerSet",
    "Window",
    "call_metrics",
    "call_metrics_frame",
    "example_text",
    "init_trackers",
    "load_trackers",
    "metrics_from_result",
    "normalize",
    "overlaps",
    "parse_trackers",
    "scorecard",
    "trackers_path",
]
