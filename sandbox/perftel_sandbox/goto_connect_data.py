"""Deterministic GoTo Connect call data for the sandbox: the same (seed, UTC day) always gives the
same calls, whatever window a client asks for.

Per day: about ``calls_per_day`` calls on average (weekdays ×1.2, weekends ×0.5), mostly in business
hours (11–21 UTC: 08–18 in São Paulo) with a few at night; ~60 % inbound; ~78 % answered, missed 5–40 s
of ringing and no recording; ~75 % of answered calls recorded, ~1 in 10 recordings still "processing";
agents from a fixed roster (one with a non-ASCII name), each speaking only conversations of ``media/``
that fit them (an agent who says a name in a recording is that agent); an answered call lasts its ring,
the recording's start delay, the conversation and a short wrap-up, so a call and its recording agree;
customers in E.164 (+55 for the Portuguese-speaking agents), a few anonymous or with a caller-id name.

Ids are UUIDs drawn from the seed. The first 32 bits of a call's and a recording's id carry its day
(XOR a mask hashed from the seed and the other 96 bits), so any id can be resolved without state — also after a restart with the same seed.
Report shapes follow REFERENCE.md §1.4 / ``examples/goto_report.json``; ``callStates`` entries are
our own guess (the reference documents no schema). Standard library only.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache, lru_cache
from random import Random
from uuid import UUID

from perftel_sandbox.common_data import (
    CALLER_ID_NAMES,
    day_of_id,
    day_uuid,
    iso,
    phone_number,
    poisson,
    rng_for,
)
from perftel_sandbox.speech import MEDIA_DIR

__all__ = ["AGENTS", "Call", "RecordingInfo", "calls_for_day", "day_of_id", "iso", "language_of", "summary"]


@dataclass(frozen=True)
class Agent:
    name: str
    extension: str
    language: str  # "en" or "pt": picks the recording's language
    media: tuple[str, ...]  # the conversations (media file names) this agent speaks in


AGENTS = (
    Agent(
        "Anna Keller", "1001", "en", ("en_billing_question.wav", "en_delivery_delay.wav")
    ),  # "this is Anna"
    Agent("David Okafor", "1002", "en", ("en_password_reset.wav",)),  # "David speaking"
    Agent("Zoë Ångström-Núñez", "1003", "en", ("en_delivery_delay.wav",)),  # says no name
    Agent("Brennen Roberts", "1004", "en", ("en_delivery_delay.wav",)),
    Agent(
        "Juliana Conceição", "1005", "pt", ("pt_segunda_via_boleto.wav", "pt_cancelamento.wav")
    ),  # "a Juliana"
    Agent("Carlos Araújo", "1006", "pt", ("pt_internet_lenta.wav", "pt_cancelamento.wav")),  # "é Carlos"
)


@cache
def media_seconds(name: str) -> float:
    """Length of one of the sandbox's conversations (``media/<name>``), in seconds."""
    with wave.open(str(MEDIA_DIR / name), "rb") as f:
        return f.getnframes() / f.getframerate()


def media_index(agent: Agent, name: str) -> int:
    """The index :meth:`SpeechFiles.pick` resolves to ``name`` (files sorted by name, per language)."""
    return sorted(p.name for p in MEDIA_DIR.glob(f"{agent.language}_*.wav")).index(name)


def language_of(call: object) -> str | None:
    """The language a sandbox call was recorded in (its agent's: "en" or "pt"), from a
    :class:`~perftel.models.CallMetadata`'s agent extension; ``None`` for a call not made here.

    The sandbox's synthetic Portuguese is too robotic for Whisper's language detection, so runs against
    the sandbox pin each call's language with this (``run_pipeline(..., language=language_of)``).
    """
    extensions = {p.extension for p in getattr(call, "participants", ()) if p.extension}
    return next((a.language for a in AGENTS if a.extension in extensions), None)


@dataclass(frozen=True)
class RecordingInfo:
    """A call's recording: its id, the call's conversationSpaceId, language, media index, PROCESSING flag."""

    recording_id: str
    conversation_space_id: str
    language: str
    media_index: int  # index into the language's media list, resolved by the sandbox
    processing: bool  # still PROCESSING: content requests answer 400


@dataclass
class Call:
    """One generated call: its full report (API shape), UTC creation/end datetimes and its recordings."""

    report: dict
    created: datetime
    ended: datetime
    recordings: list[RecordingInfo] = field(default_factory=list)


@lru_cache(maxsize=1024)
def calls_for_day(seed: int, day: date, calls_per_day: float, account_key: str) -> tuple[Call, ...]:
    """All calls created on ``day`` (UTC), sorted by creation time. Cached; do not mutate."""
    rng = rng_for(seed, day.isoformat())
    factor = 1.2 if day.weekday() < 5 else 0.5
    count = poisson(rng, calls_per_day * factor)
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    calls = [_make_call(rng, seed, day, start) for _ in range(count)]
    for call in calls:
        call.report["accountKey"] = account_key
    calls.sort(key=lambda c: (c.created, c.report["conversationSpaceId"]))
    return tuple(calls)


def _make_call(rng: Random, seed: int, day: date, day_start: datetime) -> Call:
    at_night = rng.random() < 0.08
    offset = rng.uniform(0, 86400) if at_night else rng.uniform(11 * 3600, 21 * 3600)
    created = day_start + timedelta(milliseconds=int(offset * 1000))
    agent = rng.choice(AGENTS)
    inbound = rng.random() < 0.6
    answered = rng.random() < 0.78
    anonymous = inbound and rng.random() < 0.06
    caller_name = rng.choice(CALLER_ID_NAMES) if inbound and rng.random() < 0.2 else None
    ring = rng.uniform(3, 12) if answered else rng.uniform(5, 40)
    media = rng.choice(agent.media)
    delay = rng.randrange(200, 1500)  # ms from answer to the recording's start
    talk = delay / 1000 + media_seconds(media) + rng.uniform(0.5, 4.0) if answered else 0.0
    total = ring + talk
    answered_at = created + timedelta(seconds=ring)
    ended = created + timedelta(milliseconds=int(total * 1000))
    cs_id = day_uuid(rng, day, seed)

    line = {
        "participantId": str(UUID(int=rng.getrandbits(128), version=4)),
        "legId": str(UUID(int=rng.getrandbits(128), version=4)),
        "type": {"value": "LINE", "name": agent.name, "extensionNumber": agent.extension},
    }
    external: dict = {
        "participantId": str(UUID(int=rng.getrandbits(128), version=4)),
        "legId": str(UUID(int=rng.getrandbits(128), version=4)),
        "type": {"value": "EXTERNAL"},
    }
    number = phone_number(rng, agent.language)
    if not anonymous:
        external["type"]["number"] = number
    if caller_name:
        external["type"]["name"] = caller_name

    recordings: list[RecordingInfo] = []
    recorded, processing = rng.random() < 0.75, rng.random() < 0.1
    if answered and recorded:
        rec_id = day_uuid(rng, day, seed)
        started = answered_at + timedelta(milliseconds=delay)
        line["recordings"] = [{"id": rec_id, "startTimestamp": iso(started), "transcriptEnabled": False}]
        recordings.append(RecordingInfo(rec_id, cs_id, agent.language, media_index(agent, media), processing))

    states = [("CREATED", created), ("RINGING", created + timedelta(milliseconds=300))]
    if answered:
        states.append(("ANSWERED", answered_at))
    states.append(("ENDED", ended))
    report = {
        "conversationSpaceId": cs_id,
        "accountKey": "",
        "callCreated": iso(created),
        "callEnded": iso(ended),
        "direction": "INBOUND" if inbound else "OUTBOUND",
        "participants": [external, line] if inbound else [line, external],
        "callStates": [
            {"sequenceNumber": i, "type": kind, "timestamp": iso(moment)}
            for i, (kind, moment) in enumerate(states)
        ],
    }
    return Call(report=report, created=created, ended=ended, recordings=recordings)


def summary(report: dict) -> dict:
    """The ``report-summaries`` item for a full report."""
    keys = ("conversationSpaceId", "accountKey", "callCreated", "callEnded", "direction")
    return {key: report[key] for key in keys}
