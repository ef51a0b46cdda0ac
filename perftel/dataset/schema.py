"""The dataset's tables: their columns, and the functions that turn one JSON file into rows.

Two kinds of source file feed the tables (see :mod:`perftel.storage`):

* a call's detail JSON (``calls/metadata/detail_<call-id>.json``) → ``calls``, ``participants``,
  ``recordings``;
* a transcription JSON (``calls/transcriptions/<prefix>_<recording-id>.json``) → every table in the
  per-transcript registry: ``transcripts``, ``segments``, ``words`` here, and whatever another module adds
  with :func:`register_transcript_table` (e.g. ``call_metrics``, ``tracker_hits``, ``pii_counts``)
  without touching the indexer.

``segment_tokens`` is the search index: one row per word of each segment (the words of ``text_search``),
with its position, sorted by word; it is derived from ``segments`` when a part is written
(:func:`segment_token_table`) and is not exported. ``segments`` carries its neighbours' text (``text_before``, ``text_after``: columnar, so only a query
that reads them pays for them) so that a search reads the table once. Units are in the column names (``_seconds``, ``_utc``); times are UTC ``TIMESTAMP WITH TIME ZONE``; the
local columns (``start_local``, ``timezone``) are added by the reader's views in the company's zone. Every
row carries ``company_id``; the indexer adds it and ``_vid`` (the id of the indexed file version, used to
retire rows when their file changes or goes). Rows are plain dicts; each table has a fixed Arrow schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

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
    return dict(_TRANSCRIPT_TABLES)


def all_schemas() -> dict[str, pa.Schema]:
    return {**CALL_TABLES, **{name: t.schema for name, t in _TRANSCRIPT_TABLES.items()}}


# -- text -----------------------------------------------------------------------------------------
def search_text_array(texts: pa.Array) -> pa.Array:
    """:func:`search_text` over a whole column at once (Arrow compute, vectorised)."""
    import pyarrow.compute as pc

    folded = pc.utf8_lower(pc.replace_substring_regex(pc.utf8_normalize(texts, "NFKD"), r"\p{Mn}+", ""))
    spaced = pc.utf8_trim(pc.replace_substring_regex(folded, r"[\p{P}\p{S}\p{Z}\p{C}]+", " "), " ")
    padded = pc.binary_join_element_wise(" ", spaced, " ", "")
    return pc.if_else(pc.equal(spaced, ""), "", padded)


def search_text(text: str) -> str:
    """The form search matches on: NFKD, accents (non-spacing marks) dropped, lowercased, every run of
    characters that are not letters or digits one space, padded with a space at both ends so that a
    whole word ``w`` is exactly the substring ``" w "``. ``"Informações, já!"`` → ``" informacoes ja "``.
    Segments' ``text_search`` column holds this form of ``text`` (computed per column at index time)."""
    return search_text_array(pa.array([text], pa.string()))[0].as_py()


def segment_token_table(segments: pa.Table) -> pa.Table:
    """``segments`` (with ``text_search`` filled) → ``segment_tokens``: one row per word occurrence,
    ``(token, recording_id, segment_index, position, prev_token, next_token, speaker)``, position counted from 0 within the segment, sorted
    by token then recording and segment. A token is one space-separated word of ``text_search``, so a
    whole word ``w`` is in a segment exactly when the row ``(search_text(w).strip(), segment)`` exists, and
    a phrase is in it exactly when each pair of neighbouring words sits at consecutive positions — found
    from either word's rows through ``next_token`` / ``prev_token`` (the word before / after, null at the
    segment's ends), so a phrase reads the rows of its rarer words only. Sorted by token, each Parquet
    row group covers a narrow range of tokens and its min/max statistics let a lookup skip the others.
    Keeps ``company_id`` and ``_vid`` so the views' tenant filter and tombstones apply as to ``segments``."""
    import numpy as np
    import pyarrow.compute as pc

    words = pc.split_pattern(pc.utf8_trim(segments.column("text_search"), " "), " ")
    flat = pc.list_flatten(words)
    parent = pc.list_parent_indices(words)
    lengths = pc.fill_null(pc.list_value_length(words), 0).to_numpy(zero_copy_only=False)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    position = np.arange(len(flat), dtype=np.int64) - starts
    if isinstance(flat, pa.ChunkedArray):
        flat = flat.combine_chunks()
    none = pa.nulls(1, pa.string())
    last = position == np.repeat(lengths, lengths) - 1
    following = pa.concat_arrays([flat.slice(1), none])[: len(flat)]
    preceding = pa.concat_arrays([none, flat])[: len(flat)]
    next_token = pc.if_else(pa.array(last, pa.bool_()), pa.scalar(None, pa.string()), following)
    prev_token = pc.if_else(pa.array(position == 0, pa.bool_()), pa.scalar(None, pa.string()), preceding)
    table = pa.table(
        {
            "company_id": pc.take(segments.column("company_id"), parent),
            "_vid": pc.take(segments.column("_vid"), parent),
            "token": flat,
            "recording_id": pc.take(segments.column("recording_id"), parent),
            "segment_index": pc.take(segments.column("segment_index"), parent),
            "position": pa.array(position.astype(np.int32), pa.int32()),
            "prev_token": prev_token,
            "next_token": next_token,
            "speaker": pc.take(segments.column("speaker"), parent),
        },
        schema=SEGMENT_TOKENS,
    )
    table = table.filter(pc.not_equal(table.column("token"), ""))
    return table.sort_by(
        [("token", "ascending"), ("recording_id", "ascending"), ("segment_index", "ascending")]
    )


# -- row builders -----------------------------------------------------------------------------------
def _ts(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def call_rows(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A call's detail JSON (``CallMetadata.to_dict()``) → rows of calls, participants, recordings.

    Raises ``KeyError``/``ValueError``/``TypeError`` for a JSON that is not a call."""
    call_id = str(data["id"])
    people = data.get("participants") or []
    agents = [p.get("name") or p.get("extension") or "" for p in people if p.get("role") == "agent"]
    recordings = data.get("recordings") or []
    call = {
        "call_id": call_id,
        "provider": data["provider"],
        "external_id": data.get("external_id"),
        "direction": data["direction"],
        "start_utc": _ts(data["started_at"]),
        "end_utc": _ts(data.get("ended_at")),
        "duration_seconds": float(data.get("duration_seconds") or 0),
        "answered": bool(data.get("answered")),
        "from_number": data.get("caller_number"),
        "to_number": data.get("callee_number"),
        "agents": ", ".join(agents),
        "agent_count": len(agents),
        "participant_count": len(people),
        "recording_count": len(recordings),
    }
    participants = [
        {
            "call_id": call_id,
            "position": i,
            "name": p.get("name"),
            "number": p.get("number"),
            "role": p.get("role"),
            "kind": p.get("kind"),
            "extension": p.get("extension"),
            "external_id": p.get("external_id"),
        }
        for i, p in enumerate(people)
    ]
    recs = [
        {
            "recording_id": str(r["id"]),
            "call_id": call_id,
            "start_utc": _ts(r.get("started_at")),
            "channels": r.get("channels"),
            "participant": r.get("participant"),
            "channel_roles": json.dumps(r.get("channel_roles") or {}, ensure_ascii=False, sort_keys=True),
        }
        for r in recordings
    ]
    return {"calls": [call], "participants": participants, "recordings": recs}


def _speaker(seg: dict[str, Any]) -> str:
    if seg.get("speaker"):
        return str(seg["speaker"])
    return f"channel {seg['channel']}" if seg.get("channel") is not None else "speaker"


def _transcript(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    segments = data.get("segments") or []
    call = data.get("call") or {}
    return [
        {
            "recording_id": ctx.recording_id,
            "call_id": ctx.call_id,
            "call_start_utc": _ts(call.get("started_at")),
            "language": data.get("language"),
            "language_probability": data.get("language_probability"),
            "model": data.get("model"),
            "audio_seconds": data.get("duration"),
            "processing_seconds": data.get("processing_seconds"),
            "channels": data.get("channels"),
            "segment_count": len(segments),
            "word_count": sum(len(s.get("words") or []) for s in segments),
            "transcribed_at_utc": _ts(data.get("transcribed_at")),
            "audio_path": data.get("audio_path"),
            "text": (data.get("text") or "").strip(),
        }
    ]


def _segments(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    rows = []
    for i, seg in enumerate(data.get("segments") or []):
        text = (seg.get("text") or "").strip()
        rows.append(
            {
                "recording_id": ctx.recording_id,
                "call_id": ctx.call_id,
                "segment_index": i,
                "start_seconds": seg.get("start"),
                "end_seconds": seg.get("end"),
                "channel": seg.get("channel"),
                "speaker": _speaker(seg),
                "text": text,
                "text_search": None,  # filled for the whole column at once (search_text_array)
                "avg_logprob": seg.get("avg_logprob"),
                "no_speech_prob": seg.get("no_speech_prob"),
            }
        )
    for before, row, after in zip(
        [None, *rows][: len(rows)], rows, [*rows[1:], None][: len(rows)], strict=True
    ):
        row["text_before"] = before["text"] if before else None
        row["text_after"] = after["text"] if after else None
    return rows


def _words(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    rows = []
    for i, seg in enumerate(data.get("segments") or []):
        speaker = _speaker(seg)
        for j, word in enumerate(seg.get("words") or []):
            rows.append(
                {
                    "recording_id": ctx.recording_id,
                    "call_id": ctx.call_id,
                    "segment_index": i,
                    "word_index": j,
                    "start_seconds": word.get("start"),
                    "end_seconds": word.get("end"),
                    "word": (word.get("word") or "").strip(),
                    "probability": word.get("probability"),
                    "speaker": speaker,
                }
            )
    return rows


def _strip(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f for f in schema if f.name not in ("company_id", "_vid")])


register_transcript_table("transcripts", _strip(TRANSCRIPTS), _transcript)
register_transcript_table("segments", _strip(SEGMENTS), _segments)
register_transcript_table("words", _strip(WORDS), _words)
# filled per column from ``segments`` when a part is written (segment_token_table), not row by row
register_transcript_table("segment_tokens", _strip(SEGMENT_TOKENS), lambda data, ctx: [])

#: Tables derived from another table of the same part when it is written: {table: (source, derive)}.
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
