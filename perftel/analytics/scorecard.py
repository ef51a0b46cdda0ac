"""Agent scorecard: per agent (and per agent and day or week), from ``call_metrics`` and ``tracker_hits``.

Inputs are DataFrames shaped like the tables: ``call_metrics`` (:data:`perftel.analytics.metrics.COLUMNS`)
plus the call's ``agent`` and ``started_at`` (UTC) — either as columns of ``call_metrics`` or from a
``calls`` frame joined on ``call_id``; ``tracker_hits`` (:data:`perftel.analytics.trackers.HIT_COLUMNS`).

Columns of the scorecard (one row per agent, or per agent and period):

``calls``                       calls of the agent
``calls_two_channel``           of those, calls with speaker metrics (mono calls have none)
``talk_to_listen_median``       median of ``talk_to_listen_ratio`` (agent talk / customer talk)
``agent_talk_share_median``     median of ``agent_talk_share`` (Gong's talk ratio)
``dead_air_median_seconds``     median of ``longest_silence_seconds``
``interruptions_per_call``      mean of ``agent_interruptions`` (the agent cutting in) per two-channel call
``words_per_minute_median``     median of ``agent_words_per_minute``
``rate_<tracker>``              share of the agent's calls with at least one hit of that tracker (0–1)

Medians skip calls where the value is not available (mono calls, no customer talk). Periods are local
days or ISO weeks (starting Monday) in ``timezone`` (an IANA name, default UTC); ``period`` holds the
local date the day or week starts. :data:`SCORECARD_SQL` and :data:`TRACKER_RATES_SQL` are the same
aggregates in DuckDB SQL over tables ``call_metrics`` (with ``agent`` and ``started_at``) and
``tracker_hits``.
"""

from __future__ import annotations

from typing import Any

SCORECARD_SQL = """
SELECT
    agent,
    count(*) AS calls,
    count(agent_talk_seconds) AS calls_two_channel,
    median(talk_to_listen_ratio) AS talk_to_listen_median,
    median(agent_talk_share) AS agent_talk_share_median,
    median(longest_silence_seconds) AS dead_air_median_seconds,
    avg(agent_interruptions) AS interruptions_per_call,
    median(agent_words_per_minute) AS words_per_minute_median
FROM call_metrics
GROUP BY agent
ORDER BY agent
"""

TRACKER_RATES_SQL = """
SELECT m.agent, t.tracker,
       count(DISTINCT h.call_id) / (SELECT count(*) FROM call_metrics c WHERE c.agent = m.agent) AS rate
FROM call_metrics m
CROSS JOIN (SELECT DISTINCT tracker FROM tracker_hits) t
LEFT JOIN tracker_hits h ON h.call_id = m.call_id AND h.tracker = t.tracker
GROUP BY m.agent, t.tracker
ORDER BY m.agent, t.tracker
"""

_PERIODS = ("day", "week")


def _with_calls(call_metrics: Any, calls: Any | None) -> Any:
    frame = call_metrics
    if calls is not None:
        keep = [c for c in ("call_id", "agent", "started_at") if c in calls]
        frame = frame.drop(columns=[c for c in ("agent", "started_at") if c in frame and c in keep]).merge(
            calls[keep], on="call_id", how="left"
        )
    if "agent" not in frame:
        raise ValueError("call_metrics needs an 'agent' column (or pass calls with call_id and agent)")
    frame = frame.copy()
    frame["agent"] = frame["agent"].fillna("(unknown)")
    return frame


def scorecard(
    call_metrics: Any,
    tracker_hits: Any | None = None,
    *,
    calls: Any | None = None,
    period: str | None = None,
    timezone: str = "UTC",
) -> Any:
    """The scorecard DataFrame (see the module docstring). ``period``: None, "day" or "week".

    Raises ValueError for an unknown period or missing ``agent`` / ``started_at`` columns.
    """
    import pandas as pd

    if period is not None and period not in _PERIODS:
        raise ValueError(f"period must be one of {', '.join(_PERIODS)} or None, not {period!r}")
    frame = _with_calls(call_metrics, calls)
    keys = ["agent"]
    if period:
        if "started_at" not in frame:
            raise ValueError("a scorecard per day or week needs 'started_at' (UTC) for each call")
        local = pd.to_datetime(frame["started_at"], utc=True).dt.tz_convert(timezone)
        day = local.dt.tz_localize(None).dt.normalize()
        frame["period"] = (
            day - pd.to_timedelta(day.dt.day_of_week, unit="D") if period == "week" else day
        ).dt.date
        keys.append("period")
    numeric = [
        "talk_to_listen_ratio",
        "agent_talk_share",
        "longest_silence_seconds",
        "agent_interruptions",
        "agent_words_per_minute",
        "agent_talk_seconds",
    ]
    for column in numeric:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    grouped = frame.groupby(keys, sort=True, dropna=False)
    out = grouped.agg(
        calls=("call_id", "count"),
        calls_two_channel=("agent_talk_seconds", "count"),
        talk_to_listen_median=("talk_to_listen_ratio", "median"),
        agent_talk_share_median=("agent_talk_share", "median"),
        dead_air_median_seconds=("longest_silence_seconds", "median"),
        interruptions_per_call=("agent_interruptions", "mean"),
        words_per_minute_median=("agent_words_per_minute", "median"),
    ).reset_index()
    if tracker_hits is not None and len(tracker_hits):
        hit_calls = tracker_hits[["call_id", "tracker"]].drop_duplicates()
        marked = frame[[*keys, "call_id"]].merge(hit_calls, on="call_id", how="inner")
        counts = marked.groupby([*keys, "tracker"]).size().unstack("tracker", fill_value=0)
        counts.columns = [f"rate_{name}" for name in counts.columns]
        out = out.merge(counts.reset_index(), on=keys, how="left")
        for column in counts.columns:
            out[column] = out[column].fillna(0) / out["calls"]
    return out
