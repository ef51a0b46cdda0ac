"""Synthetic companies written through perftel's storage API, for the dataset tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from perftel.models import (
    CallMetadata,
    Direction,
    Participant,
    Recording,
    TranscriptionResult,
    TranscriptionSegment,
    Word,
)
from perftel.storage import CompanyStorage

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_call(
    n: int,
    *,
    started: datetime | None = None,
    answered: bool = True,
    agent: str = "Ana",
    direction: Direction = Direction.INBOUND,
) -> CallMetadata:
    start = started or T0 + timedelta(hours=n)
    return CallMetadata(
        id=f"call-{n}",
        provider="goto_connect",
        external_id=f"ext-{n}",
        direction=direction,
        started_at=start,
        ended_at=start + timedelta(seconds=240),
        duration_seconds=240.0,
        answered=answered,
        caller_number="+5511999990000",
        callee_number="+551133330000",
        participants=[
            Participant(name=agent, role="agent", extension="100"),
            Participant(number="+5511999990000", role="customer"),
        ],
        recordings=[
            Recording(
                id=f"rec-{n}",
                call_external_id=f"ext-{n}",
                started_at=start,
                channels=2,
                channel_roles={0: "agent", 1: "customer"},
            )
        ],
    )


def make_transcript(
    call: CallMetadata, lines: list[tuple[str, str]], *, words: bool = False
) -> TranscriptionResult:
    segments = []
    for i, (speaker, text) in enumerate(lines):
        ws = None
        if words:
            ws = [Word(i * 5 + j * 0.5, i * 5 + j * 0.5 + 0.4, w, 0.9) for j, w in enumerate(text.split())]
        segments.append(
            TranscriptionSegment(
                i * 5.0,
                i * 5.0 + 4.0,
                text,
                channel=0 if speaker == "agent" else 1,
                speaker=speaker,
                words=ws,
            )
        )
    return TranscriptionResult(
        recording_id=call.recordings[0].id,
        text=" ".join(t for _, t in lines),
        segments=segments,
        language="pt",
        duration=240.0,
        model="base",
        channels=2,
        language_probability=0.97,
        processing_seconds=12.5,
    )


def add_call(
    storage: CompanyStorage, n: int, lines: list[tuple[str, str]] | None = None, **kwargs
) -> CallMetadata:
    storage.ensure()
    call = make_call(n, **{k: v for k, v in kwargs.items() if k != "words"})
    storage.save_call(call)
    if lines is not None:
        storage.save_transcription(
            make_transcript(call, lines, words=kwargs.get("words", False)), prefix="goto_connect", call=call
        )
    return call
