"""RingCentral's response shapes (REFERENCE.md §4.2, §5): error bodies, call-log paging, and
call-log records → perftel's :class:`~perftel.models.CallMetadata`.

One call = one ``telephonySessionId`` (transfers and ring groups give several records, and
``view=Detailed`` adds ``legs``); records without it fall back to ``sessionId``, then ``id``.
Liberal in what it accepts: missing fields, odd cases (``"inbound"``), numbers instead of strings,
epoch times, records without ``from``/``to``, page links that drop our filters or name another host.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from perftel.dates import parse_time
from perftel.http.client import ErrorInfo, error_body
from perftel.http.pagination import Paginator
from perftel.models import CallMetadata, Direction, Participant, Recording, call_id_for


def parse_error(response: httpx.Response) -> ErrorInfo:
    """``{"errors": [{"errorCode", "message"}]}``, top-level ``errorCode``/``message``, OAuth ``error``."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    first = next((e for e in body.get("errors") or [] if isinstance(e, dict)), {})
    code = body.get("error") or first.get("errorCode") or body.get("errorCode")
    message = body.get("error_description") or first.get("message") or body.get("message")
    return ErrorInfo(str(code) if code else None, str(message) if message else None)


def number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    u = httpx.URL(str(url))
    return u.scheme, u.host.lower(), u.port or {"http": 80, "https": 443}.get(u.scheme)


class NextPage(Paginator):
    """``navigation.nextPage.uri``, with our filters kept (RingCentral's page links may drop them);
    without any navigation, a full page leads to ``page + 1``. Links to another host are followed on ours."""

    def __init__(self, base_url: str, params: dict[str, Any], provider: str) -> None:
        super().__init__()
        self.base_url, self.params, self.provider = base_url, params, provider
        self.next: tuple[str, dict[str, Any]] | None = None
        self.last: tuple[str, dict[str, Any]] = ("", params)

    def update_request(self, path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self.last = self.next or (path, params)
        return self.last

    def update_state(self, page: Any) -> None:
        page = page if isinstance(page, dict) else {}
        nav = page.get("navigation") if isinstance(page.get("navigation"), dict) else {}
        uri = (nav.get("nextPage") or {}).get("uri") if isinstance(nav.get("nextPage"), dict) else None
        path, query = self.last
        if uri:
            u = httpx.URL(str(uri))
            query = {**self.params, **dict(u.params.multi_items())}
            path = str(u.copy_with(query=None, fragment=None)) if u.is_absolute_url else u.path
            if u.is_absolute_url and origin(u) != origin(self.base_url):
                path = u.path[u.path.find("/restapi"):] if "/restapi" in u.path else u.path
        else:
            paging = page.get("paging") if isinstance(page.get("paging"), dict) else {}
            per_page, current = number(str(paging.get("perPage", ""))), number(str(paging.get("page", "")))
            if nav or not per_page or not current or len(page.get("records") or []) < per_page:
                self.has_next_page = False
                return
            query = {**query, "page": int(current) + 1}
        self._remember(f"{path}?{sorted((k, str(v)) for k, v in query.items())}", self.provider)
        self.next = (path, query)


# ``result``/``reason`` values that mean a person picked up (compared case-insensitively).
ANSWERED = {"accepted", "call connected", "connected", "answered elsewhere", "answered"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return None if value in (None, "") or isinstance(value, (dict, list)) else str(value)


def record_time(value: Any) -> datetime | None:
    """ISO-8601 (``Z``, offsets, ``+0000``) or epoch seconds/milliseconds → aware UTC datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, timezone.utc)
    text = _text(value)
    if text is None:
        return None
    moment = parse_time(text)
    if moment is None and len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        moment = parse_time(f"{text[:-2]}:{text[-2:]}")
    return moment.astimezone(timezone.utc) if moment else None


def seconds(record: dict[str, Any]) -> float:
    """``duration`` (seconds) when given, else ``durationMs``; 0 when neither parses."""
    for key, scale in (("duration", 1.0), ("durationMs", 1000.0)):
        try:
            if record.get(key) not in (None, ""):
                return max(0.0, float(record[key]) / scale)
        except (TypeError, ValueError):
            continue
    return 0.0


def session_key(record: dict[str, Any]) -> str | None:
    for key in ("telephonySessionId", "sessionId", "id"):
        value = _text(record.get(key))
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
            rid = _text(record.get("id")) or repr(sorted(record.items(), key=str))[:200]
            yield rid, key, record_time(record.get("startTime")), record


def in_time_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One session's records by start time (first seen order otherwise; untimed last)."""
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(records, key=lambda r: record_time(r.get("startTime")) or far)


def _direction(value: Any) -> Direction:
    return Direction.OUTBOUND if str(value or "").strip().lower().startswith("out") else Direction.INBOUND


def _participant(party: Any, side: str, direction: Direction) -> Participant | None:
    party = _dict(party)
    number = _text(party.get("phoneNumber")) or _text(party.get("dialerPhoneNumber" if side == "from" else "dialedPhoneNumber"))
    extension = _text(party.get("extensionNumber"))
    name = _text(party.get("name"))
    if not (number or extension or name):
        return None
    ours = (side == "to") == (direction is Direction.INBOUND)
    internal = bool(extension or party.get("extensionId"))
    return Participant(
        name=name, number=number, extension=extension, role="agent" if ours or internal else "customer",
        kind=side, external_id=_text(party.get("extensionId")),
    )


def _same(known: Participant, new: Participant) -> bool:
    """Is ``new`` (often a leg's view of a party) someone already listed?"""
    if new.extension:
        return known.extension == new.extension
    if new.number:
        return known.number == new.number
    return known.name == new.name


def _number(party: Any) -> str | None:
    party = _dict(party)
    return _text(party.get("phoneNumber")) or _text(party.get("extensionNumber"))


def _leg(leg: dict[str, Any]) -> dict[str, Any]:
    summary = {
        "leg_type": _text(leg.get("legType")), "master": leg.get("master") if isinstance(leg.get("master"), bool) else None,
        "direction": _text(leg.get("direction")), "start_time": _text(leg.get("startTime")),
        "duration": seconds(leg), "result": _text(leg.get("result")), "reason": _text(leg.get("reason")),
        "from": _number(leg.get("from")), "to": _number(leg.get("to")),
        "recording_id": _text(_dict(leg.get("recording")).get("id")),
    }
    return {k: v for k, v in summary.items() if v is not None}


def to_call(provider: str, key: str, records: list[dict[str, Any]]) -> CallMetadata | None:
    """One session's records → a call (``None`` when no record has a start time)."""
    timed = [(r, record_time(r.get("startTime"))) for r in records]
    timed = [(r, t) for r, t in timed if t is not None]
    if not timed:
        return None
    first = timed[0][0]
    started = min(t for _, t in timed)
    ended = max(t + timedelta(seconds=seconds(r)) for r, t in timed)
    direction = _direction(first.get("direction"))
    parts = [r for r in records] + [leg for r in records for leg in r.get("legs") or [] if isinstance(leg, dict)]
    participants: list[Participant] = []
    recordings: dict[str, Recording] = {}
    for part in parts:
        part_direction = _direction(part.get("direction")) if part.get("direction") else direction
        for side in ("from", "to"):
            person = _participant(part.get(side), side, part_direction)
            if person and not any(_same(p, person) for p in participants):
                participants.append(person)
        rec = _dict(part.get("recording"))
        rec_id = _text(rec.get("id"))
        if rec_id and rec_id not in recordings:
            extra = {k: str(rec[k]) for k in ("contentUri", "uri", "type") if _text(rec.get(k))}
            recordings[rec_id] = Recording(
                id=rec_id, call_external_id=key, started_at=record_time(part.get("startTime")), extra=extra
            )
    # A record's own result decides (an IVR leg may say "Accepted" on a call nobody took); legs only
    # when no record has one.
    judged = records if any(r.get("result") or r.get("reason") for r in records) else parts
    outcomes = {str(p.get(k) or "").strip().lower() for p in judged for k in ("result", "reason")}
    answered = bool(outcomes & ANSWERED or recordings)
    record_ids = [str(r["id"]) for r in records if _text(r.get("id"))]
    extra: dict[str, Any] = {
        "telephony_session_id": _text(first.get("telephonySessionId")),
        "session_ids": sorted({str(r["sessionId"]) for r in records if _text(r.get("sessionId"))}),
        "record_ids": record_ids,
        "results": [str(r.get("result")) for r in records if _text(r.get("result"))],
        "legs": [_leg(leg) for r in records for leg in r.get("legs") or [] if isinstance(leg, dict)],
    }
    if _text(first.get("action")):
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
