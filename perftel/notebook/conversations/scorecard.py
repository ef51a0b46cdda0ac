"""The agent scorecard as an analyst reads it: :func:`perftel.analytics.scorecard` per agent, with a rate
for every tracker, formatted as text (ratios, percentages, m:ss, "not available (mono)")."""

from __future__ import annotations

from typing import Any

import pandas as pd

from perftel.analytics import MONO_NOTE, scorecard
from perftel.notebook.tables import clock, decimal, percent


def agent_scorecard(
    call_metrics: pd.DataFrame,
    tracker_hits: pd.DataFrame | None,
    calls: pd.DataFrame,
    *,
    trackers: list[str] | None = None,
) -> pd.DataFrame:
    """:func:`perftel.analytics.scorecard` per agent (numbers; columns as it documents), with a
    ``rate_<tracker>`` column (share 0–1 of the agent's calls with a hit) for every tracker in
    ``trackers`` (0 when never hit) — the table behind :func:`scorecard_table`."""
    card = scorecard(call_metrics, tracker_hits, calls=calls)
    for name in trackers or []:
        if f"rate_{name}" not in card:
            card[f"rate_{name}"] = 0.0
    return card


def scorecard_table(
    call_metrics: pd.DataFrame,
    tracker_hits: pd.DataFrame | None,
    calls: pd.DataFrame,
    *,
    trackers: list[str] | None = None,
) -> pd.DataFrame:
    """The scorecard as an analyst reads it: one row per agent, strings, no index.

    Columns: Agent, Calls, Two-channel calls, Talk-to-listen (median ratio, "1.25"), Agent talk share
    (median, "%"), Dead air (median longest silence, m:ss), Interruptions / call (the agent cutting in),
    Words / min (agent, median), and "<tracker> %" per tracker (share of the agent's calls with a hit).
    An agent whose calls are all mono shows "not available (mono)" in the speaker columns (dead air is
    still measured); "–" is a value that does not exist (e.g. no customer talk).
    """
    card = agent_scorecard(call_metrics, tracker_hits, calls, trackers=trackers)
    rows = []
    for row in card.to_dict("records"):
        mono = row["calls_two_channel"] == 0

        def speaker(text: str, mono: bool = mono) -> str:
            return MONO_NOTE if mono else text

        out = {
            "Agent": row["agent"],
            "Calls": str(int(row["calls"])),
            "Two-channel calls": str(int(row["calls_two_channel"])),
            "Talk-to-listen": speaker(decimal(row["talk_to_listen_median"], 2)),
            "Agent talk share": speaker(percent(row["agent_talk_share_median"])),
            "Dead air": clock(row["dead_air_median_seconds"]),
            "Interruptions / call": speaker(decimal(row["interruptions_per_call"], 1)),
            "Words / min": speaker(decimal(row["words_per_minute_median"], 0)),
        }
        for column in sorted(c for c in card.columns if c.startswith("rate_")):
            out[f"{column[5:]} %"] = percent(row[column])
        rows.append(out)
    return pd.DataFrame(rows)


def styled(table: pd.DataFrame) -> Any:
    """A pandas Styler of a formatted table without the index (what a notebook cell shows)."""
    return table.style.hide(axis="index")
