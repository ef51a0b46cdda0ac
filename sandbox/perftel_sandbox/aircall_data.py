"""Deterministic Aircall call data for the sandbox: the same (seed, UTC day) always gives the same calls,
whatever window a client asks for. Standard library only.

Per day: about ``calls_per_day`` calls (weekdays ×1.2, weekends ×0.5), mostly 08–18 UTC; ~60 % inbound;
~78 % answered; ~80 % of answered calls recorded; about a third of missed inbound calls leave a voicemail;
~6 % of inbound callers are ``"anonymous"``; some callers are known contacts. ``pinned`` UNIX seconds add
one call starting exactly then (tests put calls on window boundaries). Field names and shapes follow
REFERENCE.md §3.2 / ``examples/aircall_calls_page.json``; values are invented.

Ids are integers ``day * 10_000 + n`` (n in start order), so an id resolves to its day without state and
ids grow with time, like Aircall's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from perftel_sandbox.common_data import AGENTS, EPOCH, poisson, rng_for

PER_DAY = 10_000
USERS = tuple(
    {"id": 1001 + i, "name": a.name, "email": f"user{1001 + i}@sandbox.example", "language": a.language}
    for i, a in enumerate(AGENTS)
)
NUMBERS = {
    "en": {
        "id": 2001,
        "name": "Support US",
        "digits": "+1 415-555-0100",
        "country": "US",
        "time_zone": "America/Los_Angeles",
    },
    "pt": {
        "id": 2002,
        "name": "Suporte Brasil",
        "digits": "+55 11 4003-0100",
        "country": "BR",
        "time_zone": "America/Sao_Paulo",
    },
}
TEAMS = {"en": {"id": 3001, "name": "Support"}, "pt": {"id": 3002, "name": "Suporte"}}
TAGS = ({"id": 4001, "name": "billing"}, {"id": 4002, "name": "urgent"}, {"id": 4003, "name": "follow-up"})
CONTACTS = (
    ("Margaret", "Ellison", "ACME Logistics"),
    ("Björn", "Þórsson", ""),
    ("Renée", "O'Brien", "Bistro Renée"),
    ("João", "Gonçalves", "Padaria Central"),
    ("Ana", "Lima", ""),
)
MISSED_REASONS = (
    "out_of_opening_hours",
    "short_abandoned",
    "abandoned_in_ivr",
    "abandoned_in_classic",
    "no_available_agent",
    "agents_did_not_answer",
)
_VOICEMAIL_REASONS = {"out_of_opening_hours", "no_available_agent", "agents_did_not_answer"}


@dataclass(frozen=True)
class Call:
    """One generated call: its API object, UNIX start/end seconds, its audio kind, language and media index."""

    data: dict  # the call object without its signed URLs (``recording``/``voicemail`` are None here)
    started: int
    ended: int
    audio: str | None  # "recording", "voicemail" or None
    language: str
    media_index: int


def day_of_id(call_id: int) -> date | None:
    """The UTC day a call id belongs to (ids are ``day * PER_DAY + n``), or ``None`` if it cannot be one."""
    try:
        return EPOCH + timedelta(days=int(call_id) // PER_DAY)
    except (OverflowError, ValueError):
        return None


def _digits(rng: random.Random, language: str) -> str:
    if language == "pt":
        return f"+55 {rng.choice(['11', '21', '31', '51'])} 9{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}"
    return f"+1 {rng.choice(['212', '646', '720', '303'])}-555-01{rng.randrange(100):02d}"


def _make(rng: random.Random, seed: int, started: int) -> dict:
    user = rng.choice(USERS)
    lang = user["language"]
    inbound = rng.random() < 0.6
    answered = rng.random() < (0.78 if inbound else 0.7)
    anonymous = inbound and rng.random() < 0.06
    ring = rng.randrange(3, 13) if answered else rng.randrange(5, 41)
    talk = int(min(rng.expovariate(1 / 200), 880)) + 10 if answered else 0
    reason = rng.choice(MISSED_REASONS) if inbound and not answered else None
    audio = None
    if answered and rng.random() < 0.8:
        audio = "recording"
    elif reason in _VOICEMAIL_REASONS and rng.random() < 0.35:
        audio = "voicemail"
    digits = "anonymous" if anonymous else _digits(rng, lang)
    contact = None
    if not anonymous and rng.random() < 0.35:
        first, last, company = rng.choice(CONTACTS)
        contact = {
            "id": 5000 + rng.randrange(1000),
            "first_name": first,
            "last_name": last,
            "company_name": company or None,
            "information": None,
            "is_shared": True,
            "phone_numbers": [{"id": rng.randrange(10**6), "label": "Work", "value": digits}],
            "emails": [],
        }
    with_user = answered or not inbound or reason == "agents_did_not_answer"
    ended = started + ring + talk
    return {
        "id": 0,
        "sid": "CA" + "".join(rng.choice("0123456789abcdef") for _ in range(32)),
        "direct_link": "",
        "direction": "inbound" if inbound else "outbound",
        "status": "done",
        "missed_call_reason": reason,
        "started_at": started,
        "answered_at": started + ring if answered else None,
        "ended_at": ended,
        "duration": ended - started,
        "raw_digits": digits,
        "archived": False,
        "cost": "0.0" if inbound else f"0.0{rng.randrange(1, 10)}",
        "recording": None,
        "recording_short_url": None,
        "voicemail": None,
        "voicemail_short_url": None,
        "asset": None,
        "user": {
            "id": user["id"],
            "direct_link": "",
            "name": user["name"],
            "email": user["email"],
            "available": True,
            "availability_status": "available",
        }
        if with_user
        else None,
        "number": {**NUMBERS[lang], "direct_link": ""},
        "contact": contact,
        "assigned_to": None,
        "transferred_by": None,
        "transferred_to": None,
        "teams": [{**TEAMS[lang], "direct_link": ""}] if inbound else [],
        "tags": [dict(rng.choice(TAGS))] if rng.random() < 0.25 else [],
        "comments": [],
        "participants": [],
        "ivr_options_selected": [],
        "country_code_a2": NUMBERS[lang]["country"],
        "_audio": audio,
        "_lang": lang,
        "_media": rng.randrange(1000),
    }


@lru_cache(maxsize=4096)
def calls_for_day(
    seed: int, day: date, calls_per_day: float, pinned: tuple[int, ...] = ()
) -> tuple[Call, ...]:
    """All calls started on ``day`` (UTC), in start order, with their final ids. Cached; do not mutate."""
    rng = rng_for(seed, "aircall", day.isoformat())
    count = poisson(rng, calls_per_day * (1.2 if day.weekday() < 5 else 0.5))
    day_start = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
    made = []
    for _ in range(count):
        offset = rng.uniform(0, 86400) if rng.random() < 0.08 else rng.uniform(8 * 3600, 18 * 3600)
        made.append((day_start + int(offset), rng.random(), _make(rng, seed, day_start + int(offset))))
    for k, moment in enumerate(sorted(p for p in pinned if day_start <= p < day_start + 86400)):
        pin_rng = rng_for(seed, "aircall-pin", moment, k)
        made.append((moment, pin_rng.random(), _make(pin_rng, seed, moment)))
    made.sort(key=lambda item: (item[0], item[1]))
    base = (day - EPOCH).days * PER_DAY
    calls = []
    for n, (started, _, data) in enumerate(made[: PER_DAY - 1]):
        data["id"] = base + n + 1
        audio, lang, media = data.pop("_audio"), data.pop("_lang"), data.pop("_media")
        calls.append(Call(data, started, data["ended_at"], audio, lang, media))
    return tuple(calls)
