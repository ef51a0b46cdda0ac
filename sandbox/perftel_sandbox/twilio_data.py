"""Deterministic Twilio call data for the sandbox: the same (seed, UTC day) always gives the same
conversations, whatever window a client asks for. Standard library only.

A *conversation* is a parent call leg plus the child legs its ``<Dial>`` created, and its recordings
(which point at the parent leg, as the spec says). Per day about ``calls_per_day`` conversations:

* inbound (~60 %): a customer calls one of the account's numbers; when answered, a child leg
  (``outbound-dial``) rings an agent (``client:…`` or ``sip:…``), sometimes a first agent misses and a
  second picks up; missed calls are a parent Twilio answered whose child went unanswered, or a parent
  that itself ended ``no-answer`` / ``busy`` / ``canceled`` / ``failed``;
* click-to-call (~25 %): ``outbound-api`` to the agent's ``client:``, whose child dials the customer;
* direct outbound (~15 %): ``outbound-api`` straight to the customer, one leg, mono recordings.

About 75 % of answered conversations are recorded: dual-channel ``DialVerb`` recordings for two-leg
calls (some mono), mono for one-leg calls; ~8 % still ``processing``, a few ``in-progress`` or
``absent``. With ``odd=True`` some rows are odd but legal: ``null``/empty durations, an unknown
``direction`` value, unicode caller names, fields the spec does not list (``EXTRA_CALL_FIELDS``).

SIDs are ``CA``/``RE`` + 32 hex digits whose first 32 bits carry the day (see ``common_data.day_of_id``), so
any SID resolves without state.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from functools import lru_cache

from perftel_sandbox.common_data import (
    AGENTS,
    CALLER_ID_NAMES,
    day_of_id,
    day_uuid,
    phone_number,
    poisson,
    rng_for,
)

API_VERSION = "2010-04-01"
EXTRA_CALL_FIELDS = ("region", "edge")  # odd rows carry these fields the spec does not list
UNKNOWN_DIRECTION = "trunking-transfer"  # not a documented value: clients must cope
OUR_NUMBERS = {"en": "+14155550100", "pt": "+551130040100"}
_RECORDING_STATUSES = ((0.08, "processing"), (0.12, "in-progress"), (0.14, "absent"))  # else completed
CALL_SUBRESOURCES = (
    "notifications",
    "recordings",
    "payments",
    "events",
    "siprec",
    "streams",
    "transcriptions",
    "user_defined_message_subscriptions",
    "user_defined_messages",
)


def rfc2822(moment: datetime | None) -> str | None:
    """``Fri, 18 Oct 2019 17:00:00 +0000``."""
    if moment is None:
        return None
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0))


def formatted(number: str) -> str:
    """A number as Twilio's ``*_formatted`` fields show it: ``(415) 555-0100`` for +1, else unchanged."""
    if number.startswith("+1") and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


def sid_for(prefix: str, rng: random.Random, day: date, seed: int) -> str:
    """A SID (``prefix`` + 32 hex digits) drawn from ``rng`` that carries ``day`` (see :func:`day_of_sid`)."""
    return prefix + uuid.UUID(day_uuid(rng, day, seed)).hex


def day_of_sid(sid: str, seed: int) -> date | None:
    """The UTC day a SID made by :func:`sid_for` carries, or ``None`` if it cannot be one."""
    if len(sid) != 34 or not sid[:2].isalpha():
        return None
    return day_of_id(sid[2:], seed)


def account_ids(seed: int) -> dict[str, str]:
    """The account's ids and secrets for ``seed``: ``account_sid``, ``auth_token``, ``api_key_sid``,
    ``api_key_secret``, ``phone_number_en``, ``phone_number_pt`` (sandbox-only values)."""
    rng = rng_for(seed, "twilio-account")
    return {
        "account_sid": "AC" + rng.randbytes(16).hex(),
        "auth_token": rng.randbytes(16).hex(),
        "api_key_sid": "SK" + rng.randbytes(16).hex(),
        "api_key_secret": rng.randbytes(16).hex(),
        "phone_number_en": "PN" + rng.randbytes(16).hex(),
        "phone_number_pt": "PN" + rng.randbytes(16).hex(),
    }


@dataclass(frozen=True)
class MediaInfo:
    """Which media file a recording serves (language, index) and whether its channels are swapped."""

    language: str
    media_index: int  # index into the language's media files, resolved by the sandbox
    swap: bool  # the parent leg is the customer: the agent-left media files are served swapped


@dataclass
class CallLegs:
    """A parent call leg, its child legs and recordings, UTC start/end, and each recording's media."""

    legs: list[dict]  # Twilio call resources; legs[0] is the parent
    recordings: list[dict]  # account-level recording resources (without media_url)
    started: datetime
    ended: datetime
    media: dict[str, MediaInfo] = field(default_factory=dict)

    @property
    def sid(self) -> str:
        """The parent leg's Call SID."""
        return self.legs[0]["sid"]


def _handle(agent) -> str:
    return (
        unicodedata.normalize("NFKD", agent.name.split()[0].lower()).encode("ascii", "ignore").decode()
        or "agent"
    )


def _agent_address(rng: random.Random, agent) -> str:
    handle = _handle(agent)
    return f"client:{handle}" if rng.random() < 0.6 else f"sip:{agent.extension}@pbx.sandbox.example"


def _leg(
    ids: dict,
    sid: str,
    *,
    parent: str | None,
    direction: str,
    status: str,
    frm: str,
    to: str,
    start: datetime,
    end: datetime,
    duration: str | None,
    caller_name: str | None = None,
    phone_number_sid: str | None = None,
) -> dict:
    base = f"/{API_VERSION}/Accounts/{ids['account_sid']}/Calls/{sid}"
    return {
        "sid": sid,
        "date_created": rfc2822(start - timedelta(seconds=1)),
        "date_updated": rfc2822(end + timedelta(seconds=1)),
        "parent_call_sid": parent,
        "account_sid": ids["account_sid"],
        "to": to,
        "to_formatted": formatted(to),
        "from": frm,
        "from_formatted": formatted(frm),
        "phone_number_sid": phone_number_sid,
        "status": status,
        "start_time": rfc2822(start),
        "end_time": rfc2822(end),
        "duration": duration,
        "price": "-0.0085" if status == "completed" else None,
        "price_unit": "USD",
        "direction": direction,
        "answered_by": None,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": caller_name,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": f"{base}.json",
        "subresource_uris": {
            name: f"{base}/{''.join(w.title() for w in name.split('_'))}.json" for name in CALL_SUBRESOURCES
        },
    }


def _recording(
    ids: dict,
    rng: random.Random,
    day: date,
    seed: int,
    call_sid: str,
    answered: datetime,
    ended: datetime,
    channels: int,
    source: str,
) -> dict:
    roll = rng.random()
    status = next((name for below, name in _RECORDING_STATUSES if roll < below), "completed")
    sid = sid_for("RE", rng, day, seed)
    base = f"/{API_VERSION}/Accounts/{ids['account_sid']}/Recordings/{sid}"
    done = status == "completed"
    return {
        "account_sid": ids["account_sid"],
        "api_version": API_VERSION,
        "call_sid": call_sid,
        "conference_sid": None,
        "date_created": rfc2822(ended + timedelta(seconds=rng.randrange(1, 4))),
        "date_updated": rfc2822(ended + timedelta(seconds=rng.randrange(5, 15))),
        "start_time": rfc2822(answered),
        "duration": str(int((ended - answered).total_seconds())) if done else None,
        "sid": sid,
        "price": "-0.0025" if done else None,
        "price_unit": "USD",
        "status": status,
        "channels": channels,
        "source": source,
        "error_code": 16103 if status == "absent" else None,
        "uri": f"{base}.json",
        "encryption_details": None,
        "subresource_uris": {
            "add_on_results": f"{base}/AddOnResults.json",
            "transcriptions": f"{base}/Transcriptions.json",
        },
    }


@lru_cache(maxsize=1024)
def conversations_for_day(seed: int, day: date, calls_per_day: float, odd: bool) -> tuple[CallLegs, ...]:
    """All conversations whose parent leg starts on ``day`` (UTC), by start. Cached; do not mutate."""
    rng = rng_for(seed, "twilio", day.isoformat())
    ids = account_ids(seed)
    count = poisson(rng, calls_per_day * (1.2 if day.weekday() < 5 else 0.5))
    day_start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    found = [_conversation(rng, seed, day, day_start, ids, odd) for _ in range(count)]
    found.sort(key=lambda c: (c.started, c.sid))
    return tuple(found)


def _conversation(
    rng: random.Random, seed: int, day: date, day_start: datetime, ids: dict, odd: bool
) -> CallLegs:
    at_night = rng.random() < 0.08
    offset = rng.uniform(0, 86399) if at_night else rng.uniform(8 * 3600, 18 * 3600)
    start = (day_start + timedelta(seconds=offset)).replace(microsecond=0)
    agent, second = rng.sample(AGENTS, 2)
    lang = agent.language
    ours, customer = OUR_NUMBERS[lang], phone_number(rng, lang)
    pn = ids[f"phone_number_{lang}"]
    kind = rng.choices(("inbound", "click", "direct"), (60, 25, 15))[0]
    answered = rng.random() < 0.75
    ring = rng.randrange(3, 15)
    talk = rng.randrange(25, 600)
    missed_duration = rng.choice([None, "", "0"]) if odd else "0"
    caller_name = rng.choice(CALLER_ID_NAMES) if kind == "inbound" and rng.random() < 0.3 else None
    parent_sid = sid_for("CA", rng, day, seed)
    legs: list[dict] = []
    media_index = rng.randrange(1000)
    recorded, dual = rng.random() < 0.75, rng.random() < 0.85

    def leg(**kw) -> dict:
        return _leg(ids, kw.pop("sid", None) or sid_for("CA", rng, day, seed), **kw)

    answer_at = start + timedelta(seconds=ring)
    end = (
        answer_at + timedelta(seconds=talk)
        if answered
        else start + timedelta(seconds=ring + rng.randrange(5, 30))
    )
    if kind == "inbound":
        direction = UNKNOWN_DIRECTION if odd and rng.random() < 0.04 else "inbound"
        if answered or rng.random() < 0.6:  # Twilio answers the parent and <Dial>s an agent
            legs.append(
                leg(
                    sid=parent_sid,
                    parent=None,
                    direction=direction,
                    status="completed",
                    frm=customer,
                    to=ours,
                    start=start,
                    end=end,
                    duration=str(int((end - start).total_seconds())),
                    caller_name=caller_name,
                    phone_number_sid=pn,
                )
            )
            first_at = start + timedelta(seconds=2)
            if answered and rng.random() < 0.15:  # the first agent misses, the second answers
                miss_end = first_at + timedelta(seconds=ring)
                legs.append(
                    leg(
                        parent=parent_sid,
                        direction="outbound-dial",
                        status="no-answer",
                        frm=ours,
                        to=_agent_address(rng, second),
                        start=first_at,
                        end=miss_end,
                        duration=missed_duration,
                    )
                )
                first_at = miss_end + timedelta(seconds=1)
            status = "completed" if answered else rng.choice(["no-answer", "busy"])
            legs.append(
                leg(
                    parent=parent_sid,
                    direction="outbound-dial",
                    status=status,
                    frm=ours,
                    to=_agent_address(rng, agent),
                    start=first_at,
                    end=end - timedelta(seconds=1),
                    duration=str(int((end - first_at).total_seconds()) - 1) if answered else missed_duration,
                )
            )
        else:
            legs.append(
                leg(
                    sid=parent_sid,
                    parent=None,
                    direction=direction,
                    frm=customer,
                    to=ours,
                    status=rng.choice(["no-answer", "busy", "canceled", "failed"]),
                    start=start,
                    end=end,
                    duration=missed_duration,
                    caller_name=caller_name,
                    phone_number_sid=pn,
                )
            )
    elif kind == "click":
        client = f"client:{_handle(agent)}"
        legs.append(
            leg(
                sid=parent_sid,
                parent=None,
                direction="outbound-api",
                status="completed",
                frm=ours,
                to=client,
                start=start,
                end=end,
                duration=str(int((end - start).total_seconds())),
            )
        )
        legs.append(
            leg(
                parent=parent_sid,
                direction="outbound-dial",
                status="completed" if answered else rng.choice(["no-answer", "busy"]),
                frm=ours,
                to=customer,
                start=start + timedelta(seconds=2),
                end=end - timedelta(seconds=1),
                duration=str(talk) if answered else missed_duration,
            )
        )
    else:
        direction = "trunking-terminating" if rng.random() < 0.1 else "outbound-api"
        legs.append(
            leg(
                sid=parent_sid,
                parent=None,
                direction=direction,
                status="completed" if answered else rng.choice(["no-answer", "busy", "failed"]),
                frm=ours,
                to=customer,
                start=start,
                end=end,
                duration=str(int((end - start).total_seconds())) if answered else missed_duration,
            )
        )
        dual = False
    if odd and rng.random() < 0.05:
        legs[0].update({"region": "us1", "edge": "ashburn"})
    conversation = CallLegs(legs=legs, recordings=[], started=start, ended=end)
    if answered and recorded:
        channels = 2 if dual else 1
        source = (
            "DialVerb"
            if len(legs) > 1
            else rng.choice(["OutboundAPI", "StartCallRecordingAPI", "RecordVerb"])
        )
        rec = _recording(ids, rng, day, seed, parent_sid, answer_at, end, channels, source)
        conversation.recordings.append(rec)
        conversation.media[rec["sid"]] = MediaInfo(lang, media_index, swap=kind == "inbound")
    return conversation


def call_recording(rec: dict) -> dict:
    """The call-scoped shape of a recording (``/Calls/{CallSid}/Recordings``): ``track``, numeric price."""
    out = dict(rec)
    out["track"] = "both"
    out["price"] = float(rec["price"]) if rec.get("price") is not None else None
    out["channels"] = rec.get("channels") or 1
    return out
