"""The dataset's tables: their columns (Arrow schemas) and the registry of per-transcript tables.

Two kinds of source file feed the tables (see :mod:`perftel.storage`; the row builders are in
:mod:`perftel.dataset.rows`):

* a call's detail JSON (``calls/metadata/detail_<call-id>.json``) → ``calls``, ``participants``,
  ``recordings``;
* a transcription JSON (``calls/transcriptions/<prefix>_<recording-id>.json``) → every table in the
  per-transcript registry: ``transcripts``, ``segments``, ``words`` here, and whatever another module adds
  with :func:`register_transcript_table` (e.g. ``call_metrics``, ``pii_counts``) without touching the
  indexer.

``segment_tokens`` is the search index: one row per word of each segment (the words of ``text_search``),
with its position, sorted by word; it is derived from ``segments`` when a part is written
(:func:`perftel.dataset.tokens.segment_token_table`) and is not exported. ``segments`` carries its
neighbours' text (``text_before``, ``text_after``: columnar, so only a query that reads them pays for
them) so that a search reads the table once. Units are in the column names (``_seconds``, ``_utc``);
times are UTC ``TIMESTAMP WITH TIME ZONE``; the local columns (``start_local``, ``timezone``) are added
by the reader's views in the company's zone. Every row carries ``company_id``; the indexer adds it and
``_vid`` (the id of the indexed file version, used to retire rows when their file changes or goes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from perftel.dataset.rows import segment_rows, transcript_row, word_rows

#: Bump when a table's columns or meaning change: a store of another version is rebuilt from the files.
VERSION = 5

_TS = pa.timestamp("us", tz="UTC")
_BASE = [pa.field("company_id", pa.string()), pa.field("_vid", pa.int64())]


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(_BASE + [pa.field(name, kind) for name, kind in fields])


CALLS = _schema(
    ("call_id", pa.string()),
    ("provider", pa.string()),
    ("external_id", pa.string()),
    ("direction", pa.string()),
    ("start_utc", _TS),
    ("end_utc", _TS),
    ("duration_seconds", pa.float64()),
    ("answered", pa.bool_()),
    ("from_number", pa.string()),
    ("to_number", pa.string()),
    ("agents", pa.string()),
    ("agent_count", pa.int32()),
    ("participant_count", pa.int32()),
    ("recording_count", pa.int32()),
)
PARTICIPANTS = _schema(
    ("call_id", pa.string()),
    ("position", pa.int32()),
    ("name", pa.string()),
    ("number", pa.string()),
    ("role", pa.string()),
    ("kind", pa.string()),
    ("extension", pa.string()),
    ("external_id", pa.string()),
)
RECORDINGS = _schema(
    ("recording_id", pa.string()),
    ("call_id", pa.string()),
    ("start_utc", _TS),
    ("channels", pa.int32()),
    ("channel_roles", pa.string()),
    ("participant", pa.string()),
)
TRANSCRIPTS = _schema(
    ("recording_id", pa.string()),
    ("call_id", pa.string()),
    ("call_start_utc", _TS),
    ("language", pa.string()),
    ("language_probability", pa.float64()),
    ("model", pa.string()),
    ("audio_seconds", pa.float64()),
    ("processing_seconds", pa.float64()),
    ("channels", pa.int32()),
    ("segment_count", pa.int32()),
    ("word_count", pa.int32()),
    ("transcribed_at_utc", _TS),
    ("audio_path", pa.string()),
    ("text", pa.string()),
)
SEGMENTS = _schema(
    ("recording_id", pa.string()),
    ("call_id", pa.string()),
    ("segment_index", pa.int32()),
    ("start_seconds", pa.float64()),
    ("end_seconds", pa.float64()),
    ("channel", pa.int32()),
    ("speaker", pa.string()),
    ("text", pa.string()),
    ("text_search", pa.string()),
    ("text_before", pa.string()),
    ("text_after", pa.string()),
    ("avg_logprob", pa.float64()),
    ("no_speech_prob", pa.float64()),
)
WORDS = _schema(
    ("recording_id", pa.string()),
    ("call_id", pa.string()),
    ("segment_index", pa.int32()),
    ("word_index", pa.int32()),
    ("start_seconds", pa.float64()),
    ("end_seconds", pa.float64()),
    ("word", pa.string()),
    ("probability", pa.float64()),
    ("speaker", pa.string()),
)

SEGMENT_TOKENS = _schema(
    ("token", pa.string()),
    ("recording_id", pa.string()),
    ("segment_index", pa.int32()),
    ("position", pa.int32()),
    ("prev_token", pa.string()),
    ("next_token", pa.string()),
    ("speaker", pa.string()),
)
#: Rows per Parquet row group of ``segment_tokens``: small, so that a lookup of one token reads little.
TOKEN_ROW_GROUP = 32_768
#: Rows per Parquet row group, per table (others: :data:`ROW_GROUP`). ``segments`` is small too: a search
#: reads the text of its kept hits only, and its row groups' recording_id min/max lets it skip the others.
ROW_GROUPS = {"segment_tokens": TOKEN_ROW_GROUP, "segments": 32_768}
ROW_GROUP = 256_000

#: Tables built from a call's detail JSON.
CALL_TABLES: dict[str, pa.Schema] = {"calls": CALLS, "participants": PARTICIPANTS, "recordings": RECORDINGS}


@dataclass(frozen=True)
class TranscriptContext:
    """What a per-transcript row builder knows beside the JSON: the tenant, recording and call."""

    company_id: str
    recording_id: str
    call_id: str | None


TranscriptRows = Callable[[dict[str, Any], TranscriptContext], list[dict[str, Any]]]


@dataclass(frozen=True)
class TranscriptTable:
    """A registered per-transcript table: its SQL ``name``, Arrow ``schema`` (with ``company_id`` and
    ``_vid`` first) and ``build(transcript_json, ctx) -> list of row dicts``."""

    name: str
    schema: pa.Schema
    build: TranscriptRows


_TRANSCRIPT_TABLES: dict[str, TranscriptTable] = {}


def register_transcript_table(name: str, columns: pa.Schema, build: TranscriptRows) -> None:
    """Add a table computed from each transcription JSON (one call per table, at import time).

    Args:
        name: the table's name in SQL (lowercase letters, digits, ``_``).
        columns: its Arrow schema, without ``company_id`` / ``_vid`` (added here) — ``recording_id`` and
            ``call_id`` first is the convention.
        build: ``build(transcript_json, ctx) -> list of row dicts``; keys not in the schema are ignored.

    A store built before the table existed is rebuilt on its next update (the table set is in the
    manifest). Raises ``ValueError`` for a bad or taken name.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in CALL_TABLES or name in _TRANSCRIPT_TABLES:
        raise ValueError(f"Table name {name!r} is invalid or already registered.")
    schema = pa.schema(_BASE + [f for f in columns if f.name not in ("company_id", "_vid")])
    _TRANSCRIPT_TABLES[name] = TranscriptTable(name, schema, build)


def builder_modules() -> list[str]:
    """The modules whose row builders make the per-transcript tables (a worker process imports them)."""
    return sorted({t.build.__module__ for t in _TRANSCRIPT_TABLES.values()} | set(_BUILTIN_MODULES))


def transcript_tables() -> dict[str, TranscriptTable]:
    """The per-transcript tables registered so far, ``{name: TranscriptTable}`` in registration order."""
    return dict(_TRANSCRIPT_TABLES)


def all_schemas() -> dict[str, pa.Schema]:
    """Every table of the store, ``{name: Arrow schema}``: the call tables, then the per-transcript ones
    (``company_id`` and ``_vid`` included; the views hide ``_vid``)."""
    return {**CALL_TABLES, **{name: t.schema for name, t in _TRANSCRIPT_TABLES.items()}}


def _strip(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f for f in schema if f.name not in ("company_id", "_vid")])


register_transcript_table("transcripts", _strip(TRANSCRIPTS), transcript_row)
register_transcript_table("segments", _strip(SEGMENTS), segment_rows)
register_transcript_table("words", _strip(WORDS), word_rows)
# filled per column from ``segments`` when a part is written (segment_token_table), not row by row
register_transcript_table("segment_tokens", _strip(SEGMENT_TOKENS), lambda data, ctx: [])

#: Tables derived from another table of the same part when it is written: ``{table: source table}``.
DERIVED_TABLES = {"segment_tokens": "segments"}
#: Search indexes, not data: left out of exports.
INDEX_TABLES = frozenset(DERIVED_TABLES)


def transcript_rows(data: dict[str, Any], company_id: str) -> dict[str, list[dict[str, Any]]]:
    """A transcription JSON → rows of every registered per-transcript table.

    Raises ``KeyError``/``ValueError``/``TypeError`` for a JSON that is not a transcription."""
    recording_id = str(data["recording_id"])
    if not isinstance(data.get("segments", []), list):
        raise ValueError("segments is not a list")
    call_id = (data.get("call") or {}).get("id")
    ctx = TranscriptContext(company_id, recording_id, str(call_id) if call_id is not None else None)
    return {name: table.build(data, ctx) for name, table in _TRANSCRIPT_TABLES.items()}


#: Modules of perftel that register per-transcript tables; imported with this one so the tables always exist.
_BUILTIN_MODULES = ("perftel.analytics.tables",)
for _module in _BUILTIN_MODULES:
    __import__(_module)
