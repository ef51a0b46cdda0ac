"""GoTo Connect's Call Events Report → perftel's :class:`~perftel.models.CallMetadata` (REFERENCE.md §1.4).

Pure: no requests. A call is a report summary merged with its full report (participants, recordings,
call states), when the report was available. Per-leg recordings are two-channel: channel 0 is what the
participant said, channel 1 what they heard.
"""

from __future__ import annotations

from typing import Any

from perftel.models import CallMetadata, Direction, Participant, Recording, call_id_for
from perftel.providers.tolerant import as_dict, moment, plausible_end, start_or_skip, text

ANSWERED_STATES = frozenset({"ANSWERED", "CONNECTED", "ACTIVE", "BRIDGED", "TALKING"})
INTERNAL_KINDS = frozenset({"LINE", "USER", "PHONE_NUMBER", "EXTENSION"})


def to_call(provider: str, summary: dict[str, Any], report: dict[str, Any] | None) -> CallMetadata | None:
    """One call from its report summary and, when available, its report (which wins where both say).

    ``started_at``/``ended_at`` are ``callCreated``/``callEnded`` as aware UTC datetimes;
    ``duration_seconds`` is their difference in seconds (0.0 without an end, or with an end before the
    start or days after it). ``external_id`` is the ``conversationSpaceId`` (KeyError when absent).
    A call without a start time (``callCreated`` or ``startTime``) is skipped: ``None``, with a warning
    naming its id (:func:`~perftel.providers.tolerant.start_or_skip`).
    """
    data = {**summary, **(report or {})}
    space_id = str(data["conversationSpaceId"])
    started = start_or_skip(
        moment(data.get("callCreated")) or moment(data.get("startTime")), provider=provider, call_id=space_id
    )
    if started is None:
        return None
    ended = plausible_end(started, moment(data.get("callEnded")), provider=provider, call_id=space_id)
    direction = (
        Direction.OUTBOUND if str(data.get("direction", "")).upper() == "OUTBOUND" else Direction.INBOUND
    )
    participants, recordings = [], []
    for part in data.get("participants") or []:
        if not isinstance(part, dict):
            continue
        kind = as_dict(part.get("type"))
        internal = str(kind.get("value", "")).upper() in INTERNAL_KINDS
        participants.append(
            Participant(
                name=kind.get("name") or part.get("name"),
                number=kind.get("number") or kind.get("phoneNumber"),
                extension=kind.get("extensionNumber"),
                role="agent" if internal else "customer",
                kind=str(kind.get("value", "")),
                external_id=part.get("participantId"),
            )
        )
        for rec in part.get("recordings") or []:
            if isinstance(rec, dict) and text(rec.get("id")):
                recordings.append(
                    Recording(
                        id=str(rec["id"]),
                        call_external_id=space_id,
                        started_at=moment(rec.get("startTimestamp")),
                        participant=part.get("participantId"),
                        # GoTo per-leg recordings: channel 0 = what the participant said, 1 = what they heard.
                        channel_roles={0: "agent", 1: "customer"}
                        if internal
                        else {0: "customer", 1: "agent"},
                    )
                )
    states = {
        str(s.get(k, "")).upper()
        for s in data.get("callStates") or []
        if isinstance(s, dict)
        for k in ("type", "state", "name")
    }
    answered = bool(data.get("answerTime") or data.get("answered") or recordings or states & ANSWERED_STATES)
    agents = [p for p in participants if p.role == "agent"]
    customers = [p for p in participants if p.role == "customer"]
    agent_number = agents[0].extension or agents[0].number if agents else None
    customer_number = customers[0].number if customers else None
    caller, callee = (
        (customer_number, agent_number) if direction is Direction.INBOUND else (agent_number, customer_number)
    )
    return CallMetadata(
        id=call_id_for(provider, space_id),
        provider=provider,
        external_id=space_id,
        direction=direction,
        started_at=started,
        ended_at=ended,
        duration_seconds=round((ended - started).total_seconds(), 3) if ended else 0.0,
        answered=answered,
        caller_number=caller,
        callee_number=callee,
        participants=participants,
        recordings=recordings,
        extra={"account_key": data.get("accountKey"), "report_available": report is not None},
    )
