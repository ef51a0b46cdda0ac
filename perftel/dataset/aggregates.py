"""The aggregates charts and reports need, computed in SQL by a :class:`~perftel.dataset.reader.Dataset`.

Each method takes a period ``[start, end]`` of the calls' start (local days in the dataset's zone, the end
day included, either side open: :func:`perftel.dataset.period.local_range`) and returns a small pandas
DataFrame. Durations and talk are in seconds, shares are fractions 0–1, days and hours are local.
Raises ``ConfigError`` for a bad date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perftel.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd


class Aggregates:
    """SQL aggregates over ``calls``, ``participants``, ``segments`` and ``call_metrics``; mixed into
    :class:`~perftel.dataset.reader.Dataset`, whose ``_where(table, time column, start, end, filters)`` and
    ``_frame(query, params)`` it uses."""

    _where: Any
    _frame: Any

    def _calls_where(self, start: Any, end: Any) -> tuple[str, list[Any]]:
        return self._where("calls", "start_utc", start, end, {})

    def calls_per_day(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Per local day: day (date), calls, answered, missed, answered_share (0–1)."""
        where, params = self._calls_where(start, end)
        return self._frame(
            f"""
            SELECT CAST(start_local AS DATE) AS day, count(*) AS calls, count(*) FILTER (answered) AS answered,
                   count(*) FILTER (NOT answered) AS missed, avg(answered::INT) AS answered_share
            FROM calls WHERE {where} GROUP BY 1 ORDER BY 1""",
            params,
        )

    def calls_per_hour(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Per local hour of the day (0–23, every hour present): hour, calls, answered, missed."""
        where, params = self._calls_where(start, end)
        return self._frame(
            f"""
            WITH c AS (SELECT hour(start_local) AS hour, answered FROM calls WHERE {where})
            SELECT h.range::INT AS hour, count(c.hour) AS calls, count(c.hour) FILTER (c.answered) AS answered,
                   count(c.hour) FILTER (NOT c.answered) AS missed
            FROM range(24) h LEFT JOIN c ON c.hour = h.range GROUP BY 1 ORDER BY 1""",
            params,
        )

    def answered_share(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """One row per direction and a total: direction, calls, answered, answered_share (0–1)."""
        where, params = self._calls_where(start, end)
        return self._frame(
            f"""
            SELECT coalesce(direction, 'ALL') AS direction, count(*) AS calls,
                   count(*) FILTER (answered) AS answered, avg(answered::INT) AS answered_share
            FROM calls WHERE {where} GROUP BY ROLLUP (direction) ORDER BY direction = 'ALL', direction""",
            params,
        )

    def duration_stats(
        self, start: Any = None, end: Any = None, *, answered_only: bool = True
    ) -> pd.DataFrame:
        """Call durations in seconds per direction and overall: calls, total_seconds, mean_seconds,
        median_seconds, p90_seconds, max_seconds (answered calls only unless ``answered_only=False``)."""
        where, params = self._calls_where(start, end)
        if answered_only:
            where += " AND answered"
        return self._frame(
            f"""
            SELECT coalesce(direction, 'ALL') AS direction, count(*) AS calls, sum(duration_seconds) AS total_seconds,
                   avg(duration_seconds) AS mean_seconds, median(duration_seconds) AS median_seconds,
                   quantile_cont(duration_seconds, 0.9) AS p90_seconds, max(duration_seconds) AS max_seconds
            FROM calls WHERE {where} GROUP BY ROLLUP (direction) ORDER BY direction = 'ALL', direction""",
            params,
        )

    def talk_seconds_per_agent(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Per agent (participant name, else extension, of role "agent"): calls (transcribed),
        agent_talk_seconds (segments whose speaker is "agent"), customer_talk_seconds, talk_to_listen
        (agent ÷ customer talk). A call with two agents counts for both."""
        where, params = self._calls_where(start, end)
        return self._frame(
            f"""
            WITH c AS (SELECT call_id FROM calls WHERE {where}),
            a AS (SELECT DISTINCT p.call_id, coalesce(p.name, p.extension, '?') AS agent
                  FROM participants p JOIN c USING (call_id) WHERE p.role = 'agent'),
            t AS (SELECT call_id, sum(talk_seconds) FILTER (speaker = 'agent') AS agent_s,
                         sum(talk_seconds) FILTER (speaker = 'customer') AS customer_s
                  FROM segments WHERE call_id IN (SELECT call_id FROM c) GROUP BY call_id)
            SELECT a.agent, count(*) AS calls, coalesce(sum(t.agent_s), 0) AS agent_talk_seconds,
                   coalesce(sum(t.customer_s), 0) AS customer_talk_seconds,
                   sum(t.agent_s) / nullif(sum(t.customer_s), 0) AS talk_to_listen
            FROM a JOIN t USING (call_id) GROUP BY a.agent ORDER BY agent_talk_seconds DESC, a.agent""",
            params,
        )

    def scorecard(self, start: Any = None, end: Any = None, by: str = "agent") -> pd.DataFrame:
        """The agent scorecard of calls that started in ``[start, end]`` (local days, end included), in
        SQL over ``call_metrics``, ``calls`` and the current trackers' ``tracker_hits``
        (:mod:`perftel.analytics.scorecard` gives the columns and :data:`~perftel.analytics.SCORECARD_SQL`).

        ``by``: ``"agent"`` (one row per agent), ``"day"`` or ``"week"`` (per agent and local day, or ISO
        week starting Monday, in the company's zone; ``period`` holds the local date it starts). One
        transcript per call (the first by recording id). Raises ConfigError for another ``by`` or a bad
        trackers file."""
        from perftel.analytics.scorecard import SCORECARD_SQL
        from perftel.analytics.tables import attach_tracker_hits

        periods = {
            "agent": None,
            "day": "CAST(c.start_local AS DATE)",
            "week": "CAST(date_trunc('week', c.start_local) AS DATE)",
        }
        if by not in periods:
            raise ConfigError(f"by must be one of {', '.join(periods)}, not {by!r}.", field="by")
        where, params = self._where("calls", "c.start_utc", start, end, {})
        hits = attach_tracker_hits(self)
        keys = "agent" if by == "agent" else "agent, period"
        source = f"""
            SELECT m.*, coalesce(nullif(c.agents, ''), '(unknown)') AS agent, c.start_utc AS started_at
                   {", " + periods[by] + " AS period" if periods[by] else ""}
            FROM call_metrics m JOIN calls c ON c.call_id = m.call_id
            WHERE {where}
            QUALIFY row_number() OVER (PARTITION BY m.call_id ORDER BY m.recording_id) = 1"""
        body = SCORECARD_SQL.replace("agent,\n    count(*)", keys + ",\n    count(*)")
        body = body.replace("GROUP BY agent\nORDER BY agent", f"GROUP BY {keys}\nORDER BY {keys}")
        out = self._frame(f"WITH call_metrics AS ({source}) {body}", params)
        if len(hits):
            rates = self._frame(
                f"""WITH call_metrics AS ({source})
                SELECT {keys}, h.tracker, count(DISTINCT m.call_id) AS n
                FROM call_metrics m JOIN tracker_hits h ON h.call_id = m.call_id
                GROUP BY ALL""",
                params,
            )
            wide = rates.pivot_table(index=keys.split(", "), columns="tracker", values="n", fill_value=0)
            wide.columns = [f"rate_{name}" for name in wide.columns]
            out = out.merge(wide.reset_index(), on=keys.split(", "), how="left")
            for column in wide.columns:
                out[column] = out[column].fillna(0) / out["calls"]
        return out
