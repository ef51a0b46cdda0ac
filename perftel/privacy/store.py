"""Where the policy meets the disk: before a transcript is written, and on transcripts already written.

:func:`prepare_for_disk` is called by :func:`perftel.storage.write_transcription` (the one place every
transcript is written, by the pipeline and by ``perftel transcribe``): it redacts the transcript by the
company's policy, silences the recording when the policy says ``audio = true``, and returns the fields the
JSON carries about it::

    "pii_counts": {"card": 0, "cpf": 1, ...}   # values found per kind (never the values)
    "redacted_kinds": ["card", "cpf", ...]     # the policy's kinds when it was written ([]: not redacted)
    "audio_redacted": true                     # only when the recording was replaced by a silenced copy

:func:`redact_folder` (``perftel redact --company X``) applies the policy to transcripts already on disk:
each changed file is rewritten atomically (TXT, then JSON); running it again changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perftel.models import TranscriptionResult
from perftel.privacy.audio import placeholder_spans, silence_recording
from perftel.privacy.policy import PrivacyPolicy, policy_for_transcript
from perftel.privacy.redact import redact_transcript

log = logging.getLogger("perftel.privacy")


def prepare_for_disk(
    result: TranscriptionResult, json_path: Path, policy: PrivacyPolicy | None = None
) -> tuple[TranscriptionResult, dict[str, Any]]:
    """``(result, privacy fields for the JSON)``; ``policy`` None: the one for ``json_path``.

    ``result`` is redacted in place (its text, segments and audio path), so the caller's copy — the one a
    pipeline run returns to a notebook — carries the placeholders too. Raises ConfigError for an invalid
    policy and StorageError when the audio copy fails; nothing is changed or written then.
    """
    policy = policy if policy is not None else policy_for_transcript(json_path)
    done = redact_transcript(result, policy)
    fields: dict[str, Any] = {"pii_counts": done.pii_counts, "redacted_kinds": list(policy.kinds)}
    if policy.audio:
        _audio(done.result, fields)
    result.text, result.segments, result.audio_path = (
        done.result.text,
        done.result.segments,
        done.result.audio_path,
    )
    return result, fields


def _audio(result: TranscriptionResult, fields: dict[str, Any]) -> None:
    spans = placeholder_spans(result)
    path = Path(result.audio_path) if result.audio_path else None
    if spans and path is not None and path.is_file():
        result.audio_path = str(silence_recording(path, spans))
        fields["audio_redacted"] = True


@dataclass
class RedactReport:
    """What :func:`redact_folder` did: files seen, rewritten, and values found per kind (new ones only)."""

    seen: int = 0
    rewritten: int = 0
    audio: int = 0
    found: dict[str, int] | None = None


def redact_folder(transcriptions_dir: Path, policy: PrivacyPolicy) -> RedactReport:
    """Apply ``policy`` to every transcript JSON in ``transcriptions_dir`` (and its TXT, and its audio)."""
    from perftel.files import write_json_atomic, write_text_atomic
    from perftel.storage import transcript_text

    report = RedactReport(found={kind: 0 for kind in policy.kinds})
    for json_path in sorted(Path(transcriptions_dir).glob("*.json")):
        data = json.loads(json_path.read_text("utf-8"))
        if "segments" not in data or "recording_id" not in data:
            continue
        report.seen += 1
        result = TranscriptionResult.from_dict(data)
        done = redact_transcript(result, policy)
        counts = dict(data.get("pii_counts") or {})
        for kind, count in done.pii_counts.items():
            counts[kind] = counts.get(kind, 0) + count
            report.found[kind] += count
        kinds = sorted(set(data.get("redacted_kinds") or []) | set(policy.kinds), key=_kind_order)
        fields: dict[str, Any] = {"pii_counts": counts, "redacted_kinds": kinds}
        if policy.audio and not data.get("audio_redacted"):
            _audio(done.result, fields)
            report.audio += bool(fields.get("audio_redacted"))
        if (
            done.found == 0
            and kinds == data.get("redacted_kinds")
            and counts == data.get("pii_counts")
            and ("audio_redacted" not in fields)
        ):
            continue  # nothing new: the file stays as it is
        new = {**data, **done.result.to_dict(), **fields}
        write_text_atomic(json_path.with_suffix(".txt"), transcript_text(done.result))
        write_json_atomic(json_path, new)
        report.rewritten += 1
    return report


def _kind_order(kind: str) -> int:
    from perftel.privacy.findings import KINDS

    return KINDS.index(kind) if kind in KINDS else len(KINDS)
