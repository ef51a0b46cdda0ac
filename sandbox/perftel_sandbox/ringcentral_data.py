"""Deterministic RingCentral call-log data for the sandbox: the same (seed, UTC day) always gives the
same sessions, whatever window a client asks for.

Per day about ``calls_per_day`` sessions (weekdays ×1.2, weekends ×0.5), mostly 08–18 UTC; ~60 %
inbound; ~78 % answered (inbound ``Accepted``, outbound ``Call connected``; missed ones ``Missed``,
``Voicemail``, ``No Answer`` or ``Busy``); ~75 % of answered calls recorded (``audio/wav`` from the
sandbox's media files); ~1 in 6 answered inbound calls is transferred: two records (one per
extension) sharing one ``telephonySessionId``, each possibly with its own recording. Detailed-view
``legs`` follow the spec's ``CallLogRecordLegInfo``.

Records are kept with *paths* in their ``uri``/``contentUri`` fields; the sandbox prefixes its
platform or media base URL when answering. A recording id's leading digits are its day (days
since 1970), so any id can be resolved without state. Standard library only.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from perftel_sandbox.common_data import AGENTS, CALLER_ID_NAMES, EPOCH, iso, phone_number, poisson, rng_for

MAIN_NUMBER = "+16505550100"
_SUFFIX = 10**7  # recording id = f"{day}{7 digits}"


@dataclass(frozen=True)
class Extension:
    """A user extension: numeric id, extension number, display name and spoken language."""

    id: int
    number: str
    name: str
    language: str


@dataclass(frozen=True)
class RecordingFile:
    """A recording: id (its day in the leading digits), language, media index, duration in seconds."""

    id: str
    language: str
    media_index: int
    duration: int  # seconds


@dataclass
class Session:
    """One call: its records (Detailed view, paths instead of URLs), extensions and recordings."""

    telephony_session_id: str
    started: datetime
    ended: datetime
    records: list[dict]
    recordings: list[RecordingFile] = field(default_factory=list)

    def extension_ids(self) -> set[int]:
        """The ids of the extensions with a record in this session."""
        return {r["extension"]["id"] for r in self.records}


def account_id(seed: int) -> str:
    """The sandbox account's id (12 digits) for ``seed``."""
    return str(rng_for(seed, "rc-account").randrange(10**11, 10**12))


def extensions(seed: int) -> tuple[Extension, ...]:
    """The account's extensions, one per roster agent (the first is the JWT user)."""
    rng = rng_for(seed, "rc-extensions")
    base = rng.randrange(10**11, 10**12 - 10**6)
    return tuple(Extension(base + i * 1009, str(101 + i), a.name, a.language) for i, a in enumerate(AGENTS))


def day_of_recording(recording_id: str) -> date | None:
    """The UTC day a recording id carries (its digits before the last seven), or ``None``."""
    if not recording_id.isdigit() or len(recording_id) <= 7:
        return None
    try:
        return EPOCH + timedelta(days=int(recording_id) // _SUFFIX)
    except OverflowError:
        return None


def _record_id(rng) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "A" + "".join(rng.choice(alphabet) for _ in range(14))


def _party(
    number: str | None, ext: Extension | None = None, name: str | None = None, location: str | None = None
):
    party: dict = {}
    if number:
        party["phoneNumber"] = number
    if ext is not None:
        party.update(extensionNumber=ext.number, extensionId=str(ext.id), name=ext.name)
    elif name:
        party["name"] = name
    if location:
        party["location"] = location
    return party


@lru_cache(maxsize=1024)
def sessions_for_day(seed: int, day: date, calls_per_day: float) -> tuple[Session, ...]:
    """All sessions started on ``day`` (UTC), sorted by start. Cached; callers copy before changing."""
    rng = rng_for(seed, "rc", day.isoformat())
    count = poisson(rng, calls_per_day * (1.2 if day.weekday() < 5 else 0.5))
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    exts, acc = extensions(seed), account_id(seed)
    sessions = [_session(rng, day, start, exts, acc) for _ in range(count)]
    sessions.sort(key=lambda s: (s.started, s.telephony_session_id))
    return tuple(sessions)


def _session(rng, day: date, day_start: datetime, exts: tuple[Extension, ...], acc: str) -> Session:
    offset = rng.uniform(0, 86400) if rng.random() < 0.08 else rng.uniform(8 * 3600, 18 * 3600)
    started = day_start + timedelta(milliseconds=int(offset * 1000))
    agent = rng.choice(exts)
    inbound, answered = rng.random() < 0.6, rng.random() < 0.78
    anonymous = inbound and rng.random() < 0.06
    customer = None if anonymous else phone_number(rng, agent.language)
    caller_name = rng.choice(CALLER_ID_NAMES) if inbound and rng.random() < 0.2 else None
    ring = rng.uniform(3, 12) if answered else rng.uniform(5, 40)
    talk = min(rng.expovariate(1 / 200), 880) if answered else 0.0
    total = max(20.0, ring + talk) if answered else ring
    transfer = inbound and answered and talk > 60 and rng.random() < 0.3
    tsid = (
        "s-"
        + "".join(rng.choice("0123456789abcdef") for _ in range(28))
        + "z"
        + f"{rng.getrandbits(40):010x}"
    )
    session_id = str(rng.randrange(10**10, 10**11))
    if inbound:
        result = "Accepted" if answered else rng.choice(["Missed", "Missed", "Voicemail"])
    else:
        result = "Call connected" if answered else rng.choice(["No Answer", "No Answer", "Busy"])
    reason = {
        "Accepted": "Accepted",
        "Call connected": "Connected",
        "Missed": "Not Answered",
        "Voicemail": "Not Answered",
        "No Answer": "No Answer",
        "Busy": "Line Busy",
    }[result]
    international = customer is not None and not customer.startswith("+1")
    segments = [(agent, started, total)]
    if transfer:
        cut = ring + rng.uniform(30, talk - 10)
        other = rng.choice([e for e in exts if e.language == agent.language and e != agent] or list(exts))
        segments = [(agent, started, cut), (other, started + timedelta(seconds=cut), total - cut)]
    records, recordings = [], []
    for index, (ext, at, length) in enumerate(segments):
        rid = _record_id(rng)
        duration_ms = int(length * 1000)
        if inbound:
            frm = _party(
                customer,
                name=caller_name or ("Anonymous" if anonymous else None),
                location=None if anonymous else "Sandbox City",
            )
            to = _party(MAIN_NUMBER, ext)
        else:
            frm, to = _party(MAIN_NUMBER, ext), _party(customer, location="Sandbox City")
        record: dict = {
            "uri": f"/restapi/v1.0/account/{acc}/call-log/{rid}",
            "id": rid,
            "sessionId": session_id,
            "telephonySessionId": tsid,
            "partyId": f"p-{tsid[2:]}-{index + 1}",
            "startTime": iso(at),
            "duration": int(round(length)),
            "durationMs": duration_ms,
            "type": "Voice",
            "direction": "Inbound" if inbound else "Outbound",
            "action": ("Transfer" if index else "Phone Call") if inbound else "VoIP Call",
            "result": result,
            "reason": reason,
            "from": frm,
            "to": to,
            "extension": {"uri": f"/restapi/v1.0/account/{acc}/extension/{ext.id}", "id": ext.id},
            "transport": "PSTN",
            "internalType": "International" if international else "Local",
            "finished": True,
            "lastModifiedTime": iso(at + timedelta(milliseconds=duration_ms, seconds=25)),
        }
        if answered and rng.random() < 0.75:
            rec_id = str(((day - EPOCH).days) * _SUFFIX + rng.randrange(_SUFFIX))
            recordings.append(RecordingFile(rec_id, ext.language, rng.randrange(1000), int(round(length))))
            record["recording"] = {
                "uri": f"/restapi/v1.0/account/{acc}/recording/{rec_id}",
                "id": rec_id,
                "type": rng.choice(["Automatic", "Automatic", "OnDemand"]),
                "contentUri": f"/restapi/v1.0/account/{acc}/recording/{rec_id}/content",
            }
        master = {
            k: copy.deepcopy(v)
            for k, v in record.items()
            if k not in ("uri", "id", "sessionId", "lastModifiedTime", "recording")
        }
        master.update(
            legType="PstnToSip" if inbound else "SipToPstnMetered",
            master=True,
            to=_party(MAIN_NUMBER) if inbound else to,
        )
        accept = {k: copy.deepcopy(v) for k, v in master.items()}
        accept.update(
            legType="Accept" if inbound else "RingOutWebToSubscriber",
            master=False,
            to=_party(None, ext),
            action="Phone Call",
        )
        if "recording" in record:
            accept["recording"] = copy.deepcopy(record["recording"])
        record["legs"] = [master, accept]
        records.append(record)
    ended = started + timedelta(seconds=total)
    return Session(tsid, started, ended, records, recordings)
