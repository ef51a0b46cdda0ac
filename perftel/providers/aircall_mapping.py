"""Aircall's wire shapes → perftel: call objects → :class:`~perftel.models.CallMetadata` (REFERENCE.md
§3.2, §5), error bodies, ``X-AircallApi-*`` headers, paging links, signed-URL lifetimes, and the two
``ApiClient`` flavours the driver uses (the API with Aircall's 429/401 rules; the credential-free media one).

Liberal in what it accepts: any key may be missing or null, times may be UNIX seconds (int, float or
a numeric string; milliseconds are recognised), or ISO-8601 strings, and extra fields are ignored.
The signed ``recording`` / ``voicemail`` URLs are never copied into the result: a recording is
identified by its call's id and its URL is asked for again right before downloading.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from perftel.dates import parse_time
from perftel.errors import ApiError, AuthError, DownloadError, RateLimitError
from perftel.http.client import ApiClient, ErrorInfo, error_body
from perftel.models import CallMetadata, Direction, Participant, Recording, call_id_for

ANONYMOUS = {"anonymous", "unknown", "private", "restricted", "withheld", "unavailable"}
MAX_RESET_WAIT = 65.0  # the budget is per minute: never pause longer on a skewed X-AircallApi-Reset
# Copied into ``extra`` as they are (never URLs: ``recording``, ``voicemail``, ``*_short_url``, ``asset``).
_EXTRA_KEYS = ("sid", "status", "missed_call_reason", "archived", "cost", "country_code_a2")


def unix_time(value: Any) -> datetime | None:
    """An Aircall time (UNIX seconds; ms, numeric strings and ISO-8601 accepted) → aware UTC, or None."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            return parse_time(text)
    if not isinstance(value, (int, float)) or value != value or value < 0:
        return None
    seconds = value / 1000.0 if value > 1e11 else float(value)  # 1e11 s is the year 5138: must be ms
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _person_name(data: dict[str, Any]) -> str | None:
    name = _text(data.get("name"))
    if name:
        return name
    full = " ".join(p for p in (_text(data.get("first_name")), _text(data.get("last_name"))) if p)
    return full or _text(data.get("company_name")) or _text(data.get("email"))


def is_anonymous(digits: str | None) -> bool:
    return digits is None or digits.strip().lower() in ANONYMOUS


def _names(items: Any) -> list[str]:
    out = []
    for item in items if isinstance(items, list) else []:
        name = _text(item.get("name") or item.get("label")) if isinstance(item, dict) else _text(item)
        if name:
            out.append(name)
    return out


def call_started_at(raw: dict[str, Any]) -> datetime | None:
    """When the call started: ``started_at``, else ``created_at``/``answered_at``/``ended_at``."""
    for key in ("started_at", "created_at", "answered_at", "ended_at"):
        moment = unix_time(raw.get(key))
        if moment is not None:
            return moment
    return None


def has_audio(raw: dict[str, Any]) -> str | None:
    """``"recording"`` or ``"voicemail"`` when the call carries that audio URL, else None."""
    for key in ("recording", "voicemail"):
        if _text(raw.get(key)):
            return key
    return None


def to_call(raw: dict[str, Any], provider: str, *, fallback_start: datetime | None = None) -> CallMetadata:
    """One Aircall call object as perftel's ``CallMetadata``. ``raw["id"]`` must be set."""
    external_id = str(raw["id"]).strip()
    started = call_started_at(raw) or fallback_start or datetime.fromtimestamp(0, timezone.utc)
    ended = unix_time(raw.get("ended_at"))
    if ended is not None and ended < started:
        ended = None
    answered_at = unix_time(raw.get("answered_at"))
    direction = Direction.OUTBOUND if str(raw.get("direction") or "").strip().lower().startswith("out") else Direction.INBOUND

    duration: float = 0
    try:
        duration = max(0, int(float(raw["duration"])))
    except (KeyError, TypeError, ValueError):
        if ended is not None:
            duration = max(0, int((ended - started).total_seconds()))

    participants: list[Participant] = []
    user = _dict(raw.get("user"))
    if user:
        participants.append(Participant(name=_person_name(user), role="agent", kind="user",
                                        external_id=_text(user.get("id"))))
    number = _dict(raw.get("number"))
    line_digits = _text(number.get("digits"))
    if number:
        participants.append(Participant(name=_text(number.get("name")), number=line_digits, kind="number",
                                        external_id=_text(number.get("id"))))
    for team in raw.get("teams") or ([raw["team"]] if isinstance(raw.get("team"), dict) else []):
        if isinstance(team, dict):
            participants.append(Participant(name=_text(team.get("name")), kind="team", external_id=_text(team.get("id"))))
    contact = _dict(raw.get("contact"))
    digits = _text(raw.get("raw_digits"))
    anonymous = digits is not None and is_anonymous(digits)  # withheld, as opposed to not given
    customer_number = None if anonymous else digits
    if digits is None:  # no raw_digits at all: a known contact's first number, if any
        phones = [_text(p.get("value")) for p in contact.get("phone_numbers") or [] if isinstance(p, dict)]
        customer_number = next((p for p in phones if p), None)
    participants.append(
        Participant(
            name=_person_name(contact) if contact else ("anonymous" if anonymous else None),
            number=customer_number,
            role="customer",
            kind="contact" if contact else ("anonymous" if anonymous else "external"),
            external_id=_text(contact.get("id")),
        )
    )
    known = {(p.kind, p.external_id) for p in participants if p.external_id}
    for extra_part in raw.get("participants") or []:  # conference participants, when Aircall lists them
        if not isinstance(extra_part, dict):
            continue
        kind = str(extra_part.get("type") or "external").lower()
        ident = _text(extra_part.get("id"))
        if ident and (kind, ident) in known:
            continue
        participants.append(Participant(
            name=_person_name(extra_part), number=_text(extra_part.get("phone_number") or extra_part.get("number")),
            role="agent" if kind == "user" else "customer", kind=kind, external_id=ident,
        ))

    recordings = []
    audio = has_audio(raw)
    if audio:
        recordings.append(Recording(
            id=external_id,  # Aircall recordings have no id: download_recording takes the call's id
            call_external_id=external_id,
            started_at=answered_at or started,
            extra={"kind": audio},
        ))

    caller, callee = (customer_number, line_digits) if direction is Direction.INBOUND else (line_digits, customer_number)
    extra: dict[str, Any] = {k: raw[k] for k in _EXTRA_KEYS if isinstance(raw.get(k), (str, int, float, bool))}
    extra.update({
        "anonymous": anonymous,
        "raw_digits": digits,
        "user_id": _text(user.get("id")),
        "number_id": _text(number.get("id")),
        "number_name": _text(number.get("name")),
        "teams": _names(raw.get("teams")),
        "tags": _names(raw.get("tags")),
        "has_recording": bool(_text(raw.get("recording"))),
        "has_voicemail": bool(_text(raw.get("voicemail"))),
    })
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


# --- the wire: error bodies, rate-limit headers, paging links, signed URLs, the two HTTP clients ---------------------------


def parse_aircall_error(response: httpx.Response) -> ErrorInfo:
    """Aircall's ``{"error", "troubleshoot", "message"}`` bodies (any may be missing)."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    error = body.get("error")
    if isinstance(error, dict):
        body, error = {**body, **error}, error.get("code") or error.get("error")
    code = error if isinstance(error, (str, int)) and error != "" else body.get("code")
    parts = [str(body[k]) for k in ("message", "troubleshoot") if body.get(k) not in (None, "")]
    return ErrorInfo(str(code) if code not in (None, "") else None, " — ".join(parts) or None)


def to_int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def reset_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until ``X-AircallApi-Reset`` (a UNIX time; small values are taken as seconds to wait)."""
    try:
        value = float(headers.get("X-AircallApi-Reset") or "")
    except ValueError:
        return None
    wait = value - (time.time() if now is None else now) if value > 1e9 else value
    return min(MAX_RESET_WAIT, max(0.0, wait))


def next_link(page: Any, base_url: str, params: dict[str, Any]) -> str | None:
    """``meta.next_page_link`` on our own host (never another), keeping our ``params`` where it lacks them."""
    meta = page.get("meta") if isinstance(page, dict) and isinstance(page.get("meta"), dict) else {}
    link = meta.get("next_page_link") or (page.get("next_page_link") if isinstance(page, dict) else None)
    if not isinstance(link, str) or not link.strip():
        return None
    parts = urlsplit(link.strip())
    path = parts.path or "/v1/calls"
    if "/v1/" in path and not path.startswith("/v1/"):
        path = path[path.index("/v1/"):]
    query = urlencode({**{k: str(v) for k, v in params.items()}, **dict(parse_qsl(parts.query, keep_blank_values=True))})
    base = urlsplit(base_url)
    if parts.netloc and (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{query}"
    return f"{path if path.startswith('/') else '/' + path}?{query}"


def url_fresh_until(url: str, default: float) -> float:
    """When a signed URL stops being surely usable: ``X-Amz-Date`` + ``X-Amz-Expires`` - 2 min, at most ``default``."""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(url).query)}
    signed, expires = query.get("x-amz-date"), to_int(query.get("x-amz-expires"))
    if signed and expires is not None:
        try:
            at = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            return default
        return min(default, at + expires - 120)
    return default


_RENEWABLE = (400, 401, 403, 410)  # what storage answers for an expired or refused signed URL


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer`` with a fixed token (Aircall's OAuth tokens do not expire)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


class AircallApiClient(ApiClient):
    """``ApiClient`` with Aircall's rules: a 429 waits until ``X-AircallApi-Reset``; 401s say what to check."""

    def error_for(self, response: httpx.Response, method: str | None = None) -> ApiError:
        error = super().error_for(response, method)
        if isinstance(error, RateLimitError) and error.retry_after is None:
            wait = reset_wait(response.headers)
            if wait is not None:
                error.retry_after = max(wait, 0.5) + random.uniform(0.05, 0.25)  # until the reset, plus jitter
        elif isinstance(error, AuthError) and response.status_code == 401:
            detail = error.message.removeprefix(f"{self.provider} API answered ")
            error.message = (f"Aircall refused the credentials ({detail}). Check the API ID and API token "
                             "(Dashboard → Integrations & API → API keys) or the partner access token.")
            error.args = (error.message,)
        return error


class MediaClient(ApiClient):
    """Downloads from the signed storage URL: no credentials; a refused link is renewed (retried)."""

    def error_for(self, response: httpx.Response, method: str | None = None) -> ApiError | DownloadError:
        error = super().error_for(response, method)
        if response.status_code in _RENEWABLE:
            return DownloadError(f"Aircall's recording link was refused ({response.status_code}); it has probably "
                                 "expired — a fresh one is asked for.", retryable=True)
        return error
