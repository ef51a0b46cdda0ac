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

import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb

from perftel.dataset import index, schema, search
from perftel.dataset.aggregates import Aggregates
from perftel.dataset.period import company_timezone, local_range, recordings_of_calls_started
from perftel.dataset.search import search_terms
from perftel.dataset.views import create_views
from perftel.errors import ConfigError, StorageError
from perftel.storage import CompanyStorage

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Dataset", "company_timezone", "local_range", "open_dataset", "search_terms"]

_COLUMN = re.compile(r"[a-z_][a-z0-9_]*")


class Dataset(Aggregates):
    """One company's calls as tables (pandas DataFrames, DuckDB relations); use :func:`open_dataset`.

    ``company_id``, ``tz`` (the zone of local times and local days), ``root`` (the store's folder). The
    chart aggregates (``calls_per_day``, ``scorecard``, …) are :class:`~perftel.dataset.aggregates.Aggregates`'.
    A context manager: leaving it closes the connection."""

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
        """Close the in-memory DuckDB connection (the store's files are untouched)."""
        self._con.close()

    # -- the views -----------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> bool:
        """Re-point the views when the store was updated since (the manifest's mtime and inode changed);
        returns True when it was. Raises ``StorageError`` when the new manifest is unreadable."""
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
        """The names of the tables (views) ``sql()`` can query, sorted."""
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
        """Transcribed recordings whose call started in ``[start, end]`` (``call_start_utc``; local days,
        the end day included), oldest first. ``filters`` as in :meth:`calls`. Columns: company_id,
        recording_id, call_id, call_start_utc, language, language_probability (0–1), model, audio_seconds,
        processing_seconds, channels, segment_count, word_count, transcribed_at_utc (UTC), audio_path,
        text. Raises ``ConfigError`` for an unknown column or a bad date."""
        self.refresh()
        where, params = self._where("transcripts", "call_start_utc", start, end, filters)
        return self._frame(
            f"SELECT * FROM transcripts WHERE {where} ORDER BY call_start_utc, recording_id", params
        )

    def segments(self, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
        """Segments (one row per stretch of speech) of the calls that started in the range, in order.
        Columns: recording_id, call_id, segment_index, start_seconds, end_seconds (from the recording's
        start), channel, speaker, text, text_search (the form search matches), text_before, text_after
        (the neighbouring segments' text), avg_logprob, no_speech_prob, talk_seconds (end − start, never
        negative). ``filters`` as in :meth:`calls`. Raises ``ConfigError`` for an unknown column or a bad
        date."""
        self.refresh()
        where, params = self._where("segments", None, None, None, filters)
        started, bounds = recordings_of_calls_started("recording_id", start, end, self.tz)
        where, params = f"{where} AND {started}", params + bounds
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
        return self._find(text, speaker, start, end, limit, scan=False)

    def _search_scan(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """:meth:`search` (same arguments) with the hits found by scanning every segment's ``text_search``
        instead of the token index: the reference the index is tested against (linear in segments)."""
        bound = inspect.signature(self.search).bind(*args, **kwargs)
        bound.apply_defaults()
        return self._find(**bound.arguments, scan=True)

    def _find(
        self, text: str, speaker: str | None, start: Any, end: Any, limit: int | None, *, scan: bool
    ) -> pd.DataFrame:
        self.refresh()
        terms = search_terms(text)
        if scan:
            hits, params = search.scan_hits_sql(terms, speaker)
        else:
            counts = {}
            words = search.phrase_words(terms)
            if words:  # a phrase reads the rows of its rarer words (the token column alone is cheap)
                counts = dict(
                    self._con.execute(
                        "SELECT token, count(*) FROM segment_tokens WHERE token IN "
                        f"({', '.join('?' for _ in words)}) GROUP BY token",
                        words,
                    ).fetchall()
                )
            hits, params = search.token_hits_sql(terms, speaker, counts)
        where, bounds = recordings_of_calls_started("f.recording_id", start, end, self.tz)
        return self._frame(search.results_sql(hits, where, self.tz.key, limit), [*params, *bounds])

    def export(self, dest: str | Path, format: str = "parquet") -> list[Path]:
        """Write every table under ``dest`` as Parquet or CSV partitioned by company and local month; returns
        the table folders (see :func:`perftel.dataset.export.export_tables`). Raises ``ConfigError`` for
        another format, ``StorageError`` when ``dest`` cannot be written."""
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
