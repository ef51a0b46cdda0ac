"""A company's calls, transcripts and segments as three pandas tables, read from the JSON files on disk.

For scripts and small folders: every file and every segment is held in memory. The notebooks, the explorer
and the report read the company's dataset instead (:mod:`perftel.notebook.store`, :func:`perftel.open_dataset`).
Stored times stay UTC; the ``day`` and ``hour`` columns are local to the company's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from perftel.notebook.tables import zone_name
from perftel.storage import CompanyStorage

TRANSCRIPT_COLUMNS = [
    "recording_id",
    "call_id",
    "started_at",
    "direction",
    "answered",
    "duration_seconds",
    "agents",
    "language",
    "language_outside_list",
    "model",
    "audio_seconds",
    "segments",
    "text",
    "audio_path",
]
SEGMENT_COLUMNS = [
    "recording_id",
    "call_id",
    "start",
    "end",
    "talk_seconds",
    "channel",
    "speaker",
    "who",
    "text",
]


@dataclass
class CallTables:
    """A company's data as three tables; ``timezone`` is the company's IANA zone, in which the ``day`` and
    ``hour`` columns are counted; ``company`` its id.

    ``calls``: :meth:`perftel.storage.CompanyStorage.calls_frame` plus ``day``, ``hour`` and ``status``
    (:func:`add_time_columns`). ``transcripts``: one row per transcribed recording, the columns of
    :data:`TRANSCRIPT_COLUMNS` plus ``day`` (``started_at`` UTC, tz-aware; ``duration_seconds`` of the
    call, ``audio_seconds`` of the recording). ``segments``: one row per transcript segment, the columns
    of :data:`SEGMENT_COLUMNS` (``start``/``end``/``talk_seconds`` in seconds from the start of the
    recording; ``who`` the agent's name where the provider gives it, else the speaker or "channel N").
    """

    calls: pd.DataFrame
    transcripts: pd.DataFrame
    segments: pd.DataFrame
    timezone: str = "UTC"
    company: str = ""


def load_tables(
    company: str, data_dir: str | Path | None = None, *, timezone: str | ZoneInfo | None = None
) -> CallTables:
    """Read a company's saved calls and transcriptions from disk as :class:`CallTables`; days and hours in
    ``timezone`` (default: the company's setting, see :func:`perftel.company.company_settings`).

    Every JSON file, every segment, in memory (about a minute and 10 GB for a year of 500 calls a day):
    for more than a few thousand calls use :func:`perftel.open_dataset` and :mod:`perftel.notebook.store`.
    Raises ConfigError for an unknown time zone or a bad company id (from ``company_settings``)."""
    from perftel.company import company_settings

    tz = zone_name(company_settings(company, data_dir, timezone=timezone).timezone)
    storage = CompanyStorage(company, data_dir)
    calls = add_time_columns(storage.calls_frame(), tz)
    by_recording = {rec.id: call for call in storage.load_calls() for rec in call.recordings}
    rows, segments = [], []
    for result in storage.load_transcriptions():
        call = by_recording.get(result.recording_id)
        agents = (
            ", ".join(p.name or p.extension or "" for p in call.participants if p.role == "agent")
            if call
            else ""
        )
        rows.append(
            {
                "recording_id": result.recording_id,
                "call_id": call.id if call else None,
                "started_at": call.started_at if call else None,
                "direction": call.direction.value if call else None,
                "answered": call.answered if call else None,
                "duration_seconds": call.duration_seconds if call else None,
                "agents": agents,
                "language": result.language,
                "language_outside_list": result.language_outside_list,
                "model": result.model,
                "audio_seconds": result.duration,
                "segments": len(result.segments),
                "text": result.text.strip(),
                "audio_path": result.audio_path,
            }
        )
        for seg in result.segments:
            speaker = seg.speaker or (f"channel {seg.channel}" if seg.channel is not None else "speaker")
            segments.append(
                {
                    "recording_id": result.recording_id,
                    "call_id": call.id if call else None,
                    "start": seg.start,
                    "end": seg.end,
                    "talk_seconds": max(0.0, seg.end - seg.start),
                    "channel": seg.channel,
                    "speaker": speaker,
                    "who": agents if speaker == "agent" and agents else speaker,
                    "text": seg.text.strip(),
                }
            )
    transcripts = pd.DataFrame(rows, columns=TRANSCRIPT_COLUMNS)
    transcripts["started_at"] = pd.to_datetime(transcripts["started_at"], utc=True)
    transcripts = transcripts.sort_values("started_at", kind="stable").reset_index(drop=True)
    transcripts["day"] = _local(transcripts["started_at"], tz).dt.date
    return CallTables(calls, transcripts, pd.DataFrame(segments, columns=SEGMENT_COLUMNS), tz, company)


def _local(stamps: pd.Series, tz: str | ZoneInfo | None) -> pd.Series:
    """UTC instants (or naive ones, read as UTC) as tz-aware times on ``tz``'s clock."""
    return pd.to_datetime(stamps, utc=True).dt.tz_convert(zone_name(tz))


def add_time_columns(calls: pd.DataFrame, tz: str | ZoneInfo | None = "UTC") -> pd.DataFrame:
    """A copy of ``calls`` (``started_at`` UTC, ``answered`` bool) with ``day`` (a date) and ``hour``
    (0-23, nullable Int64), both local to ``tz`` (an IANA name or ZoneInfo; None = UTC), and ``status``
    ("answered"/"missed") beside each call."""
    calls = calls.copy()
    local = _local(calls["started_at"], tz)
    calls["day"] = local.dt.date
    calls["hour"] = local.dt.hour.astype("Int64")
    calls["status"] = calls["answered"].map({True: "answered", False: "missed"})
    return calls
