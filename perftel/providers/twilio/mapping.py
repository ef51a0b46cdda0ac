"""Twilio call and recording JSON → perftel's :class:`~perftel.models.CallMetadata` (REFERENCE.md §2, §5).

Everything here is liberal in what it accepts: any field may be missing, ``null``, empty or of an
unexpected type, and unknown values (a new ``direction``, a new recording ``status``) are kept raw in
``extra`` instead of failing. No requests are made here.

Rules:

* A conversation is a **parent leg** plus the child legs it created (``<Dial>``: ``parent_call_sid``).
  Child legs are folded into their parent's call (participants, ``extra["child_legs"]``); recordings
  point at the parent leg (the spec says so), a recording naming a child leg is attached to its parent.
* Times are RFC 2822 (``Fri, 18 Oct 2019 17:00:00 +0000``); ISO-8601 is accepted too.
* ``duration`` is seconds as a string; empty/``null`` (unanswered, busy, ongoing) means 0.
* Answered: the parent's ``status`` is ``completed`` and, when it dialled child legs, one of them is
  ``completed`` too (a parent Twilio answered whose every ``<Dial>`` went unanswered is a missed call).
* Direction: ``inbound`` and ``trunking-originating`` are inbound; ``outbound-*`` and
  ``trunking-terminating`` outbound; anything else is guessed from the text (default inbound) and the raw
  value is always in ``extra["direction"]``.
* Dual-channel recordings: Twilio channel 1 = parent leg, channel 2 = child leg; perftel channels are
  0-based, so ``channel_roles = {0: <parent leg's party>, 1: <the other party>}``. The parent leg's
  far end is the *agent* when it is a ``client:``/``sip:`` address, else the *customer*.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from perftel.models import CallMetadata, Direction, Participant, Recording, call_id_for
from perftel.providers.tolerant import (
    LATEST,
    call_seconds,
    plausible_end,
    scalar,
    start_or_skip,
    text,
    to_float,
)
from perftel.providers.tolerant import moment as iso_moment

NOT_READY_STATUSES = frozenset({"in-progress", "paused", "stopped", "processing"})
_CALL_EXTRA_KEYS = (
    "direction",
    "status",
    "parent_call_sid",
    "answered_by",
    "caller_name",
    "forwarded_from",
    "queue_time",
    "price",
    "price_unit",
    "account_sid",
    "phone_number_sid",
    "trunk_sid",
    "group_sid",
    "from_formatted",
    "to_formatted",
)


def parse_twilio_time(value: Any) -> datetime | None:
    """RFC 2822 (Twilio's format) or ISO-8601 → aware UTC datetime; None when absent or unparseable."""
    raw = text(value)
    if raw is None:
        return None
    try:
        found = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return iso_moment(raw)
    try:
        found = found.replace(tzinfo=timezone.utc) if found.tzinfo is None else found.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
    return found if found < LATEST else None  # far-future placeholders are no times (tolerant.moment)


def parse_seconds(value: Any) -> float | None:
    """Twilio's string seconds (``"307"``, ``"12.5"``) → float; None for empty, negative or garbage."""
    seconds = to_float(value)
    return seconds if seconds is not None and seconds >= 0 else None


def direction_of(raw: Any) -> Direction:
    """A Twilio ``direction`` as perftel's: ``inbound``/``trunking-originating`` in; ``outbound-*``,
    ``trunking-terminating`` out; otherwise guessed from the text, inbound when unknown or missing.
    """
    value = (text(raw) or "").lower()
    if value in ("inbound", "trunking-originating"):
        return Direction.INBOUND
    if value.startswith("outbound") or value == "trunking-terminating":
        return Direction.OUTBOUND
    if "out" in value or "terminat" in value:
        return Direction.OUTBOUND
    return Direction.INBOUND  # unknown or missing: the raw value stays in extra["direction"]


def is_agent_address(address: Any) -> bool:
    """Twilio Client identities and SIP addresses are people on the business side."""
    value = (text(address) or "").lower()
    return value.startswith(("client:", "sip:")) or "@" in value


def _other(role: str) -> str:
    return "customer" if role == "agent" else "agent"


def parent_party_role(parent: dict[str, Any]) -> str:
    """Who is on the far end of the parent leg (Twilio's channel 1): "agent" or "customer"."""
    inbound = direction_of(parent.get("direction")) is Direction.INBOUND
    remote = parent.get("from") if inbound else parent.get("to")
    return "agent" if is_agent_address(remote) else "customer"


def channel_roles_for(parent: dict[str, Any] | None, recording: dict[str, Any]) -> dict[int, str]:
    """perftel channel → role for a recording; empty when it is mono, a conference or unknown."""
    channels = recording.get("channels")
    if parent is None or channels != 2 or text(recording.get("conference_sid")):
        return {}
    first = parent_party_role(parent)
    return {0: first, 1: _other(first)}


def to_recording(data: dict[str, Any], call_sid: str, parent: dict[str, Any] | None) -> Recording:
    """One Twilio recording row (``data["sid"]`` required, KeyError otherwise) as a :class:`Recording` of call
    ``call_sid``; ``channel_roles`` from ``parent`` (see :func:`channel_roles_for`).

    ``started_at`` is ``start_time``, else ``date_created`` (aware UTC); Twilio's ``duration`` (seconds, as
    text), ``status``, ``source``, … are kept in ``extra``.
    """
    channels = data.get("channels")
    return Recording(
        id=str(data["sid"]),
        call_external_id=call_sid,
        started_at=parse_twilio_time(data.get("start_time")) or parse_twilio_time(data.get("date_created")),
        channels=channels
        if isinstance(channels, int) and not isinstance(channels, bool) and channels > 0
        else None,
        channel_roles=channel_roles_for(parent, data),
        extra={
            key: data.get(key)
            for key in (
                "status",
                "source",
                "duration",
                "conference_sid",
                "track",
                "date_created",
                "error_code",
            )
            if scalar(data.get(key)) is not None
        },
    )


def call_start(data: dict[str, Any]) -> datetime | None:
    """When a leg started: ``start_time``, else ``date_created`` (aware UTC); None when neither parses."""
    return parse_twilio_time(data.get("start_time")) or parse_twilio_time(data.get("date_created"))


def _status(data: dict[str, Any]) -> str:
    return (text(data.get("status")) or "").lower()


def _leg_summary(leg: dict[str, Any]) -> dict[str, Any]:
    return {  # JSON scalars as given (non-finite numbers, objects: None)
        key: scalar(leg.get(key))
        for key in ("sid", "status", "direction", "from", "to", "duration", "start_time")
    }


def build_call(
    provider: str,
    parent: dict[str, Any],
    children: Iterable[dict[str, Any]] = (),
    recordings: Iterable[dict[str, Any]] = (),
) -> CallMetadata | None:
    """One conversation from its parent leg, child legs and recording rows; None if it has no sid or no
    start time (the latter skipped with a warning naming the sid:
    :func:`~perftel.providers.tolerant.start_or_skip`).

    ``external_id`` is the parent leg's SID; ``started_at``/``ended_at`` its ``start_time``/``end_time``
    (aware UTC; an end before the start or days after it is None); ``duration_seconds`` its ``duration``
    in seconds, else ``end - start`` for a completed leg, else 0 (a ``duration`` that is not a finite length
    of at most two days, e.g. ``"inf"``, counts as not given, with a warning). Only ``completed`` recordings
    of the call's legs are listed (the rules are in the module docstring).
    """
    sid = text(parent.get("sid"))
    if sid is None:
        return None
    started = start_or_skip(call_start(parent), provider=provider, call_id=sid)
    if started is None:
        return None
    children = sorted(
        (c for c in children if isinstance(c, dict)),
        key=lambda c: (call_start(c) or started, text(c.get("sid")) or ""),
    )
    direction = direction_of(parent.get("direction"))
    ended = plausible_end(started, parse_twilio_time(parent.get("end_time")), provider=provider, call_id=sid)
    duration = call_seconds(parent.get("duration"), provider=provider, call_id=sid)
    if duration is None:
        duration = (ended - started).total_seconds() if ended and _status(parent) == "completed" else 0.0

    answered_children = [c for c in children if _status(c) == "completed"]
    answered = _status(parent) == "completed" and (not children or bool(answered_children))

    first = parent_party_role(parent)
    inbound = direction is Direction.INBOUND
    far, near = ("from", "to") if inbound else ("to", "from")
    participants = [
        Participant(
            name=text(parent.get("caller_name")) if far == "from" else None,
            number=text(parent.get(far)),
            role=first,
            kind=far,
            external_id=sid,
        ),
        Participant(
            name=text(parent.get("caller_name")) if near == "from" else None,
            number=text(parent.get(near)),
            role=_other(first),
            kind=near,
            external_id=sid,
        ),
    ]
    for child in children:
        participants.append(
            Participant(
                number=text(child.get("to")),
                role=_other(first),
                kind="dialed",
                external_id=text(child.get("sid")),
            )
        )

    # Caller/callee from the business's point of view: the customer calls in, the agent calls out.
    caller, callee = text(parent.get("from")), text(parent.get("to"))
    if children:
        reached = text((answered_children or children)[-1].get("to"))
        customer, agent = (
            (text(parent.get(far)), reached) if first == "customer" else (reached, text(parent.get(far)))
        )
        caller, callee = (customer, agent) if inbound else (agent, customer)

    legs = {sid, *(text(c.get("sid")) for c in children)}
    ready, not_ready, unavailable = [], [], []
    seen: set[str] = set()
    for rec in recordings:
        rec_sid = text(rec.get("sid")) if isinstance(rec, dict) else None
        if rec_sid is None or rec_sid in seen or text(rec.get("call_sid")) not in legs:
            continue
        seen.add(rec_sid)
        status = _status(rec)
        if status == "completed":
            ready.append(to_recording({**rec, "sid": rec_sid}, sid, parent))
        elif status in NOT_READY_STATUSES:
            not_ready.append(rec_sid)
        else:
            unavailable.append(
                {"sid": rec_sid, "status": rec.get("status"), "error_code": rec.get("error_code")}
            )
    ready.sort(key=lambda r: (r.started_at or started, r.id))

    extra: dict[str, Any] = {
        key: parent.get(key) for key in _CALL_EXTRA_KEYS if scalar(parent.get(key)) is not None
    }
    extra["direction"] = parent.get("direction")
    if children:
        extra["child_call_sids"] = [text(c.get("sid")) for c in children]
        extra["child_legs"] = [_leg_summary(c) for c in children]
    if not_ready:
        extra["recordings_not_ready"] = not_ready
    if unavailable:
        extra["recordings_unavailable"] = unavailable
    return CallMetadata(
        id=call_id_for(provider, sid),
        provider=provider,
        external_id=sid,
        direction=direction,
        started_at=started,
        ended_at=ended,
        duration_seconds=round(duration, 3),
        answered=answered,
        caller_number=caller,
        callee_number=callee,
        participants=participants,
        recordings=ready,
        extra=extra,
    )
