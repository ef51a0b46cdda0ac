"""The conversations section of the period report (notebook 04): the scorecard, the per-call distribution
chart, and a few plain sentences reading them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown, display

from perftel.analytics import MONO_NOTE
from perftel.notebook.conversations.load import ConversationTables, with_agent
from perftel.notebook.conversations.metric_charts import distribution_figure
from perftel.notebook.conversations.scorecard import scorecard_table, styled
from perftel.notebook.tables import clock, percent


def reading(call_metrics: pd.DataFrame, tracker_hits: pd.DataFrame | None, calls: pd.DataFrame) -> str:
    """A few plain sentences (Markdown) on the period's conversations, from the tables: calls and agents,
    the median agent talk share, who interrupts most, the median and longest dead air (m:ss), and each
    tracker's share of calls; a sentence saying so for an empty period or one of mono calls only."""
    if calls.empty:
        return "No transcribed call in this period."
    frame = with_agent(call_metrics, calls)
    two = frame[frame["speaker_metrics_note"].isna()]
    lines = [
        f"{len(frame)} transcribed call(s) by {frame['agent'].nunique()} agent(s); {len(two)} with two channels."
    ]
    if len(two):
        share = pd.to_numeric(two["agent_talk_share"], errors="coerce").median()
        lines.append(f"Agents spoke {percent(share)} of the talk time (median call).")
        cut = two.groupby("agent")["agent_interruptions"].mean()
        if cut.max() > 0:
            lines.append(f"Most interruptions: {cut.idxmax()} ({cut.max():.1f} per call).")
    else:
        lines.append(f"Speaker metrics: {MONO_NOTE} — one channel cannot tell who spoke.")
    longest = pd.to_numeric(frame["longest_silence_seconds"], errors="coerce")
    if longest.notna().any():
        at = frame.loc[longest.idxmax()]
        lines.append(
            f"Median dead air {clock(longest.median())}; the longest was {clock(longest.max())} "
            f"(call {at['call_id']}, {at['agent']})."
        )
    if tracker_hits is not None and len(tracker_hits):
        rates = tracker_hits.groupby("tracker")["call_id"].nunique() / len(frame)
        lines.append(
            "Trackers: " + ", ".join(f"{name} {percent(rate)} of calls" for name, rate in rates.items()) + "."
        )
    return " ".join(lines)


@dataclass
class ConversationsSection:
    """The report's conversations section: :attr:`table` (formatted scorecard), :attr:`figure`, and
    :attr:`text` (the reading). Displaying it shows a heading, the reading, the table and the chart."""

    table: pd.DataFrame
    figure: go.Figure
    text: str

    def _ipython_display_(self) -> None:
        display(Markdown("## Conversations\n\n" + self.text))
        display(styled(self.table))
        self.figure.show()


def conversations_section(tables: ConversationTables) -> ConversationsSection:
    """Scorecard, the per-call distribution chart and a short reading, for a period's tables (filter
    them first with :meth:`ConversationTables.between`)."""
    return ConversationsSection(
        scorecard_table(tables.call_metrics, tables.tracker_hits, tables.calls, trackers=tables.trackers),
        distribution_figure(tables.call_metrics, tables.calls),
        reading(tables.call_metrics, tables.tracker_hits, tables.calls),
    )
