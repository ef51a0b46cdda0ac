"""Read a company's dataset: tables as pandas, SQL, word search and the aggregates charts need.

A :class:`Dataset` is an in-memory DuckDB connection with one view per table over the parts named in the
store's manifest; it never opens a database file and never takes a lock, so a pipeline run updating the
store is never blocked by it. Before each call it looks at the manifest and, when an update replaced
it, re-points the views: a reader sees the store as it was before an update or after it, never half.

Tenants: the views read only this company's folder and filter on ``company_id``; the connection then
refuses file access outside that folder (DuckDB ``allowed_directories`` + ``enable_external_access =
false``, configuration locked), so ``sql()`` cannot read another tenant's files by path either.
"""

from __future__ import annotations

import re
import shlex
from datetime import datetime
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from perftel import dates
from perftel.company import company_settings
from perftel.dataset import index, schema
from perftel.dataset.compact import quote
from perftel.dataset.views import create_views
from perftel.errors import ConfigError, StorageError
from perftel.storage import CompanyStorage

if TYPE_CHECKING:
    import pandas as pd

_COLUMN = re.compile(r"[a-z_][a-z0-9_]*")


def company_timezone(company_id: str, data_dir: str | Path | None, tz: str | ZoneInfo | None) -> ZoneInfo:
    """``tz`` when given, else the company's time zone (``perftel.company``: ``PERFTEL_TIMEZONE``, the
    company's settings file, else UTC). Raises ``ConfigError`` for an unknown zone name."""
    if isinstance(tz, ZoneInfo):
        return tz
    return company_settings(company_id, data_dir, timezone=tz).timezone


def local_range(start: Any, end: Any, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` in UTC by perftel's date rules (:mod:`perftel.dates`: a whole day is the company's
    local day, the end day included; naive times are local). Either side may be ``None`` (open).
    Raises ``ConfigError`` for a value that is not a date or an end before the start."""
    if start is not None and end is not None:
        return dates.utc_range(start, end, tz=tz)
    lo = dates.to_utc(start, tz=tz, field="start") if start is not None else None
    hi = dates.to_utc(end, end=True, tz=tz, field="end") if end is not None else None
    return lo, hi


def search_terms(text: str) -> list[str]:
    """A search query → the normalised whole words and "quoted phrases" that must all appear.

    Raises ``ConfigError`` for a query with nothing to search."""
    try:
        parts = shlex.split(text.replace("'", " "))
    except ValueError:  # an unbalanced quote: search the words as they are
        parts = text.replace('"', " ").split()
    terms = [t for t in (schema.search_text(p) for p in parts) if t]
    if not terms:
        raise ConfigError(f'Nothing to search in {text!r}: give a word or a "quoted phrase".', field="text")
    return terms


def _token_hits(
    terms: list[str], speaker: str | None = None, counts: dict[str, int] | None = None
) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for the segments holding every term, from the ``segment_tokens`` index.

    A word is one token lookup. A phrase ``w0 w1 … wn`` holds at position ``p`` of a segment exactly when
    every pair ``(wi, wi+1)`` sits at ``p+i, p+i+1``: found either from ``wi``'s rows whose ``next_token``
    is ``wi+1`` or from ``wi+1``'s rows whose ``prev_token`` is ``wi`` — whichever word has fewer rows in
    ``counts`` (word → rows; absent: the first) — and the pairs' ``(segment, p)`` are intersected. Several
    terms are intersected. Exactly the segments whose ``text_search`` contains every term (see
    :func:`perftel.dataset.schema.segment_token_table`)."""
    counts = counts or {}
    who = " AND lower(speaker) = lower(?)" if speaker is not None else ""
    selects, params = [], []
    for term in terms:
        tokens = term.split()
        if len(tokens) == 1:
            selects.append(f"SELECT recording_id, segment_index FROM segment_tokens WHERE token = ?{who}")
            params += tokens
        else:
            pairs = []
            for i, (a, b) in enumerate(zip(tokens, tokens[1:], strict=False)):
                if counts.get(b, 0) < counts.get(a, 0):
                    pairs.append(
                        f"SELECT recording_id, segment_index, position - {i + 1} AS p FROM segment_tokens "
                        f"WHERE token = ? AND prev_token = ?{who}"
                    )
                    params += [b, a]
                else:
                    pairs.append(
                        f"SELECT recording_id, segment_index, position - {i} AS p FROM segment_tokens "
                        f"WHERE token = ? AND next_token = ?{who}"
                    )
                    params += [a, b]
                if speaker is not None:
                    params.append(speaker)
            selects.append(
                "SELECT recording_id, segment_index FROM ("
                + " INTERSECT ".join(f"({q})" for q in pairs)
                + ")"
            )
            continue
        if speaker is not None:
            params.append(speaker)
    return " INTERSECT ".join(f"({q})" for q in selects), params


class Dataset:
    """One company's calls as tables. Use :func:`open_dataset`."""

    def __init__(self, storage: CompanyStorage, tz: ZoneInfo) -> None:
        self.storage = storage
        self.company_id = storage.company_id
        self.tz = tz
        self.root = index.dataset_dir(storage)
        self._con = duckdb.connect()
        self._con.execute("SET TimeZone='UTC'")
        self._stamp: tuple[int, int] | None = None
        self._locked = False
        self.refresh(force=True)

    def __repr__(self) -> str:
        return f"Dataset({self.company_id!r}, {str(self.root)!r})"

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    # -- the views -----------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> bool:
        """Re-point the views when the store was updated since; returns True when it was."""
        try:
            st = (self.root / "manifest.json").stat()
            stamp = (st.st_mtime_ns, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and not force:
            return False
        manifest = index.read_manifest(self.root) if stamp is not None else None
        create_views(self._con, self.root, manifest, self.company_id, self.tz.key)
        if not self._locked:
            parts = (self.root / "parts").resolve()
            self._con.execute("SET allowed_directories = ?", [[str(parts) + "/"]])
            self._con.execute("SET enable_external_access = false")
            self._con.execute("SET lock_configuration = true")
            self._locked = True
        self._stamp = stamp
        return True

    def sql(self, query: str, params: list[Any] | None = None) -> duckdb.DuckDBPyRelation:
        """A DuckDB relation for ``query`` over this company's views (``calls``, ``participants``,
        ``recordings``, ``transcripts``, ``segments``, ``words`` and registered tables). ``.df()`` gives pandas.
        With ``params``, ``?`` placeholders are bound (the result is then materialised)."""
        self.refresh()
        if params:
            result = self._con.execute(query, params)
            to_arrow = (
                getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
            )  # duckdb 2 renamed it
            return self._con.from_arrow(to_arrow())
        return self._con.sql(query)

    def _frame(self, query: str, params: list[Any]) -> pd.DataFrame:
        self.refresh()
        return self._con.execute(query, params).df()

    @property
    def tables(self) -> list[str]:
        return sorted(schema.all_schemas())

    # -- tables ----------------------------------------------------------------------------------
    def _where(
        self, table: str, time_column: str | None, start: Any, end: Any, filters: dict[str, Any]
    ) -> tuple[str, list[Any]]:
        clauses, params = ["TRUE"], []
        lo, hi = local_range(start, end, self.tz)
        if (lo or hi) and time_column is None:
            raise ConfigError(f"{table} has no time to filter on.", field="start")
        if lo is not None:
            clauses.append(f"{time_column} >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append(f"{time_column} < ?")
            params.append(hi)
        known = set(self._con.sql(f"SELECT * FROM {table} LIMIT 0").columns)
        for column, value in filters.items():
            if column not in known or not _COLUMN.fullmatch(column):
                raise ConfigError(
                    f"{table} has no column {column!r}; columns: {', '.join(sorted(known))}.", field=column
                )
            if isinstance(value, (list, tuple, set, frozenset)):
                values = list(value)
                clauses.append(f'"{column}" IN ({", ".join("?" for _ in values)})' if values else "FALSE")
                params.extend(values)
            elif value is None:
                clauses.append(f'"{column}" IS NULL')
            else:
                clauses.append(f'"{column}" = ?')
                params.append(value)
        return " AND ".join(clauses), params

    def calls(self, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
        """Calls that started in ``[start, end]`` (local days, the end day included), oldest first.

        ``filters`` are column = value (a list means any of them), e.g. ``direction="INBOUND"``,
        ``answered=True``. Columns: company_id, call_id, provider, external_id, direction, start_utc,
        end_utc, duration_seconds, answered, from_number, to_number, agents, agent_count,
        participant_count, recording_count, start_local, end_local, timezone. Raises ``ConfigError``
        for an unknown column or a bad date."""
        self.refresh()
        where, params = self._where("calls", "start_utc", start, end, filters)
        return self._frame(f"SELECT * FROM calls WHERE {where} ORDER BY start_utc, call_id", params)

    def transcripts(self, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
        """Transcribed recordings whose call started in the range (``call_start_utc``), oldest first."""
        self.refresh()
        where, params = self._where("transcripts", "call_start_utc", start, end, filters)
        return self._frame(
            f"SELECT * FROM transcripts WHERE {where} ORDER BY call_start_utc, recording_id", params
        )

    def segments(self, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
        """Segments (one row per stretch of speech) of the calls that started in the range, in order.
        Columns: recording_id, call_id, segment_index, start_seconds, end_seconds (from the recording's
        start), channel, speaker, text, text_search (the form search matches), text_before, text_after
        (the neighbouring segments' text), avg_logprob, no_speech_prob, talk_seconds."""
        self.refresh()
        where, params = self._where("segments", None, None, None, filters)
        lo, hi = local_range(start, end, self.tz)
        if lo is not None or hi is not None:
            where += (
                " AND recording_id IN (SELECT recording_id FROM transcripts WHERE call_start_utc >= ?"
                " AND call_start_utc < ?)"
            )
            params += [
                lo or datetime(1, 1, 2, tzinfo=dt_timezone.utc),
                hi or datetime(9999, 1, 1, tzinfo=dt_timezone.utc),
            ]
        return self._frame(
            f"SELECT * FROM segments WHERE {where} ORDER BY recording_id, segment_index", params
        )

    # -- search ----------------------------------------------------------------------------------
    def search(
        self,
        text: str,
        speaker: str | None = None,
        start: Any = None,
        end: Any = None,
        *,
        limit: int | None = 1000,
    ) -> pd.DataFrame:
        """Segments containing every word / "quoted phrase" of ``text``: whole words, case- and
        accent-insensitive (``informacoes`` finds ``informações``; decomposed and composed forms match),
        SQL characters (``% _ ' ;``) taken literally. ``speaker`` filters on the segment's speaker
        (``"agent"``, ``"customer"``…), ``start``/``end`` on the call's local days.

        Returns, newest call first: call_id, recording_id, call_start_utc, call_start_local,
        segment_index, start_seconds, end_seconds, speaker, text, context_before, context_after (the
        neighbouring segments' text). Raises ``ConfigError`` for an empty query."""
        self.refresh()
        terms = search_terms(text)
        counts = {}
        phrase_words = sorted({w for t in terms if len(t.split()) > 1 for w in t.split()})
        if phrase_words:  # a phrase reads the rows of its rarer words (the token column alone is cheap)
            counts = dict(
                self._con.execute(
                    "SELECT token, count(*) FROM segment_tokens WHERE token IN "
                    f"({', '.join('?' for _ in phrase_words)}) GROUP BY token",
                    phrase_words,
                ).fetchall()
            )
        hits, params = _token_hits(terms, speaker, counts)
        return self._search_hits(hits, params, start, end, limit)

    def _search_scan(
        self,
        text: str,
        speaker: str | None = None,
        start: Any = None,
        end: Any = None,
        *,
        limit: int | None = 1000,
    ) -> pd.DataFrame:
        """:meth:`search` by scanning every segment's ``text_search`` (the reference the token index is
        tested against; linear in the number of segments)."""
        self.refresh()
        terms = search_terms(text)
        clauses = ["contains(text_search, ?)" for _ in terms]
        params: list[Any] = list(terms)
        if speaker is not None:
            clauses.append("lower(speaker) = lower(?)")
            params.append(speaker)
        hits = "SELECT recording_id, segment_index FROM segments WHERE " + " AND ".join(clauses)
        return self._search_hits(hits, params, start, end, limit)

    def _search_hits(
        self, hits: str, params: list[Any], start: Any, end: Any, limit: int | None
    ) -> pd.DataFrame:
        """The result of a search whose matching segments are the rows ``(recording_id, segment_index)``
        of the query ``hits`` (already filtered by speaker): filtered by the call's local days, newest
        call first. The order and limit are settled on the keys alone; only the kept segments' text is
        then read (a join with a small build side, whose keys DuckDB pushes into the segments scan)."""
        clauses = ["TRUE"]
        params = list(params)
        lo, hi = local_range(start, end, self.tz)
        if lo is not None or hi is not None:
            clauses.append(
                "f.recording_id IN (SELECT recording_id FROM transcripts WHERE call_start_utc >= ? "
                "AND call_start_utc < ?)"
            )
            params += [
                lo or datetime(1, 1, 2, tzinfo=dt_timezone.utc),
                hi or datetime(9999, 1, 1, tzinfo=dt_timezone.utc),
            ]
        cap = f"LIMIT {int(limit)}" if limit else ""
        query = f"""
            WITH found AS (SELECT DISTINCT recording_id, segment_index FROM ({hits})),
            keys AS MATERIALIZED (
                SELECT f.recording_id, f.segment_index, t.call_start_utc
                FROM found f LEFT JOIN transcripts t USING (recording_id)
                WHERE {" AND ".join(clauses)}
                ORDER BY t.call_start_utc DESC NULLS LAST, f.recording_id, f.segment_index {cap}
            )
            SELECT s.call_id, k.recording_id, k.call_start_utc,
                   timezone('{quote(self.tz.key)}', k.call_start_utc) AS call_start_local,
                   k.segment_index, s.start_seconds, s.end_seconds, s.speaker, s.text,
                   s.text_before AS context_before, s.text_after AS context_after
            FROM keys k JOIN segments s ON s.recording_id = k.recording_id AND s.segment_index = k.segment_index
            ORDER BY k.call_start_utc DESC NULLS LAST, k.recording_id, k.segment_index
        """
        return self._frame(query, params)

    # -- aggregates for charts ------------------------------------------------------------------------
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

    # -- export ------------------------------------------------------------------------------------
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

    def export(self, dest: str | Path, format: str = "parquet") -> list[Path]:
        """Write every table under ``dest`` (see :func:`perftel.dataset.export.export_tables`)."""
        from perftel.dataset.export import export_tables

        self.refresh()
        return export_tables(self.root, self.company_id, self.tz.key, dest, format=format)


def open_dataset(
    company: str,
    data_dir: str | Path | None = None,
    *,
    tz: str | ZoneInfo | None = None,
    update: bool | None = None,
) -> Dataset:
    """Open ``company``'s calls as tables.

    Args:
        company: the company id.
        data_dir: where company folders live (default ``PERFTEL_DATA_DIR`` or ``./data``).
        tz: the time zone for local times and local days (default: the company's setting, else UTC).
        update: ``True`` brings the store up to date first (waits for a running update); ``None``
            (default) builds it only when there is none yet, or it is corrupt; ``False`` never writes.

    Raises ``ConfigError`` for a bad company id or zone, ``StorageError`` when the store is unreadable
    and ``update=False``.
    """
    storage = CompanyStorage(company, data_dir)
    zone = company_timezone(storage.company_id, data_dir, tz)
    root = index.dataset_dir(storage)
    if update is None:
        try:
            update = index.read_manifest(root) is None
        except StorageError:
            update = True
    if update and storage.root.is_dir():
        index.update(storage)
    return Dataset(storage, zone)
