"""The dataset's row builders: one source JSON file → plain row dicts, no I/O.

* :func:`call_rows`: a call's detail JSON (``CallMetadata.to_dict()``) → ``calls``, ``participants``,
  ``recordings``;
* :func:`transcript_row`, :func:`segment_rows`, :func:`word_rows`: a transcription JSON
  (``TranscriptionResult`` as :mod:`perftel.storage` writes it) → ``transcripts``, ``segments``,
  ``words``; :mod:`perftel.dataset.schema` registers them as per-transcript tables.

The column names and types are :mod:`perftel.dataset.schema`'s; ``company_id`` and ``_vid`` are added by
the indexer. Times become timezone-aware UTC ``datetime`` (a naive time in a JSON is taken as UTC);
seconds stay seconds (segment and word times are seconds from the recording's start).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perftel.dataset.schema import TranscriptContext


def utc_time(value: Any) -> datetime | None:
    """An ISO 8601 string (``Z`` allowed) or ``datetime`` → an aware UTC ``datetime``; ``None`` or ``""``
    → ``None``. A naive value is taken as UTC. Raises ``ValueError`` for a string that is not ISO 8601."""
    if value in (None, ""):
        return None
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def call_rows(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A call's detail JSON (``CallMetadata.to_dict()``) → ``{"calls": [one row], "participants": [...],
    "recordings": [...]}``.

    ``calls`` row: call_id, provider, external_id, direction, start_utc, end_utc (UTC), duration_seconds,
    answered, from_number, to_number, agents (the agents' names, else extensions, ", "-joined),
    agent_count, participant_count, recording_count. ``participants``: call_id, position (0-based),
    name, number, role, kind, extension, external_id. ``recordings``: recording_id, call_id, start_utc,
    channels, participant, channel_roles (JSON text). Raises ``KeyError``/``ValueError``/``TypeError``
    for a JSON that is not a call."""
    call_id = str(data["id"])
    people = data.get("participants") or []
    agents = [p.get("name") or p.get("extension") or "" for p in people if p.get("role") == "agent"]
    recordings = data.get("recordings") or []
    call = {
        "call_id": call_id,
        "provider": data["provider"],
        "external_id": data.get("external_id"),
        "direction": data["direction"],
        "start_utc": utc_time(data["started_at"]),
        "end_utc": utc_time(data.get("ended_at")),
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
            "start_utc": utc_time(r.get("started_at")),
            "channels": r.get("channels"),
            "participant": r.get("participant"),
            "channel_roles": json.dumps(r.get("channel_roles") or {}, ensure_ascii=False, sort_keys=True),
        }
        for r in recordings
    ]
    return {"calls": [call], "participants": participants, "recordings": recs}


def speaker_label(segment: dict[str, Any]) -> str:
    """A segment's speaker: its ``speaker``, else ``"channel <n>"``, else ``"speaker"``."""
    if segment.get("speaker"):
        return str(segment["speaker"])
    return f"channel {segment['channel']}" if segment.get("channel") is not None else "speaker"


def transcript_row(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    """A transcription JSON → one ``transcripts`` row: recording_id, call_id, call_start_utc (UTC),
    language, language_probability (0–1), model, audio_seconds (the JSON's ``duration``),
    processing_seconds, channels, segment_count, word_count, transcribed_at_utc, audio_path, text."""
    segments = data.get("segments") or []
    call = data.get("call") or {}
    return [
        {
            "recording_id": ctx.recording_id,
            "call_id": ctx.call_id,
            "call_start_utc": utc_time(call.get("started_at")),
            "language": data.get("language"),
            "language_probability": data.get("language_probability"),
            "model": data.get("model"),
            "audio_seconds": data.get("duration"),
            "processing_seconds": data.get("processing_seconds"),
            "channels": data.get("channels"),
            "segment_count": len(segments),
            "word_count": sum(len(s.get("words") or []) for s in segments),
            "transcribed_at_utc": utc_time(data.get("transcribed_at")),
            "audio_path": data.get("audio_path"),
            "text": (data.get("text") or "").strip(),
        }
    ]


def segment_rows(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    """A transcription JSON → one ``segments`` row per segment, in order: recording_id, call_id,
    segment_index (0-based), start_seconds, end_seconds (seconds from the recording's start), channel,
    speaker (:func:`speaker_label`), text (stripped), text_search (``None`` here: the indexer fills the
    whole column at once, :func:`perftel.dataset.tokens.search_text_array`), text_before, text_after
    (the neighbouring segments' text, ``None`` at the ends), avg_logprob, no_speech_prob."""
    rows = []
    for i, seg in enumerate(data.get("segments") or []):
        rows.append(
            {
                "recording_id": ctx.recording_id,
                "call_id": ctx.call_id,
                "segment_index": i,
                "start_seconds": seg.get("start"),
                "end_seconds": seg.get("end"),
                "channel": seg.get("channel"),
                "speaker": speaker_label(seg),
                "text": (seg.get("text") or "").strip(),
                "text_search": None,
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


def word_rows(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    """A transcription JSON → one ``words`` row per timed word (only where the JSON has word
    timestamps): recording_id, call_id, segment_index, word_index (0-based within the segment),
    start_seconds, end_seconds (from the recording's start), word (stripped), probability (0–1),
    speaker."""
    rows = []
    for i, seg in enumerate(data.get("segments") or []):
        speaker = speaker_label(seg)
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
