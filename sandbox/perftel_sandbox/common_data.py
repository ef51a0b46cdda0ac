"""Deterministic building blocks every sandbox's call data shares: the agent roster, caller-id names,
seeded random streams, ids that carry their UTC day, Poisson counts and phone numbers.

The same (seed, parts) always gives the same stream, so a sandbox's calls do not depend on the window a
client asks for. Standard library only.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Agent:
    """One agent of the shared roster: display name, extension number and spoken language."""

    name: str
    extension: str
    language: str  # "en" or "pt": picks the recording's language


AGENTS = (
    Agent("Anna Keller", "1001", "en"),
    Agent("David Okafor", "1002", "en"),
    Agent("Zoë Ångström-Núñez", "1003", "en"),
    Agent("Brennen Roberts", "1004", "en"),
    Agent("Juliana Conceição", "1005", "pt"),
    Agent("Carlos Araújo", "1006", "pt"),
)
CALLER_ID_NAMES = ("Margaret Ellison", "Björn Þórsson", "ACME LOGISTICS", "Renée O'Brien", "João Gonçalves")


def rng_for(seed: int, *parts: object) -> random.Random:
    """A random stream fixed by ``seed`` and ``parts`` (SHA-256 of their ``:``-joined text seeds it)."""
    digest = hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_LOW96 = (1 << 96) - 1


def _mask(seed: int, low: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{low}".encode()).digest()[:4], "big")


def day_uuid(rng: random.Random, day: date, seed: int) -> str:
    """A UUID drawn from ``rng`` whose top 32 bits carry ``day`` (masked by ``seed``); see :func:`day_of_id`."""
    low = uuid.UUID(int=rng.getrandbits(128), version=4).int & _LOW96
    return str(uuid.UUID(int=(((day - EPOCH).days ^ _mask(seed, low)) << 96) | low))


def day_of_id(identifier: str, seed: int) -> date | None:
    """The day encoded in an id made by this module, or None if it cannot be one."""
    try:
        value = uuid.UUID(identifier).int
        return EPOCH + timedelta(days=(value >> 96) ^ _mask(seed, value & _LOW96))
    except (ValueError, OverflowError):
        return None


def iso(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (milliseconds, truncated)."""
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count with ``mean`` (Knuth's method; a rounded normal above 30; 0 if ≤ 0)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def phone_number(rng: random.Random, language: str) -> str:
    """A customer number in E.164: Brazilian mobile for "pt", a US 555-01xx number otherwise."""
    if language == "pt":
        return f"+55{rng.choice(['11', '21', '31', '51'])}9{rng.randrange(10**7, 10**8)}"
    return f"+1{rng.choice(['212', '415', '646', '720'])}55501{rng.randrange(100):02d}"


def utc_days(first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last``, both included (none when ``last`` is before ``first``)."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def utc_datetime(text: str) -> datetime:
    """An ISO-8601 date-time (``Z``/``z`` or an offset; naive = UTC) as an aware UTC datetime.

    Raises ``ValueError`` when ``text`` is not one; the callers decide whether a bare date is allowed.
    """
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
