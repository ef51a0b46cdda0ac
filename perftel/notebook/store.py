"""The notebook tables and charts, aggregated in SQL by the company's dataset (:mod:`perftel.dataset`).

The SQL twins of :mod:`perftel.notebook.charts`' pandas aggregates: each function takes an open
:class:`perftel.dataset.Dataset` and a period, and returns the same small table the ``*_chart`` functions
draw (``store_calls_per_day`` → ``calls_per_day_chart`` …), so only aggregates — never every segment —
come into the notebook's memory::

    ds = nb.open_dataset("acme")
    figures = nb.store_figures(ds, "2026-11-01", "2026-11-30")
    nb.store_calls(ds, "2026-11-01", "2026-11-30", direction="INBOUND")   # one row per call

Periods follow perftel's date rules in the company's zone (``ds.tz``): ``start``/``end`` are local days,
both included (:func:`perftel.dataset.reader.local_range`); days and hours are local. Filters:
``direction`` ("INBOUND"/"OUTBOUND"), ``answered`` (True/False), ``provider``, ``call_ids`` (only these
calls; e.g. those whose transcript holds some words, :func:`store_word_matches`). Bad dates raise
``ConfigError``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from perftel.dataset.reader import local_range, search_terms
from perftel.notebook.charts import (
    DIRECTIONS,
    NO_DATA,
    STATUSES,
    answered_chart,
    calls_per_day_chart,
    calls_per_hour_chart,
    duration_chart,
    talk_time_chart,
)
from perftel.notebook.tables import clock, zone_name

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from perftel.dataset import Dataset

#: the calls table in the shape the notebook's views read (see :func:`perftel.notebook.tables.calls_view`)
_CALL_COLUMNS = """
    c.call_id AS id, c.provider, c.external_id, c.direction, c.start_utc AS started_at, c.end_utc AS ended_at,
    c.duration_seconds, c.answered, c.from_number AS caller_number, c.to_number AS callee_number, c.agents,
    c.recording_count, CAST(c.start_local AS DATE) AS day, hour(c.start_local) AS hour,
    CASE WHEN c.answered THEN 'answered' ELSE 'missed' END AS status"""


def _where(
    ds: Dataset,
    start: Any = None,
    end: Any = None,
    *,
    direction: str | None = None,
    answered: bool | None = None,
    provider: str | None = None,
    call_ids: Any = None,
) -> tuple[str, list[Any]]:
    """SQL conditions on the ``calls`` view aliased ``c`` and their parameters."""
    clauses, params = ["TRUE"], []
    lo, hi = local_range(start, end, ds.tz)
    if lo is not None:
        clauses.append("c.start_utc >= ?")
        params.append(lo)
    if hi is not None:
        clauses.append("c.start_utc < ?")
        params.append(hi)
    for column, value in (("direction", direction), ("answered", answered), ("provider", provider)):
        if value is not None:
            clauses.append(f"c.{column} = ?")
            params.append(value)
    if call_ids is not None:
        clauses.append("c.call_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append([str(i) for i in call_ids])
    return " AND ".join(clauses), params


def _frame(ds: Dataset, query: str, params: list[Any]) -> pd.DataFrame:
    return ds.sql(query, params).df() if params else ds.sql(query).df()


def store_calls(ds: Dataset, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
    """One row per call of the period, oldest first: id, provider, external_id, direction, started_at and
    ended_at (UTC), duration_seconds, answered, caller_number, callee_number, agents, recording_count,
    day and hour (local), status (answered/missed) — the columns of ``CompanyStorage.calls_frame``
    (``recording_count`` where it has ``recordings``) plus :func:`perftel.notebook.charts.add_time_columns`.
    ``duration_seconds`` is the call's length in seconds."""
    where, params = _where(ds, start, end, **filters)
    return _frame(
        ds, f"SELECT {_CALL_COLUMNS} FROM calls c WHERE {where} ORDER BY c.start_utc, c.call_id", params
    )


def store_transcripts(
    ds: Dataset,
    start: Any = None,
    end: Any = None,
    *,
    recording_ids: Any = None,
    excerpt: int | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """One row per transcribed recording of the period's calls, oldest first: recording_id, call_id,
    started_at (UTC), direction, answered, duration_seconds (the call's), agents, language, model,
    audio_seconds, segments (count), text (its first ``excerpt`` characters, or whole), audio_path.
    ``recording_ids``: only these recordings."""
    where, params = _where(ds, start, end, **filters)
    if recording_ids is not None:
        where += " AND t.recording_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append([str(i) for i in recording_ids])
    text = f"left(t.text, {int(excerpt)})" if excerpt else "t.text"
    return _frame(
        ds,
        f"""SELECT t.recording_id, t.call_id, c.start_utc AS started_at, c.direction, c.answered,
                   c.duration_seconds, c.agents, t.language, t.model, t.audio_seconds,
                   t.segment_count AS segments, trim({text}) AS text, t.audio_path
            FROM transcripts t JOIN calls c USING (call_id) WHERE {where}
            ORDER BY c.start_utc, t.recording_id""",
        params,
    )


def store_word_matches(ds: Dataset, words: str, start: Any = None, end: Any = None) -> pd.DataFrame:
    """The recordings whose transcript holds every word / "quoted phrase" of ``words`` (anywhere in the
    recording, not necessarily in one segment), through :meth:`Dataset.search` — whole words, case- and
    accent-insensitive. Returns recording_id, call_id, hits (matching segments of the first term).
    Raises ``ConfigError`` for a query with nothing to search."""
    found: pd.DataFrame | None = None
    for term in search_terms(words):
        hits = ds.search(f'"{term}"', start=start, end=end, limit=None)
        table = hits.groupby(["recording_id", "call_id"], dropna=False).size().rename("hits").reset_index()
        found = table if found is None else found.merge(table[["recording_id"]], on="recording_id")
        if found.empty:
            break
    return found.reset_index(drop=True)


# -- the tables behind the charts -----------------------------------------------------------------
def _days(start: Any, end: Any, found: pd.Series) -> list:
    if found.empty:
        return []
    return list(pd.date_range(min(found), max(found), freq="D").date)


def store_calls_per_day(ds: Dataset, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
    """``day`` (local date), ``direction``, ``calls`` — every day from the first call to the last, zeros
    included (the shape of :func:`perftel.notebook.charts.calls_per_day`)."""
    where, params = _where(ds, start, end, **filters)
    counts = _frame(
        ds,
        f"SELECT CAST(c.start_local AS DATE) AS day, c.direction, count(*) AS calls FROM calls c "
        f"WHERE {where} GROUP BY ALL",
        params,
    )
    if counts.empty:
        return pd.DataFrame(columns=["day", "direction", "calls"])
    counts["day"] = pd.to_datetime(counts["day"]).dt.date
    grid = pd.MultiIndex.from_product(
        [_days(start, end, counts["day"]), DIRECTIONS], names=["day", "direction"]
    )
    table = counts.set_index(["day", "direction"])["calls"].reindex(grid, fill_value=0)
    return table.astype(int).rename("calls").reset_index()


def store_calls_per_hour(ds: Dataset, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
    """``hour`` (0–23, local), ``direction``, ``calls`` — all 24 hours."""
    where, params = _where(ds, start, end, **filters)
    counts = _frame(
        ds,
        f"SELECT hour(c.start_local) AS hour, c.direction, count(*) AS calls FROM calls c WHERE {where} GROUP BY ALL",
        params,
    )
    grid = pd.MultiIndex.from_product([range(24), DIRECTIONS], names=["hour", "direction"])
    table = counts.set_index(["hour", "direction"])["calls"].reindex(grid, fill_value=0)
    return table.astype(int).rename("calls").reset_index()


def store_answered_per_day(ds: Dataset, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
    """``day``, ``status`` (answered/missed), ``calls``, ``share`` of the day's calls (0–1)."""
    where, params = _where(ds, start, end, **filters)
    counts = _frame(
        ds,
        f"SELECT CAST(c.start_local AS DATE) AS day, CASE WHEN c.answered THEN 'answered' ELSE 'missed' END "
        f"AS status, count(*) AS calls FROM calls c WHERE {where} GROUP BY ALL",
        params,
    )
    if counts.empty:
        return pd.DataFrame(columns=["day", "status", "calls", "share"])
    counts["day"] = pd.to_datetime(counts["day"]).dt.date
    grid = pd.MultiIndex.from_product([_days(start, end, counts["day"]), STATUSES], names=["day", "status"])
    table = counts.set_index(["day", "status"])["calls"].reindex(grid, fill_value=0).astype(int)
    table = table.rename("calls").reset_index()
    totals = table.groupby("day")["calls"].transform("sum")
    table["share"] = (table["calls"] / totals.where(totals > 0)).fillna(0.0)
    return table


def store_duration_bins(
    ds: Dataset, start: Any = None, end: Any = None, *, width: float | None = None, **filters: Any
) -> pd.DataFrame:
    """Calls per duration bin and status: ``start`` (s), ``end`` (s), ``status``, ``calls``; ``width`` (s)
    defaults to a round size giving about 12 bins (as :func:`perftel.notebook.charts.duration_bins`)."""
    where, params = _where(ds, start, end, **filters)
    longest = _frame(ds, f"SELECT max(c.duration_seconds) AS s FROM calls c WHERE {where}", params)["s"].iloc[
        0
    ]
    if longest is None or pd.isna(longest):
        return pd.DataFrame(columns=["start", "end", "status", "calls"])
    if width is None:
        width = next((w for w in (5, 10, 15, 30, 60, 120, 300, 600) if longest / w <= 12), 900)
    counts = _frame(
        ds,
        f"SELECT floor(c.duration_seconds / {float(width)}) * {float(width)} AS start, "
        f"CASE WHEN c.answered THEN 'answered' ELSE 'missed' END AS status, count(*) AS calls "
        f"FROM calls c WHERE {where} AND c.duration_seconds IS NOT NULL GROUP BY ALL",
        params,
    )
    edges = [float(e) for e in range(0, int(longest // width * width) + 1, int(width))]
    grid = pd.MultiIndex.from_product([edges, STATUSES], names=["start", "status"])
    table = counts.set_index(["start", "status"])["calls"].reindex(grid, fill_value=0).astype(int)
    table = table.rename("calls").reset_index()
    table.insert(1, "end", table["start"] + width)
    return table


def store_talk_time(ds: Dataset, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
    """Seconds of speech per agent (the call's agents' names for the "agent" speaker) or speaker /
    channel: ``who``, ``talk_seconds``, ``calls`` (recordings), ``share`` (0–1) — summed in SQL over the
    period's segments."""
    where, params = _where(ds, start, end, **filters)
    table = _frame(
        ds,
        f"""WITH c AS (SELECT c.call_id, c.agents FROM calls c WHERE {where}),
            s AS (SELECT s.recording_id, s.talk_seconds, c.agents,
                         coalesce(s.speaker, CASE WHEN s.channel IS NULL THEN 'speaker'
                                                  ELSE 'channel ' || s.channel END) AS speaker
                  FROM segments s JOIN c USING (call_id))
            SELECT CASE WHEN speaker = 'agent' AND coalesce(agents, '') <> '' THEN agents ELSE speaker END AS who,
                   sum(talk_seconds) AS talk_seconds, count(DISTINCT recording_id) AS calls
            FROM s GROUP BY 1 ORDER BY talk_seconds DESC, who""",
        params,
    )
    if table.empty:
        return pd.DataFrame(columns=["who", "talk_seconds", "calls", "share"])
    table["share"] = (
        table["talk_seconds"] / table["talk_seconds"].sum() if table["talk_seconds"].sum() else 0.0
    )
    return table


def store_summary(ds: Dataset, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
    """The headline numbers of a period as ``measure``, ``value`` (display text), as
    :func:`perftel.notebook.charts.period_summary` — counted in SQL."""
    where, params = _where(ds, start, end, **filters)
    row = _frame(
        ds,
        f"""SELECT count(*) AS calls, count(*) FILTER (c.direction = 'INBOUND') AS inbound,
                   count(*) FILTER (c.direction = 'OUTBOUND') AS outbound, count(*) FILTER (c.answered) AS answered,
                   median(c.duration_seconds) FILTER (c.answered) AS median_answered,
                   (SELECT count(*) FROM transcripts t WHERE t.call_id IN (SELECT c.call_id FROM calls c
                    WHERE {where})) AS transcribed
            FROM calls c WHERE {where}""",
        params + params,
    ).iloc[0]
    calls, answered = int(row["calls"]), int(row["answered"])
    median = row["median_answered"]
    rows = [
        ("Calls", calls),
        ("Inbound", int(row["inbound"])),
        ("Outbound", int(row["outbound"])),
        ("Answered", answered),
        ("Missed", calls - answered),
        ("Answer rate", f"{answered / calls:.0%}" if calls else "–"),
        ("Median answered call", clock(median) if median is not None and not pd.isna(median) else "–"),
        ("Transcribed recordings", int(row["transcribed"])),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])


def store_figures(
    ds: Dataset,
    start: Any = None,
    end: Any = None,
    *,
    empty: str = NO_DATA,
    talk: bool = True,
    **filters: Any,
) -> dict[str, go.Figure]:
    """Every chart of a period by name (calls_per_day, calls_per_hour, answered, duration, talk_time),
    each drawn from its SQL aggregate; ``empty`` is what a chart without data says."""
    figures = {
        "calls_per_day": calls_per_day_chart(store_calls_per_day(ds, start, end, **filters), empty=empty),
        "calls_per_hour": calls_per_hour_chart(
            store_calls_per_hour(ds, start, end, **filters), zone_name(ds.tz), empty=empty
        ),
        "answered": answered_chart(store_answered_per_day(ds, start, end, **filters), empty=empty),
        "duration": duration_chart(store_duration_bins(ds, start, end, **filters), empty=empty),
    }
    if talk:
        figures["talk_time"] = talk_time_chart(store_talk_time(ds, start, end, **filters))
    return figures


def store_segments(ds: Dataset, recording_id: str) -> pd.DataFrame:
    """Who said what, when, in one recording (only its segments are read): ``time`` (m:ss), ``start``,
    ``end`` (seconds from the recording's start), ``who`` (the agents' names for "agent"), ``text``."""
    rows = _frame(
        ds,
        """SELECT s.start_seconds AS start, s.end_seconds AS "end",
                  coalesce(s.speaker, CASE WHEN s.channel IS NULL THEN 'speaker' ELSE 'channel ' || s.channel END)
                      AS speaker, trim(s.text) AS text, c.agents
           FROM segments s LEFT JOIN calls c USING (call_id) WHERE s.recording_id = ?
           ORDER BY s.start_seconds, s.segment_index""",
        [recording_id],
    )
    agents = rows["agents"].fillna("")
    who = agents.where((rows["speaker"] == "agent") & (agents != ""), rows["speaker"])
    out = pd.DataFrame({"start": rows["start"], "end": rows["end"], "who": who, "text": rows["text"]})
    out.insert(0, "time", [clock(math.floor(s)) for s in out["start"]])
    return out


def first_day_last_day(ds: Dataset) -> tuple[Any, Any]:
    """The local days of the company's first and last call (``None, None`` without calls)."""
    row = ds.sql(
        "SELECT min(CAST(start_local AS DATE)) AS a, max(CAST(start_local AS DATE)) AS b FROM calls"
    ).df()
    first, last = row["a"].iloc[0], row["b"].iloc[0]
    if first is None or pd.isna(first):
        return None, None
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()
