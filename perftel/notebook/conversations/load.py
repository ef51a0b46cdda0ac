"""The four conversation tables (:class:`ConversationTables`) of a company, loaded from its dataset or
from the transcripts on disk, with the segment times snapped to the speech in the recordings.

Columns (times in seconds from the start of the recording unless said otherwise):

``calls``
    one row per call: ``call_id``, ``recording_id``, ``started_at`` (UTC, tz-aware), ``agent`` (name or
    extension; "(unknown)" when the provider does not say), ``direction``, ``duration_seconds`` (of the
    recording), ``channels`` (1 mono, 2 agent/customer), ``audio_path`` (the recording on disk or None).
``segments``
    one row per transcript segment: ``call_id``, ``start``, ``end`` (seconds), ``channel`` (None/NaN for
    mono), ``speaker`` ("agent", "customer", "channel N" or None), ``text``, ``words`` (a count).
``call_metrics``
    :data:`perftel.analytics.COLUMNS` (see :mod:`perftel.analytics.metrics` for every formula).
``tracker_hits``
    :data:`perftel.analytics.HIT_COLUMNS`: ``call_id``, ``tracker``, ``phrase``, ``speaker``, ``channel``,
    ``start_seconds``, ``matched_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from perftel import dates
from perftel.analytics import COLUMNS, HIT_COLUMNS, call_metrics_frame

CALL_COLUMNS = [
    "call_id",
    "recording_id",
    "started_at",
    "agent",
    "direction",
    "duration_seconds",
    "channels",
    "audio_path",
]
SEGMENT_COLUMNS = ["call_id", "start", "end", "channel", "speaker", "text", "words"]


@dataclass
class ConversationTables:
    """The four tables of the module docstring (``calls``, ``segments``, ``call_metrics``,
    ``tracker_hits``), the ``trackers_source`` they were found with (a path or "perftel's example
    trackers") and the ``trackers``' names in file order."""

    calls: pd.DataFrame
    segments: pd.DataFrame
    call_metrics: pd.DataFrame
    tracker_hits: pd.DataFrame
    trackers_source: str = ""
    trackers: list[str] = field(default_factory=list)

    def subset(self, call_ids: Any) -> ConversationTables:
        """Only the calls whose ``call_id`` is in ``call_ids`` (any iterable), and their rows in the others."""
        ids = set(call_ids)
        return ConversationTables(
            self.calls[self.calls["call_id"].isin(ids)].reset_index(drop=True),
            self.segments[self.segments["call_id"].isin(ids)].reset_index(drop=True),
            self.call_metrics[self.call_metrics["call_id"].isin(ids)].reset_index(drop=True),
            self.tracker_hits[self.tracker_hits["call_id"].isin(ids)].reset_index(drop=True),
            self.trackers_source,
            list(self.trackers),
        )

    def between(self, start: Any = None, end: Any = None, *, tz: Any = None) -> ConversationTables:
        """Only the calls whose local day (``tz``: IANA name or ZoneInfo; None = PERFTEL_TIMEZONE or UTC)
        is in ``[start, end]`` (both included; None: open), and their rows in the others. Raises
        ConfigError for a date or zone that cannot be read."""
        keep = dates.in_range(self.calls["started_at"], start, end, tz=tz).to_numpy()
        return self.subset(self.calls.loc[keep, "call_id"])


def local_calls(calls: pd.DataFrame, timezone: Any = None) -> pd.DataFrame:
    """A copy of ``calls`` with ``started_local`` (the same instant on ``timezone``'s clock; IANA name or
    ZoneInfo, None = PERFTEL_TIMEZONE or UTC) and ``day`` (its local date)."""
    out = calls.copy()
    out["started_local"] = dates.to_local(out["started_at"], timezone)
    out["day"] = out["started_local"].dt.date
    return out


def with_agent(call_metrics: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """``call_metrics`` with each call's ``agent`` and ``started_at`` taken from ``calls`` (left join on
    ``call_id``; the metrics' own columns of those names are replaced)."""
    keep = [c for c in ("call_id", "agent", "started_at") if c in calls]
    return call_metrics.drop(columns=[c for c in ("agent", "started_at") if c in call_metrics]).merge(
        calls[keep], on="call_id", how="left"
    )


def load_conversations(
    company: str,
    data_dir: str | Path | None = None,
    *,
    trackers: Any | None = None,
    snap: bool = True,
    use_dataset: bool = True,
) -> ConversationTables:
    """The company's transcribed calls as :class:`ConversationTables`, metrics and hits computed now.

    ``trackers``: a :class:`perftel.analytics.TrackerSet`; default the company's ``trackers.toml``, or the
    shipped example when it has none (``trackers_source`` says which). ``snap``: move segment edges to the
    speech energy of the recording when it is on disk (:func:`perftel.analytics.timing.snap_to_speech`),
    so talk, silence and overlaps are exact; the timeline then shows the same, snapped, times.
    One recording per call (the first transcribed one). Raises ConfigError for a bad trackers file.

    ``use_dataset`` (default): when the company has a dataset (:func:`perftel.open_dataset`), bring it up
    to date and read its ``call_metrics`` (snapped when the transcript was written, see
    :mod:`perftel.analytics.tables`), ``segments`` and the current trackers' hits from it; with ``snap`` the
    segments are snapped the same way, so the timeline shows what the metrics measured. Without a dataset:
    computed from the files.
    """
    from perftel.analytics import CompanyTrackers, parse_trackers
    from perftel.analytics.trackers import example_text
    from perftel.storage import CompanyStorage

    storage = CompanyStorage(company, data_dir)
    if trackers is None:
        own = CompanyTrackers(company, data_dir)
        trackers = own.reload()
        if not len(trackers):
            trackers = parse_trackers(example_text(), source="perftel's example trackers")
    if use_dataset:
        tables = _from_dataset(storage, trackers)
        if tables is not None:
            if snap:
                tables.segments = _snapped(tables.segments, tables.calls)
            return tables
    by_recording = {rec.id: call for call in storage.load_calls() for rec in call.recordings}
    call_rows: list[dict[str, Any]] = []
    segment_rows: list[dict[str, Any]] = []
    hit_rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for result in storage.load_transcriptions():
        call = by_recording.get(result.recording_id)
        call_id = call.id if call else result.recording_id
        if call_id in seen:
            continue
        seen.add(call_id)
        agents = [p.name or p.extension or "" for p in call.participants if p.role == "agent"] if call else []
        path = result.audio_path if result.audio_path and Path(result.audio_path).is_file() else None
        segments: list[Any] = list(result.segments)
        snapped = _snap(segments, path) if snap and path and segments else None
        if snapped is not None:
            segments = snapped
        call_rows.append(
            {
                "call_id": call_id,
                "recording_id": result.recording_id,
                "started_at": call.started_at if call else None,
                "agent": ", ".join(a for a in agents if a) or "(unknown)",
                "direction": call.direction.value if call else None,
                "duration_seconds": float(result.duration or 0.0),
                "channels": int(result.channels or 1),
                "audio_path": path,
            }
        )
        found = trackers.find(  # on the segments themselves: their word times place each hit exactly
            segments, call_id=call_id, duration_seconds=result.duration, channels=int(result.channels or 1)
        )
        hit_rows.extend(hit.as_row() for hit in found)
        segment_rows.extend(_segment_row(call_id, seg) for seg in segments)
    calls = pd.DataFrame(call_rows, columns=CALL_COLUMNS)
    calls["started_at"] = pd.to_datetime(calls["started_at"], utc=True)
    calls = calls.sort_values("started_at", kind="stable").reset_index(drop=True)
    segments_frame = pd.DataFrame(segment_rows, columns=SEGMENT_COLUMNS)
    metrics = call_metrics_frame(segments_frame, calls)
    hits = pd.DataFrame(hit_rows, columns=list(HIT_COLUMNS))
    return ConversationTables(
        calls, segments_frame, metrics, hits, str(trackers.source or ""), list(trackers.names)
    )


def _segment_row(call_id: str, seg: Any) -> dict[str, Any]:
    """One row of the ``segments`` table from a segment (a dict or a TranscriptionSegment)."""
    get = seg.get if isinstance(seg, dict) else lambda k: getattr(seg, k, None)
    words = get("words")
    return {
        "call_id": call_id,
        "start": float(get("start")),
        "end": float(get("end")),
        "channel": get("channel"),
        "speaker": get("speaker"),
        "text": (get("text") or "").strip(),
        "words": len(words) if words else len((get("text") or "").split()),
    }


def _snap(segments: list[Any], path: str | Path) -> list[Any] | None:
    """``segments`` with their edges on the speech energy of the recording at ``path``
    (:func:`perftel.analytics.timing.snap_to_speech`); None when it cannot be decoded (the caller keeps
    the transcript's times)."""
    from perftel.analytics.timing import snap_to_speech
    from perftel.errors import TranscriptionError

    try:
        return snap_to_speech(segments, path)
    except TranscriptionError:
        return None


def _snapped(segments: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """``segments`` with each call's edges snapped to the speech of its recording, where it is on disk
    (:func:`_snap`, as the stored metrics were); else as they are."""
    paths = dict(zip(calls["call_id"], calls["audio_path"], strict=True))
    parts = []
    for call_id, group in segments.groupby("call_id", sort=False):
        path = paths.get(call_id)
        snapped = _snap(group.to_dict("records"), path) if path else None
        if snapped is not None:
            group = pd.DataFrame(snapped, index=group.index)[list(group.columns)]
        parts.append(group)
    return pd.concat(parts) if parts else segments


_DATASET_CALLS = """
SELECT coalesce(m.call_id, m.recording_id) AS call_id, m.recording_id, c.start_utc AS started_at,
       coalesce(nullif(c.agents, ''), '(unknown)') AS agent, c.direction,
       coalesce(t.audio_seconds, 0.0) AS duration_seconds, coalesce(t.channels, 1) AS channels, t.audio_path
FROM call_metrics m JOIN transcripts t USING (recording_id) LEFT JOIN calls c ON c.call_id = m.call_id
QUALIFY row_number() OVER (PARTITION BY coalesce(m.call_id, m.recording_id)
                           ORDER BY t.transcribed_at_utc NULLS LAST, m.recording_id) = 1
ORDER BY started_at NULLS LAST, call_id
"""
_DATASET_SEGMENTS = """
SELECT coalesce(s.call_id, s.recording_id) AS call_id, s.start_seconds AS start, s.end_seconds AS "end",
       s.channel, CASE WHEN s.channel IS NULL AND s.speaker = 'speaker' THEN NULL ELSE s.speaker END AS speaker,
       s.text, coalesce(w.n, CASE WHEN trim(s.text) = '' THEN 0
                                  ELSE len(regexp_split_to_array(trim(s.text), '\\s+')) END) AS words
FROM segments s
LEFT JOIN (SELECT recording_id, segment_index, count(*) AS n FROM words GROUP BY ALL) w
       USING (recording_id, segment_index)
WHERE s.recording_id IN (SELECT unnest(?::VARCHAR[]))
ORDER BY s.recording_id, s.start_seconds, s.segment_index
"""


def _from_dataset(storage: Any, trackers: Any) -> ConversationTables | None:
    """:func:`load_conversations` from the company's dataset; None when it has none (or it is unreadable)."""
    from perftel.analytics.tables import tracker_hits_frame
    from perftel.dataset import index, open_dataset
    from perftel.errors import StorageError

    try:
        if index.read_manifest(index.dataset_dir(storage)) is None:
            return None
        ds = open_dataset(storage.company_id, storage.data_dir, update=True)
    except StorageError:
        return None
    with ds:
        ds.refresh()
        calls = ds._con.execute(_DATASET_CALLS).df()
        recordings = calls["recording_id"].tolist()
        columns = ", ".join(f'm."{c}"' for c in COLUMNS if c != "call_id")
        metrics = ds._con.execute(
            f"SELECT coalesce(m.call_id, m.recording_id) AS call_id, {columns} FROM call_metrics m "
            "WHERE m.recording_id IN (SELECT unnest(?::VARCHAR[]))",
            [recordings],
        ).df()
        segments = ds._con.execute(_DATASET_SEGMENTS, [recordings]).df()
        hits = tracker_hits_frame(ds, trackers)
    calls["started_at"] = pd.to_datetime(calls["started_at"], utc=True)
    calls["audio_path"] = [p if p and Path(p).is_file() else None for p in calls["audio_path"]]
    calls = calls[CALL_COLUMNS].reset_index(drop=True)
    order = {call_id: i for i, call_id in enumerate(calls["call_id"])}
    metrics = metrics.sort_values("call_id", key=lambda c: c.map(order)).reset_index(drop=True)[list(COLUMNS)]
    hits = hits[hits["recording_id"].isin(set(recordings))][list(HIT_COLUMNS)].reset_index(drop=True)
    return ConversationTables(
        calls, segments[SEGMENT_COLUMNS], metrics, hits, str(trackers.source or ""), list(trackers.names)
    )
