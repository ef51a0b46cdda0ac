"""Aircall call objects → perftel's :class:`~perftel.models.CallMetadata` (REFERENCE.md §3.2, §5). Pure: no requests.

Liberal in what it accepts: any key may be missing or null, times may be UNIX seconds (int, float or
a numeric string; milliseconds are recognised), or ISO-8601 strings, and extra fields are ignored.
The signed ``recording`` / ``voicemail`` URLs are never copied into the result: a recording is
identified by its call's id and its URL is asked for again right before downloading.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from perftel.models import CallMetadata, Direction, Participant, Recording, call_id_for
from perftel.providers.tolerant import (
    as_dict,
    call_seconds,
    moment,
    plausible_end,
    scalar,
    start_or_skip,
    text,
)

ANONYMOUS = {"anonymous", "unknown", "private", "restricted", "withheld", "unavailable"}
# Copied into ``extra`` as they are (never URLs: ``recording``, ``voicemail``, ``*_short_url``, ``asset``).
_EXTRA_KEYS = ("sid", "status", "missed_call_reason", "archived", "cost", "country_code_a2")


def _person_name(data: dict[str, Any]) -> str | None:
    name = text(data.get("name"))
    if name:
        return name
    full = " ".join(p for p in (text(data.get("first_name")), text(data.get("last_name"))) if p)
    return full or text(data.get("company_name")) or text(data.get("email"))


def is_anonymous(digits: str | None) -> bool:
    """True when Aircall gave no number or a placeholder for a withheld one ("anonymous", "private", …)."""
    return digits is None or digits.strip().lower() in ANONYMOUS


def _names(items: Any) -> list[str]:
    out = []
    for item in items if isinstance(items, list) else []:
        name = text(item.get("name") or item.get("label")) if isinstance(item, dict) else text(item)
        if name:
            out.append(name)
    return out


def call_started_at(raw: dict[str, Any]) -> datetime | None:
    """When the call started: ``started_at``, else ``created_at``/``answered_at``/``ended_at``."""
    for key in ("started_at", "created_at", "answered_at", "ended_at"):
        found = moment(raw.get(key))
        if found is not None:
            return found
    return None


def has_audio(raw: dict[str, Any]) -> str | None:
    """``"recording"`` or ``"voicemail"`` when the call carries that audio URL, else None."""
    for key in ("recording", "voicemail"):
        if text(raw.get(key)):
            return key
    return None


def to_call(raw: dict[str, Any], provider: str) -> CallMetadata | None:
    """One Aircall call object as perftel's ``CallMetadata``. ``raw["id"]`` must be set (KeyError otherwise).

    Times are UNIX seconds in Aircall's JSON and become aware UTC datetimes. A call with no time at all
    is skipped: ``None``, with a warning naming its id (:func:`~perftel.providers.tolerant.start_or_skip`).
    ``duration_seconds`` is Aircall's ``duration`` (whole seconds, ringing included: REFERENCE.md §3.2),
    else ``ended_at - started_at``, else 0; a ``duration`` that is not a finite length (``"inf"``, NaN,
    ``1e308``) counts as not given, with a warning naming the call id.
    """
    external_id = str(raw["id"]).strip()
    started = start_or_skip(call_started_at(raw), provider=provider, call_id=external_id)
    if started is None:
        return None
    ended = plausible_end(started, moment(raw.get("ended_at")), provider=provider, call_id=external_id)
    answered_at = moment(raw.get("answered_at"))
    direction = (
        Direction.OUTBOUND
        if str(raw.get("direction") or "").strip().lower().startswith("out")
        else Direction.INBOUND
    )

    given = call_seconds(raw.get("duration"), provider=provider, call_id=external_id)
    if given is not None:
        duration: float = int(given)
    else:
        duration = int((ended - started).total_seconds()) if ended is not None else 0

    participants: list[Participant] = []
    user = as_dict(raw.get("user"))
    if user:
        participants.append(
            Participant(name=_person_name(user), role="agent", kind="user", external_id=text(user.get("id")))
        )
    number = as_dict(raw.get("number"))
    line_digits = text(number.get("digits"))
    if number:
        participants.append(
            Participant(
                name=text(number.get("name")),
                number=line_digits,
                kind="number",
                external_id=text(number.get("id")),
            )
        )
    for team in raw.get("teams") or ([raw["team"]] if isinstance(raw.get("team"), dict) else []):
        if isinstance(team, dict):
            participants.append(
                Participant(name=text(team.get("name")), kind="team", external_id=text(team.get("id")))
            )
    contact = as_dict(raw.get("contact"))
    digits = text(raw.get("raw_digits"))
    anonymous = digits is not None and is_anonymous(digits)  # withheld, as opposed to not given
    customer_number = None if anonymous else digits
    if digits is None:  # no raw_digits at all: a known contact's first number, if any
        phones = [text(p.get("value")) for p in contact.get("phone_numbers") or [] if isinstance(p, dict)]
        customer_number = next((p for p in phones if p), None)
    participants.append(
        Participant(
            name=_person_name(contact) if contact else ("anonymous" if anonymous else None),
            number=customer_number,
            role="customer",
            kind="contact" if contact else ("anonymous" if anonymous else "external"),
            external_id=text(contact.get("id")),
        )
    )
    known = {(p.kind, p.external_id) for p in participants if p.external_id}
    for extra_part in raw.get("participants") or []:  # conference participants, when Aircall lists them
        if not isinstance(extra_part, dict):
            continue
        kind = str(extra_part.get("type") or "external").lower()
        ident = text(extra_part.get("id"))
        if ident and (kind, ident) in known:
            continue
        participants.append(
            Participant(
                name=_person_name(extra_part),
                number=text(extra_part.get("phone_number") or extra_part.get("number")),
                role="agent" if kind == "user" else "customer",
                kind=kind,
                external_id=ident,
            )
        )

    recordings = []
    audio = has_audio(raw)
    if audio:
        recordings.append(
            Recording(
                id=external_id,  # Aircall recordings have no id: download_recording takes the call's id
                call_external_id=external_id,
                started_at=answered_at or started,
                extra={"kind": audio},
            )
        )

    caller, callee = (
        (customer_number, line_digits) if direction is Direction.INBOUND else (line_digits, customer_number)
    )
    extra: dict[str, Any] = {k: raw[k] for k in _EXTRA_KEYS if scalar(raw.get(k)) is not None}
    extra.update(
        {
            "anonymous": anonymous,
            "raw_digits": digits,
            "user_id": text(user.get("id")),
            "number_id": text(number.get("id")),
            "number_name": text(number.get("name")),
            "teams": _names(raw.get("teams")),
            "tags": _names(raw.get("tags")),
            "has_recording": bool(text(raw.get("recording"))),
            "has_voicemail": bool(text(raw.get("voicemail"))),
        }
    )
    if "missed_call_reason" not in extra:
        extra["missed_call_reason"] = None
    return CallMetadata(
        id=call_id_for(provider, external_id),
        provider=provider,
        external_id=external_id,
        direction=direction,
        started_at=started,
        ended_at=ended,
        duration_seconds=duration,
        answered=raw.get("answered_at") not in (None, ""),
        caller_number=caller,
        callee_number=callee,
        participants=participants,
        recordings=recordings,
        extra=extra,
    )
