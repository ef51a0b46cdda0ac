"""The conversation tables of the dataset: ``call_metrics``, ``pii_counts`` and ``tracker_hits``.

``call_metrics`` and ``pii_counts`` are per-transcript tables (registered with
:func:`perftel.dataset.schema.register_transcript_table`), built from each transcription JSON:

* ``call_metrics``: one row per transcript — ``recording_id``, ``call_id``, the
  :class:`~perftel.analytics.metrics.CallMetrics` columns, and ``snapped`` (True when the numbers were
  measured on segment edges snapped to the audio's speech, :func:`perftel.analytics.timing.snap_to_speech`).
  The JSON's ``"metrics"`` object is used when present: :func:`metrics_for_disk` computes it when the
  transcript is written (:func:`perftel.storage.write_transcription`), where the audio is at hand.
  Otherwise the metrics are computed from the JSON's segments and ``duration`` (``snapped`` False).
* ``pii_counts``: ``recording_id``, ``call_id``, ``kind``, ``count`` from the JSON's ``pii_counts``
  (how many values of each kind were redacted — never the values).

``tracker_hits`` is not stored: trackers are per company (``<data_dir>/<company>/trackers.toml``) and can
change after transcripts are indexed, so :func:`attach_tracker_hits` computes the hits from the dataset's
segments and words with the *current* trackers file each time it is called, and makes them a
``tracker_hits`` table of the dataset's connection (columns :data:`perftel.analytics.trackers.HIT_COLUMNS`
plus ``recording_id``).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from perftel.analytics.metrics import CallMetrics, call_metrics
from perftel.dataset.schema import TranscriptContext, register_transcript_table

if TYPE_CHECKING:
    import pandas as pd

    from perftel.analytics.trackers import TrackerSet
    from perftel.dataset.reader import Dataset
    from perftel.models import TranscriptionResult

log = logging.getLogger(__name__)


def _arrow_type(annotation: Any) -> pa.DataType:
    text = str(annotation)
    for name, kind in (
        ("bool", pa.bool_()),
        ("int", pa.int64()),
        ("float", pa.float64()),
        ("str", pa.string()),
    ):
        if text.startswith(name):
            return kind
    raise TypeError(f"no Arrow type for {annotation!r}")


#: Columns of ``call_metrics`` (besides company_id/_vid): ids, the CallMetrics fields, ``snapped``.
CALL_METRICS = pa.schema(
    [pa.field("recording_id", pa.string()), pa.field("call_id", pa.string())]
    + [pa.field(f.name, _arrow_type(f.type)) for f in fields(CallMetrics) if f.name != "call_id"]
    + [pa.field("snapped", pa.bool_())]
)
PII_COUNTS = pa.schema(
    [
        pa.field("recording_id", pa.string()),
        pa.field("call_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("count", pa.int64()),
    ]
)


def metrics_for_disk(result: TranscriptionResult, *, snap: bool = True) -> dict[str, Any]:
    """The ``"metrics"`` object stored in a transcription JSON: :class:`CallMetrics` as a dict (seconds)
    plus ``snapped``. With ``snap`` and the audio file on disk, segment edges are first snapped to the
    audio's speech (one decode of the file); an undecodable file falls back to the transcript's times."""
    from pathlib import Path

    from perftel.errors import TranscriptionError

    segments: list[Any] = list(result.segments)
    snapped = False
    path = result.audio_path
    if snap and segments and path and Path(path).is_file():
        from perftel.analytics.timing import snap_to_speech

        with contextlib.suppress(TranscriptionError, OSError, ValueError):
            segments = snap_to_speech(segments, path)
            snapped = True
    row = call_metrics(segments, result.duration, channels=result.channels).as_row()
    row.pop("call_id")
    row["snapped"] = snapped
    return row


def _call_metrics_rows(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    stored = data.get("metrics")
    if isinstance(stored, dict) and "talk_seconds" in stored:
        row = dict(stored)
    else:
        row = call_metrics(
            data.get("segments") or [], data.get("duration") or 0.0, channels=data.get("channels")
        )
        row = row.as_row()
        row["snapped"] = False
    row["recording_id"], row["call_id"] = ctx.recording_id, ctx.call_id
    return [row]


def _pii_rows(data: dict[str, Any], ctx: TranscriptContext) -> list[dict[str, Any]]:
    counts = data.get("pii_counts") or {}
    return [
        {"recording_id": ctx.recording_id, "call_id": ctx.call_id, "kind": str(kind), "count": int(n)}
        for kind, n in sorted(counts.items())
        if isinstance(n, (int, float))
    ]


register_transcript_table("call_metrics", CALL_METRICS, _call_metrics_rows)
register_transcript_table("pii_counts", PII_COUNTS, _pii_rows)


# -- tracker hits, from the current trackers file ---------------------------------------------------
TRACKER_HITS_SQL = """
SELECT s.recording_id, coalesce(s.call_id, s.recording_id) AS call_id, s.segment_index,
       s.start_seconds AS start, s.end_seconds AS "end", s.channel, s.speaker, s.text,
       t.audio_seconds, t.channels,
       w.words
FROM segments s
JOIN transcripts t USING (recording_id)
LEFT JOIN (
    SELECT recording_id, segment_index,
           list({'word': word, 'start': start_seconds} ORDER BY word_index) AS words
    FROM words GROUP BY recording_id, segment_index
) w USING (recording_id, segment_index)
ORDER BY s.recording_id, s.start_seconds, s.segment_index
"""


def tracker_hits_frame(ds: Dataset, trackers: TrackerSet | None = None) -> pd.DataFrame:
    """``tracker_hits`` of every transcript in ``ds`` with ``trackers`` (default: the company's current
    ``trackers.toml``; none → an empty frame). Columns: ``recording_id`` + HIT_COLUMNS; ``start_seconds``
    from the words' times. Raises ConfigError for a bad trackers file."""
    import pandas as pd

    from perftel.analytics.trackers import HIT_COLUMNS, CompanyTrackers

    columns = ["recording_id", *HIT_COLUMNS]
    if trackers is None:
        trackers = CompanyTrackers(ds.company_id, ds.storage.data_dir).reload()
    if not len(trackers):
        return pd.DataFrame(columns=columns)
    rows: list[dict[str, Any]] = []
    ds.refresh()
    cursor = ds._con.execute(TRACKER_HITS_SQL)
    names = [d[0] for d in cursor.description]
    table = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    start = 0
    while start < len(table):
        end = start
        recording = table[start]["recording_id"]
        while end < len(table) and table[end]["recording_id"] == recording:
            end += 1
        group = table[start:end]
        first = group[0]
        for hit in trackers.find(
            group,
            call_id=first["call_id"],
            duration_seconds=first["audio_seconds"],
            channels=first["channels"],
        ):
            rows.append({"recording_id": recording, **hit.as_row()})
        start = end
    return pd.DataFrame(rows, columns=columns)


def attach_tracker_hits(ds: Dataset, trackers: TrackerSet | None = None) -> pd.DataFrame:
    """Compute :func:`tracker_hits_frame` now and make it the ``tracker_hits`` table of ``ds.sql``.

    Returns that frame (``recording_id`` + :data:`~perftel.analytics.trackers.HIT_COLUMNS`). Raises
    ConfigError for a bad trackers file.
    """
    frame = tracker_hits_frame(ds, trackers)
    ds._con.register("tracker_hits", frame)
    return frame
