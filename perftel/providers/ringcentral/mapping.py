"""RingCentral call-log records → perftel's :class:`~perftel.models.CallMetadata` (REFERENCE.md §4.2, §5).
Pure: no requests.

One call = one ``telephonySessionId`` (transfers and ring groups give several records, and
``view=Detailed`` adds ``legs``); records without it fall back to ``sessionId``, then ``id``.
Liberal in what it accepts: missing fields, odd cases (``"inbound"``), numbers instead of strings,
epoch times, records without ``from``/``to``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from perftel.models import CallMetadata, Direction, Participant, Recording, call_id_for
from perftel.providers.tolerant import as_dict, call_seconds, moment, start_or_skip, text

# ``result``/``reason`` values that mean a person picked up (compared case-insensitively).
ANSWERED = {"accepted", "call connected", "connected", "answered elsewhere", "answered"}


def record_time(value: Any) -> datetime | None:
    """ISO-8601 (``Z``, offsets, ``+0000``) or epoch seconds/milliseconds → aware UTC datetime."""
    return moment(value)


def seconds(record: dict[str, Any], *, provider: str = "ringcentral", call_id: str = "?") -> float:
    """``duration`` (seconds) when given, else ``durationMs``; 0 when neither is a usable length.

    A value that is given but not a finite length of at most two days (``"inf"``, NaN, ``1e308``, ``-4``)
    counts as not given, with a warning naming ``provider`` and ``call_id``
    (:func:`~perftel.providers.tolerant.call_seconds`).
    """
    for key, per_second in (("duration", 1.0), ("durationMs", 1000.0)):
        found = call_seconds(
            record.get(key), provider=provider, call_id=call_id, field=key, per_second=per_second
        )
        if found is not None:
            return found
    return 0.0


def session_key(record: dict[str, Any]) -> str | None:
    """The key grouping a call's records: ``telephonySessionId``, else ``sessionId``, else ``id``.

    None when the record has none of them (it is then skipped).
    """
    for key in ("telephonySessionId", "sessionId", "id"):
        value = text(record.get(key))
        if value:
            return value
    return None


def is_call(record: Any) -> bool:
    """A voice record that was not deleted (fax records and junk are skipped)."""
    if not isinstance(record, dict) or record.get("deleted") is True:
        return False
    return str(record.get("type") or "Voice").lower() != "fax"


def session_rows(records: Iterable[Any]) -> Iterator[tuple[str, str, datetime | None, dict[str, Any]]]:
    """``(record id, session key, start, record)`` for each call record (fax and junk skipped)."""
    for record in records:
        if not is_call(record):
            continue
        key = session_key(record)
        if key is not None:
            rid = text(record.get("id")) or repr(sorted(record.items(), key=str))[:200]
            yield rid, key, record_time(record.get("startTime")), record


def in_time_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One session's records by start time (first seen order otherwise; untimed last)."""
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(records, key=lambda r: record_time(r.get("startTime")) or far)


def _direction(value: Any) -> Direction:
    return Direction.OUTBOUND if str(value or "").strip().lower().startswith("out") else Direction.INBOUND


def _participant(party: Any, side: str, direction: Direction) -> Participant | None:
    party = as_dict(party)
    number = text(party.get("phoneNumber")) or text(
        party.get("dialerPhoneNumber" if side == "from" else "dialedPhoneNumber")
    )
    extension = text(party.get("extensionNumber"))
    name = text(party.get("name"))
    if not (number or extension or name):
        return None
    ours = (side == "to") == (direction is Direction.INBOUND)
    internal = bool(extension or party.get("extensionId"))
    return Participant(
        name=name,
        number=number,
        extension=extension,
        role="agent" if ours or internal else "customer",
        kind=side,
        external_id=text(party.get("extensionId")),
    )


def _same(known: Participant, new: Participant) -> bool:
    """Is ``new`` (often a leg's view of a party) someone already listed?"""
    if new.extension:
        return known.extension == new.extension
    if new.number:
        return known.number == new.number
    return known.name == new.name


def _number(party: Any) -> str | None:
    party = as_dict(party)
    return text(party.get("phoneNumber")) or text(party.get("extensionNumber"))


def _leg(leg: dict[str, Any], provider: str, key: str) -> dict[str, Any]:
    summary = {
        "leg_type": text(leg.get("legType")),
        "master": leg.get("master") if isinstance(leg.get("master"), bool) else None,
        "direction": text(leg.get("direction")),
        "start_time": text(leg.get("startTime")),
        "duration": seconds(leg, provider=provider, call_id=key),
        "result": text(leg.get("result")),
        "reason": text(leg.get("reason")),
        "from": _number(leg.get("from")),
        "to": _number(leg.get("to")),
        "recording_id": text(as_dict(leg.get("recording")).get("id")),
    }
    return {k: v for k, v in summary.items() if v is not None}


def to_call(provider: str, key: str, records: list[dict[str, Any]]) -> CallMetadata | None:
    """One session's records → a call; ``None`` when no record has a start time (skipped, with a warning
    naming the session key: :func:`~perftel.providers.tolerant.start_or_skip`).

    ``external_id`` is the session ``key``. ``started_at`` is the earliest record ``startTime`` and
    ``ended_at`` the latest record start + its duration (aware UTC); ``duration_seconds`` their
    difference in seconds. ``answered`` when a record's result says so (REFERENCE.md §4.2) or the call
    has a recording. Numbers and direction come from the earliest record.
    """
    timed = [(r, record_time(r.get("startTime"))) for r in records]
    timed = [(r, t) for r, t in timed if t is not None]
    if start_or_skip(timed[0][1] if timed else None, provider=provider, call_id=key) is None:
        return None
    first = timed[0][0]
    started = min(t for _, t in timed)
    ended = max(t + timedelta(seconds=seconds(r, provider=provider, call_id=key)) for r, t in timed)
    direction = _direction(first.get("direction"))
    parts = [r for r in records] + [
        leg for r in records for leg in r.get("legs") or [] if isinstance(leg, dict)
    ]
    participants: list[Participant] = []
    recordings: dict[str, Recording] = {}
    for part in parts:
        part_direction = _direction(part.get("direction")) if part.get("direction") else direction
        for side in ("from", "to"):
            person = _participant(part.get(side), side, part_direction)
            if person and not any(_same(p, person) for p in participants):
                participants.append(person)
        rec = as_dict(part.get("recording"))
        rec_id = text(rec.get("id"))
        if rec_id and rec_id not in recordings:
            extra = {k: str(rec[k]) for k in ("contentUri", "uri", "type") if text(rec.get(k))}
            recordings[rec_id] = Recording(
                id=rec_id, call_external_id=key, started_at=record_time(part.get("startTime")), extra=extra
            )
    # A record's own result decides (an IVR leg may say "Accepted" on a call nobody took); legs only
    # when no record has one.
    judged = records if any(r.get("result") or r.get("reason") for r in records) else parts
    outcomes = {str(p.get(k) or "").strip().lower() for p in judged for k in ("result", "reason")}
    answered = bool(outcomes & ANSWERED or recordings)
    record_ids = [str(r["id"]) for r in records if text(r.get("id"))]
    extra: dict[str, Any] = {
        "telephony_session_id": text(first.get("telephonySessionId")),
        "session_ids": sorted({str(r["sessionId"]) for r in records if text(r.get("sessionId"))}),
        "record_ids": record_ids,
        "results": [str(r.get("result")) for r in records if text(r.get("result"))],
        "legs": [
            _leg(leg, provider, key) for r in records for leg in r.get("legs") or [] if isinstance(leg, dict)
        ],
    }
    if text(first.get("action")):
        extra["action"] = str(first["action"])
    return CallMetadata(
        id=call_id_for(provider, key),
        provider=provider,
        external_id=key,
        direction=direction,
        started_at=started,
        ended_at=ended,
        duration_seconds=round((ended - started).total_seconds(), 3),
        answered=answered,
        caller_number=_number(first.get("from")),
        callee_number=_number(first.get("to")),
        participants=participants,
        recordings=list(recordings.values()),
        extra={k: v for k, v in extra.items() if v is not None},
    )
