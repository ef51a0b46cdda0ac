"""The data perftel moves through the pipeline, as plain dataclasses with JSON round-trips.

Standard library only.
"""

from __future__ import annotations

import enum
import math
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from perftel.dates import parse_time

_ID_NAMESPACE = uuid.UUID("8f2d7c1e-5a4b-4c3d-9e8f-0a1b2c3d4e5f")


class Direction(str, enum.Enum):
    """Which way a call went, seen from the company: ``INBOUND`` (a customer called in) or ``OUTBOUND``.

    A ``str`` enum, so it compares equal to, and stores as, ``"INBOUND"`` / ``"OUTBOUND"``.
    """

    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"

    def __str__(self) -> str:
        return self.value


def call_id_for(provider: str, external_id: str) -> str:
    """perftel's stable id for a provider's call: the same call always gets the same id.

    A UUID 5 string (RFC 4122, name ``"<provider>:<external_id>"`` in perftel's own namespace), e.g.
    ``"3f0c…-…"``; 36 characters.
    """
    return str(uuid.uuid5(_ID_NAMESPACE, f"{provider}:{external_id}"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_dt(value: Any) -> datetime | None:
    """A stored ISO-8601 time → aware datetime (naive = UTC, as perftel writes); None for null or blank
    text; ValueError if unreadable."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str) and not value.strip():
        return None
    moment = parse_time(value)
    if moment is None:
        raise ValueError(f"{str(value)[:40]!r} is not an ISO-8601 time")
    return moment


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(timezone.utc)


@dataclass
class Participant:
    """One side of a call. ``role`` is "agent", "customer" or "" when unknown.

    ``number`` is the phone number as the provider gives it (e.g. ``"+5511987654321"``),
    ``kind`` the provider's own kind of party, ``extension``/``external_id`` the provider's ids, when known.
    """

    name: str | None = None
    number: str | None = None
    role: str = ""
    kind: str = ""  # provider's own kind, e.g. GoTo "LINE" / "EXTERNAL"
    extension: str | None = None
    external_id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Participant:
        """A participant from ``dataclasses.asdict`` output; unknown keys are ignored.

        A missing or null ``role``/``kind`` is ``""`` (unknown), as the field types say.
        """
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("role", "kind"):
            values[key] = str(values.get(key) or "")
        return cls(**values)


@dataclass
class Recording:
    """A recording of (part of) a call, as the provider lists it.

    ``id`` is what ``Provider.download_recording`` takes. ``channel_roles`` maps a channel index
    (0-based) to who is heard on it, when the provider tells us (e.g. ``{0: "agent", 1: "customer"}``).
    ``started_at`` is an aware datetime (UTC from every built-in provider) or None when not given;
    ``channels`` the number of audio channels when the provider says; ``participant`` the provider's id of
    the party recorded, for per-participant recordings; provider-only fields live in ``extra``.
    """

    id: str
    call_external_id: str = ""
    started_at: datetime | None = None
    channels: int | None = None
    channel_roles: dict[int, str] = field(default_factory=dict)
    participant: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values: ``started_at`` ISO-8601 text, ``channel_roles`` keys as text."""
        data = asdict(self)
        data["started_at"] = _iso(self.started_at)
        data["channel_roles"] = {str(k): v for k, v in self.channel_roles.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recording:
        """The inverse of :meth:`to_dict`; unknown keys are ignored, a missing or null ``started_at`` is
        None, ``call_external_id`` ``""`` and ``extra`` ``{}``. KeyError without ``id``; ValueError for an
        unreadable time."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["id"] = str(data["id"])
        values["call_external_id"] = str(values.get("call_external_id") or "")
        values["started_at"] = _parse_dt(values.get("started_at"))
        values["channel_roles"] = {int(k): v for k, v in (values.get("channel_roles") or {}).items()}
        values["extra"] = dict(values.get("extra") or {})
        return cls(**values)


@dataclass
class CallMetadata:
    """One call, normalised across providers. Provider-only fields live in ``extra``.

    ``id`` is :func:`call_id_for` (provider, external_id); ``external_id`` the provider's own call id.
    ``started_at`` and ``ended_at`` are aware datetimes, UTC from every built-in provider (``ended_at`` None
    when the provider gives no end); ``duration_seconds`` is the call's length in seconds (float; 0 when
    unknown, e.g. a call that never connected). ``caller_number``/``callee_number`` are the numbers as
    the provider gives them (not normalised).
    """

    id: str
    provider: str
    external_id: str
    direction: Direction
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float
    answered: bool
    caller_number: str | None = None
    callee_number: str | None = None
    participants: list[Participant] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def recording_ids(self) -> list[str]:
        """The ``id`` of each recording, in order."""
        return [r.id for r in self.recordings]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the same keys as the fields, times as ISO-8601 text, ``direction`` as text."""
        return {
            "id": self.id,
            "provider": self.provider,
            "external_id": self.external_id,
            "direction": self.direction.value,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration_seconds": self.duration_seconds,
            "answered": self.answered,
            "caller_number": self.caller_number,
            "callee_number": self.callee_number,
            "participants": [asdict(p) for p in self.participants],
            "recordings": [r.to_dict() for r in self.recordings],
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallMetadata:
        """The inverse of :meth:`to_dict` (naive times are read as UTC).

        Raises KeyError when ``id``, ``provider``, ``external_id``, ``direction`` or ``started_at`` is
        missing, ValueError for an unknown direction, an unreadable or null ``started_at`` (a call always
        has a start: it is never made up), an unreadable time or a ``duration_seconds`` that is not a
        finite number of seconds >= 0 (a missing or null one is 0, unknown).
        """
        started = _parse_dt(data["started_at"])
        if started is None:
            raise ValueError("a call's started_at is null: a call without a start time cannot be read")
        duration = float(data.get("duration_seconds") or 0)
        if not math.isfinite(duration) or duration < 0:
            raise ValueError(f"duration_seconds {duration!r} is not a length in seconds")
        return cls(
            id=data["id"],
            provider=data["provider"],
            external_id=data["external_id"],
            direction=Direction(data["direction"]),
            started_at=started,
            ended_at=_parse_dt(data.get("ended_at")),
            duration_seconds=duration,
            answered=bool(data.get("answered")),
            caller_number=data.get("caller_number"),
            callee_number=data.get("callee_number"),
            participants=[Participant.from_dict(p) for p in data.get("participants") or []],
            recordings=[Recording.from_dict(r) for r in data.get("recordings") or []],
            extra=dict(data.get("extra") or {}),
        )


@dataclass
class Word:
    """One word Whisper heard: ``start``/``end`` in seconds from the start of the recording (the audio
    file, not the call), ``probability`` Whisper's 0..1 confidence in it."""

    start: float
    end: float
    word: str
    probability: float


@dataclass
class TranscriptionSegment:
    """A stretch of speech. ``channel`` is the audio channel it came from (None for mono);
    ``speaker`` is the role on that channel when known ("agent", "customer") or "channel N".

    ``start``/``end`` are seconds from the start of the recording (the audio file, not the call),
    rounded to milliseconds. ``avg_logprob`` and ``no_speech_prob`` are Whisper's for the segment it
    came from; ``words`` is set only when word timestamps were asked for.
    """

    start: float
    end: float
    text: str
    channel: int | None = None
    speaker: str | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    words: list[Word] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscriptionSegment:
        """A segment from ``dataclasses.asdict`` output (words included); unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if values.get("words") is not None:
            values["words"] = [Word(**w) for w in values["words"]]
        return cls(**values)


@dataclass
class TranscriptionResult:
    """A transcribed recording. ``language`` is Whisper's code of the language it was transcribed in;
    ``language_outside_list`` flags a call outside the languages it was asked to choose from.

    ``duration`` is the audio's length in seconds; ``processing_seconds`` the wall-clock seconds the
    transcription took; ``transcribed_at`` an aware UTC datetime, or None when not known (a file written
    without it: it is not made up); ``segments`` are in time order.
    ``language_probability`` is 0..1 (None when nothing was heard).
    """

    recording_id: str
    text: str
    segments: list[TranscriptionSegment]
    language: str | None
    duration: float
    model: str
    transcribed_at: datetime | None = field(default_factory=utcnow)
    audio_path: str | None = None
    channels: int = 1
    language_probability: float | None = None
    processing_seconds: float | None = None
    # True when a language list was given ("en,pt") and the call is in another language: it was then
    # transcribed in its own (detected) language, never translated into a listed one.
    language_outside_list: bool = False
    #: what the decoder did: encoder_windows, decoded_seconds, detection_windows, vocabulary (perftel.transcribe)
    decoding: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields (segments and words as dicts, ``transcribed_at`` as ISO-8601)."""
        data = asdict(self)
        data["transcribed_at"] = _iso(self.transcribed_at)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscriptionResult:
        """The inverse of :meth:`to_dict`; unknown keys are ignored.

        A missing or null ``transcribed_at`` stays None (unknown: never the time it was read); a null
        ``channels`` is 1. Raises TypeError when a required field is missing, ValueError for an
        unreadable time.
        """
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["segments"] = [TranscriptionSegment.from_dict(s) for s in values.get("segments") or []]
        values["transcribed_at"] = _parse_dt(values.get("transcribed_at"))
        if values.get("channels") is None:
            values.pop("channels", None)
        return cls(**values)


@dataclass
class ConnectionStatus:
    """What ``Provider.test_connection`` found: ``success`` and a message for a person (no secrets).

    Truthy when ``success``.
    """

    success: bool
    message: str

    def __bool__(self) -> bool:
        return self.success


@dataclass
class Failure:
    """Something the pipeline could not do, and why; the rest of the run went on."""

    step: str  # "login" | "fetch" | "download" | "transcribe"
    item: str  # call or recording id, or a file name
    reason: str
    retryable: bool = False


@dataclass
class PipelineResult:
    """What one pipeline run fetched, downloaded, transcribed and what failed."""

    company_id: str
    provider: str
    calls: list[CallMetadata] = field(default_factory=list)
    downloaded: list[Path] = field(default_factory=list)
    transcribed: list[TranscriptionResult] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    skipped_downloads: int = 0
    skipped_transcriptions: int = 0
    metadata_file: Path | None = None
    output_dir: Path | None = None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing failed and the run was not cancelled."""
        return not self.failed and not self.cancelled

    @property
    def only_retryable_failures(self) -> bool:
        """True when everything that failed is expected to work on a later run (e.g. still processing)."""
        return all(f.retryable for f in self.failed)

    def summary(self) -> str:
        """A few lines for a person: counts, calls outside the language list, the first 20 failures."""
        lines = [
            f"company {self.company_id} · provider {self.provider}",
            f"  calls listed:        {len(self.calls)}",
            f"  recordings:          {len(self.downloaded)} downloaded, {self.skipped_downloads} already on disk",
            f"  transcriptions:      {len(self.transcribed)} new, {self.skipped_transcriptions} already on disk",
            f"  failures:            {len(self.failed)}",
        ]
        outside = [r for r in self.transcribed if r.language_outside_list]
        if outside:
            named = ", ".join(f"{r.recording_id} ({r.language})" for r in outside[:10])
            more = f" and {len(outside) - 10} more" if len(outside) > 10 else ""
            lines.append(
                f"  outside the language list: {len(outside)}, transcribed in their own language: {named}{more}"
            )
        for failure in self.failed[:20]:
            later = " (retried on the next run)" if failure.retryable else ""
            lines.append(f"    - [{failure.step}] {failure.item}: {failure.reason}{later}")
        if len(self.failed) > 20:
            lines.append(f"    … and {len(self.failed) - 20} more")
        if self.cancelled:
            lines.append("  (cancelled before the end)")
        if self.output_dir is not None:
            lines.append(f"  files in:            {self.output_dir}")
        return "\n".join(lines)
