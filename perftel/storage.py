"""Data on disk, per company so tenants never mix::

    <data_dir>/<company_id>/calls/metadata/        calls_<prefix>_<timestamp>.json, detail_<call-id>.json
    <data_dir>/<company_id>/calls/recordings/      <prefix>_<recording-id>.<ext>
    <data_dir>/<company_id>/calls/transcriptions/  <prefix>_<recording-id>.json and .txt

Every write is atomic (temp file + rename). A transcription counts as done when its JSON exists;
the TXT is written first, so a JSON never stands without its TXT. pandas is used only here.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from perftel import config
from perftel.company import validate_company_id
from perftel.dates import parse_time
from perftel.errors import StorageError
from perftel.files import inside, remove_stale_partials, safe_name, write_json_atomic, write_text_atomic
from perftel.models import CallMetadata, TranscriptionResult, utcnow

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("perftel.storage")


class CompanyStorage:
    """The folders and files of one company (layout in the module docstring).

    ``data_dir`` defaults to :func:`perftel.config.data_dir`. Raises ConfigError for an invalid company id
    and StorageError when the company folder would fall outside ``data_dir``. Nothing is created until
    :meth:`ensure` or :meth:`exclusive`.
    """

    def __init__(self, company_id: str, data_dir: str | Path | None = None) -> None:
        self.company_id = validate_company_id(company_id)
        self.data_dir = config.data_dir(data_dir)
        self.root = inside(self.data_dir, company_id)
        self.metadata_dir = self.root / "calls" / "metadata"
        self.recordings_dir = self.root / "calls" / "recordings"
        self.transcriptions_dir = self.root / "calls" / "transcriptions"

    def __repr__(self) -> str:
        return f"CompanyStorage({self.company_id!r}, {str(self.data_dir)!r})"

    def ensure(self) -> CompanyStorage:
        """Create the three folders (``metadata``, ``recordings``, ``transcriptions``); returns self.

        Raises StorageError when a folder cannot be created.
        """
        for folder in (self.metadata_dir, self.recordings_dir, self.transcriptions_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"Cannot create {folder}: {exc.strerror or exc}.") from exc
        return self

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[CompanyStorage]:
        """Be the only pipeline writing this company's data (another process waits for its turn).

        Inside, no other run is live, so temporary files left by a crashed or killed run are orphans
        and are removed.
        """
        self.ensure()
        lock = FileLock(str(self.root / ".perftel.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.warning(
                "Another perftel run is syncing company %s; waiting for it to finish.", self.company_id
            )
            lock.acquire()
        try:
            for folder in (self.metadata_dir, self.recordings_dir, self.transcriptions_dir):
                remove_stale_partials(folder, older_than=0)
            yield self
        finally:
            lock.release()

    # -- metadata -------------------------------------------------------------------------------
    def save_listing(
        self,
        calls: list[CallMetadata],
        *,
        prefix: str,
        provider: str,
        start: datetime,
        end: datetime,
        complete: bool,
    ) -> Path:
        """Save one fetch's calls as ``metadata/calls_<prefix>_<UTC timestamp>.json``; returns its path.

        The JSON's keys: ``company_id``, ``provider``, ``start``/``end`` (the range asked for, ISO-8601;
        UTC from the pipeline), ``fetched_at`` (UTC ISO-8601), ``complete`` (False when the listing stopped
        early), ``count`` and ``calls`` (:meth:`CallMetadata.to_dict` each). OSError when it cannot be
        written.
        """
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        path = inside(self.metadata_dir, f"calls_{safe_name(prefix)}_{stamp}.json")
        write_json_atomic(
            path,
            {
                "company_id": self.company_id,
                "provider": provider,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "fetched_at": utcnow().isoformat(),
                "complete": complete,
                "count": len(calls),
                "calls": [c.to_dict() for c in calls],
            },
        )
        return path

    def detail_path(self, call: CallMetadata) -> Path:
        """Where one call's detail lives: ``metadata/detail_<call id>.json`` (id made file-safe)."""
        return inside(self.metadata_dir, f"detail_{safe_name(call.id)}.json")

    def save_call(self, call: CallMetadata) -> Path:
        """Write the call's :meth:`CallMetadata.to_dict` to :meth:`detail_path` atomically; returns it."""
        return write_json_atomic(self.detail_path(call), call.to_dict())

    def load_calls(self) -> list[CallMetadata]:
        """Every call ever saved for this company (one per call id), oldest ``started_at`` first.

        Read from the ``detail_*.json`` files; raises ``json.JSONDecodeError``/``KeyError``/``ValueError``
        for a damaged one.
        """
        calls = [
            CallMetadata.from_dict(json.loads(p.read_text("utf-8")))
            for p in self.metadata_dir.glob("detail_*.json")
        ]
        return sorted(calls, key=lambda c: c.started_at)

    # -- transcriptions -------------------------------------------------------------------------
    def transcription_paths(self, prefix: str, recording_id: str) -> tuple[Path, Path]:
        """The (JSON, TXT) paths of one recording's transcription.

        ``transcriptions/<prefix>_<recording id>.json`` and ``.txt`` (both parts made file-safe).
        """
        stem = f"{safe_name(prefix)}_{safe_name(recording_id)}"
        return inside(self.transcriptions_dir, stem + ".json"), inside(self.transcriptions_dir, stem + ".txt")

    def has_transcription(self, prefix: str, recording_id: str) -> bool:
        """True when the recording's transcription JSON exists (written last, it marks the work done)."""
        return self.transcription_paths(prefix, recording_id)[0].is_file()

    def save_transcription(
        self, result: TranscriptionResult, *, prefix: str, call: CallMetadata | None = None
    ) -> tuple[Path, Path]:
        """Write one transcription (:func:`write_transcription`) at :meth:`transcription_paths`.

        Returns the (JSON, TXT) paths.
        """
        json_path, txt_path = self.transcription_paths(prefix, result.recording_id)
        return write_transcription(result, json_path, txt_path, call=call)

    def load_transcriptions(self) -> list[TranscriptionResult]:
        """Every transcription saved for this company, in file-name order (redacted as they were written).

        Raises ``json.JSONDecodeError``/``ValueError`` for a damaged file.
        """
        return [
            TranscriptionResult.from_dict(json.loads(p.read_text("utf-8")))
            for p in sorted(self.transcriptions_dir.glob("*.json"))
        ]

    # -- tables ---------------------------------------------------------------------------------
    def calls_frame(self) -> pd.DataFrame:
        """One row per call, oldest first: the columns analysts chart and filter by (:func:`calls_frame`)."""
        return calls_frame(self.load_calls())

    def transcripts_frame(self) -> pd.DataFrame:
        """One row per transcribed recording, joined to its call where known, in file-name order.

        Columns: ``recording_id``, ``call_id`` (None when the call was not known when it was written),
        ``language`` (Whisper's code), ``language_outside_list`` (bool), ``duration`` (audio seconds),
        ``model``, ``segments`` (how many), ``text`` (redacted) and ``transcribed_at``
        (``datetime64[ns, UTC]`` like :func:`calls_frame`'s times; NaT when the file has none or an
        unreadable one).
        """
        import pandas as pd

        rows = []
        for path in sorted(self.transcriptions_dir.glob("*.json")):
            data = json.loads(path.read_text("utf-8"))
            rows.append(
                {
                    "recording_id": data.get("recording_id"),
                    "call_id": (data.get("call") or {}).get("id"),
                    "language": data.get("language"),
                    "language_outside_list": bool(data.get("language_outside_list", False)),
                    "duration": data.get("duration"),
                    "model": data.get("model"),
                    "segments": len(data.get("segments") or []),
                    "text": data.get("text"),
                    "transcribed_at": data.get("transcribed_at"),
                }
            )
        columns = [
            "recording_id",
            "call_id",
            "language",
            "language_outside_list",
            "duration",
            "model",
            "segments",
            "text",
            "transcribed_at",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        frame["transcribed_at"] = utc_times(frame["transcribed_at"])
        return frame


def write_transcription(
    result: TranscriptionResult, json_path: Path, txt_path: Path, *, call: CallMetadata | None = None
) -> tuple[Path, Path]:
    """Write the TXT, then the JSON (the completion marker), both atomically.

    Personal data is redacted first, by the privacy policy of the company whose folder ``json_path`` is in
    (:mod:`perftel.privacy`; the default policy elsewhere), so an unredacted transcript never reaches the
    disk; the JSON gets ``pii_counts``. An invalid policy raises ConfigError before anything is written.
    """
    from perftel.privacy.store import prepare_for_disk

    result, privacy = prepare_for_disk(result, json_path)
    write_text_atomic(txt_path, transcript_text(result))
    data: dict[str, Any] = {**result.to_dict(), **privacy}
    data["metrics"] = _metrics(result)
    if call is not None:
        data["call"] = {
            "id": call.id,
            "external_id": call.external_id,
            "provider": call.provider,
            "started_at": call.started_at.isoformat(),
            "direction": call.direction.value,
        }
    write_json_atomic(json_path, data)
    return json_path, txt_path


def _metrics(result: TranscriptionResult) -> dict[str, Any] | None:
    """The call's conversation metrics on speech-snapped times (the audio is at hand now); the dataset's
    ``call_metrics`` table reads them (:mod:`perftel.analytics.tables`). None when they cannot be made."""
    from perftel.analytics.tables import metrics_for_disk

    try:
        return metrics_for_disk(result)
    except Exception as exc:  # metrics are derived data: never lose a transcript over them
        logging.getLogger(__name__).warning(
            "Call metrics not stored for a transcript: %s", type(exc).__name__
        )
        return None


def transcript_text(result: TranscriptionResult) -> str:
    """Plain text: one line per segment, with the speaker when there is more than one channel.

    Stereo or speaker-labelled: ``[MM:SS] speaker: text`` lines, MM:SS from the start of the recording
    (minutes may exceed 59); else the whole text on one line. "" when nothing was heard.
    """
    if not result.segments:
        return ""
    if result.channels > 1 or any(s.speaker for s in result.segments):
        return (
            "\n".join(
                f"[{_clock(s.start)}] {s.speaker or 'speaker'}: {s.text.strip()}" for s in result.segments
            )
            + "\n"
        )
    return result.text.strip() + "\n"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def calls_frame(calls: Iterable[CallMetadata]) -> pd.DataFrame:
    """One row per call, in the order given: a pandas DataFrame with these columns.

    ``id``, ``provider``, ``external_id``, ``direction`` (``"INBOUND"``/``"OUTBOUND"``), ``started_at`` and
    ``ended_at`` (``datetime64[ns, UTC]``; NaT when unknown), ``duration_seconds`` (float seconds),
    ``answered`` (bool), ``caller_number``, ``callee_number``, ``agents`` (the names, else extensions, of
    the agent participants, joined by ``", "``) and ``recordings`` (how many). Needs pandas.
    """
    import pandas as pd

    columns = [
        "id",
        "provider",
        "external_id",
        "direction",
        "started_at",
        "ended_at",
        "duration_seconds",
        "answered",
        "caller_number",
        "callee_number",
        "agents",
        "recordings",
    ]
    rows = [
        {
            "id": c.id,
            "provider": c.provider,
            "external_id": c.external_id,
            "direction": c.direction.value,
            "started_at": c.started_at,
            "ended_at": c.ended_at,
            "duration_seconds": c.duration_seconds,
            "answered": c.answered,
            "caller_number": c.caller_number,
            "callee_number": c.callee_number,
            "agents": ", ".join(p.name or p.extension or "" for p in c.participants if p.role == "agent"),
            "recordings": len(c.recordings),
        }
        for c in calls
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("started_at", "ended_at"):
        frame[col] = utc_times(frame[col])
    return frame


def utc_times(values: Iterable[Any]) -> pd.Series:
    """Times as one ``datetime64[ns, UTC]`` pandas Series, the type of every time column of perftel's frames.

    Each value may be an aware or naive datetime (naive = UTC, as perftel writes) or ISO-8601 text with
    any offset (:func:`perftel.dates.parse_time`); None, blank or unreadable text becomes NaT. Needs pandas.
    """
    import pandas as pd

    index = values.index if isinstance(values, pd.Series) else None
    moments = [
        value if isinstance(value, datetime) else (parse_time(value) if isinstance(value, str) else None)
        for value in values
    ]
    parsed = pd.to_datetime(pd.Series(moments, dtype=object, index=index), utc=True)
    return parsed.astype("datetime64[ns, UTC]")
