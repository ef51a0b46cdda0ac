"""Aircall Public API v1 emulator (REFERENCE.md §3; no official spec exists — see the options below).

Routes (relative to ``base_url``; ``/v1`` routes need HTTP Basic ``api_id:api_token`` or
``Authorization: Bearer <access_token>``)::

    GET /v1/ping                      {"ping": "pong"}
    GET /v1/calls                     from/to (UNIX s, creation time), order asc|desc, page, per_page;
                                      {"calls": [...], "meta": {count, total, current_page, per_page,
                                      next_page_link, previous_page_link}}; stops at ``listing_cap`` items
    GET /v1/calls/{id}                {"call": {...}} with freshly signed recording/voicemail URLs
    GET /recordings/{id}.mp3?X-Amz-…  the audio, on the *other* host name (S3-like: signed, expiring,
    GET /voicemails/{id}.mp3?X-Amz-…  403 when expired or tampered, 400 if an Authorization header is sent)

Every ``/v1`` answer carries ``X-AircallApi-Limit`` / ``-Remaining`` / ``-Reset`` (a UNIX time): a fixed
window of ``rate_limit`` requests per ``rate_window`` seconds per company; over it → 429. Errors are
``{"error": ..., "troubleshoot": ...}``.

Options (where sources disagree, the sandbox is configurable): ``calls_per_day`` (6), ``listing_cap``
(10000), ``max_per_page`` (50; larger asks are clamped), ``default_per_page`` (20), ``rate_limit`` (60;
sources say 60 or 120/min), ``rate_window`` (60 s), ``enforce_rate_limit`` (True), ``recording_ttl``
(3600 s; reports say 30–60 min), ``to_inclusive`` (True: ``to`` is a maximal creation time),
``pinned_calls`` (UNIX seconds that each get one call starting exactly then), ``media_format``
("mp3" — encoded from ``media/*.wav`` with PyAV when available, else "wav").

Fault switches (``sandbox.faults``)::

    rate_limit_burst = N       next N API requests → 429 with Remaining 0, Reset in ``burst_reset_seconds`` (1)
    server_errors = N          next N API requests → 503 / 500, alternating
    slow_seconds = x           every API answer is delayed by x seconds
    truncate_media = N         next N media answers send half the announced Content-Length, then close
    revoke()                   every API key and access token issued so far → 401
    expire_recording_links()   every signed recording URL issued so far → 403 "Request has expired"
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import math
import threading
import time
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

from perftel_sandbox import aircall_data as data
from perftel_sandbox.aircall_media import SignedMediaUrls, encoded_media, s3_error
from perftel_sandbox.common_data import rng_for, utc_days
from perftel_sandbox.faults import Faults
from perftel_sandbox.messages import SandboxRequest, SandboxResponse, bytes_response, json_response
from perftel_sandbox.rate_limits import FixedWindow
from perftel_sandbox.server import SandboxServer
from perftel_sandbox.speech import SpeechFiles

DEFAULT_HISTORY = timedelta(days=183)  # what /v1/calls lists without ``from`` (about six months)
OLDEST = timedelta(days=3660)  # calls older than this do not exist here


def aircall_error(
    status: int, error: str, troubleshoot: str, headers: dict[str, str] | None = None
) -> SandboxResponse:
    """Aircall's error body ``{"error", "troubleshoot"}`` (with ``headers``, e.g. the rate-limit ones)."""
    return json_response(status, {"error": error, "troubleshoot": troubleshoot}, headers)


class AircallFaults(Faults):
    """The Aircall sandbox's fault switches (listed in the module docstring)."""

    burst_reset_seconds: float = 1.0

    def revoke(self) -> None:
        """Every API key and access token issued so far answers 401 (for good: :meth:`reset` keeps it)."""
        self._sandbox._revoked = True

    def expire_recording_links(self) -> None:
        """Every signed recording/voicemail URL issued so far answers 403 "Request has expired"."""
        self._sandbox._links.expire_all()


class AircallSandbox(SandboxServer):
    """A running Aircall emulator; see the module docstring. Use :func:`perftel_sandbox.start_sandbox`."""

    provider = "aircall"

    def __init__(
        self,
        *,
        seed: int = 7,
        host: str = "127.0.0.1",
        port: int = 0,
        calls_per_day: float = 6,
        listing_cap: int = 10_000,
        max_per_page: int = 50,
        default_per_page: int = 20,
        rate_limit: int = 60,
        rate_window: float = 60.0,
        enforce_rate_limit: bool = True,
        recording_ttl: float = 3600,
        to_inclusive: bool = True,
        pinned_calls: tuple | list = (),
        media_format: str = "mp3",
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed, self.calls_per_day, self.listing_cap = seed, float(calls_per_day), int(listing_cap)
        self.max_per_page, self.default_per_page = int(max_per_page), int(default_per_page)
        self.rate_limit, self.rate_window, self.enforce_rate_limit = (
            int(rate_limit),
            float(rate_window),
            enforce_rate_limit,
        )
        self.recording_ttl, self.to_inclusive, self.media_format = (
            int(math.ceil(recording_ttl)),
            to_inclusive,
            media_format,
        )
        self.pinned_calls = tuple(
            sorted(int(_unix(p)) for p in pinned_calls)
        )  # repeats: several calls that second
        rng = rng_for(seed, "aircall-account")
        self.api_id = rng.randbytes(16).hex()
        self.api_token = rng.randbytes(16).hex()
        self.access_token = base64.urlsafe_b64encode(rng.randbytes(30)).decode("ascii")
        self.credentials = {"api_id": self.api_id, "api_token": self.api_token}
        self.oauth_credentials = {"access_token": self.access_token}
        self.faults = AircallFaults(self)
        self.speech = SpeechFiles()
        signing_key = hashlib.sha256(f"aircall-media:{seed}:{rng.random()}".encode()).digest()
        self._links = SignedMediaUrls(signing_key, self.media_base_url, seed, self.recording_ttl)
        self._lock = threading.Lock()
        self._revoked = False
        self._window = FixedWindow(self.rate_limit, self.rate_window, enforce=enforce_rate_limit)

        route = self.router.add
        route("GET", "/v1/ping", lambda request: json_response(200, {"ping": "pong"}))
        route("GET", "/v1/calls", self._list)
        route("GET", "/v1/calls/{call_id}", self._one)
        route("GET", "/recordings/{name}", self._media)
        route("GET", "/voicemails/{name}", self._media)

    # --- public helpers ---------------------------------------------------------------------
    def expected_calls(self, start, end) -> list[dict]:
        """Call objects that started in ``[start, end)`` and have ended by now (no signed URLs), in order."""
        return [self._public(c, sign=False) for c in self._between(int(_unix(start)), int(_unix(end)) - 1)]

    def call(self, call_id: int | str) -> dict | None:
        """The call object (without signed URLs) for ``call_id``, or ``None`` if there is no such ended call."""
        found = self._find(call_id)
        return self._public(found, sign=False) if found else None

    def audio_kind(self, call_id: int | str) -> str | None:
        """Which audio the call ``call_id`` has: "recording", "voicemail" or ``None``."""
        found = self._find(call_id)
        return found.audio if found else None

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines ``perftel sandbox`` prints: URLs, limits and the sandbox-only credentials."""
        return [
            ("base URL", self.base_url),
            ("api_id", self.api_id),
            ("api_token", self.api_token),
            ("access_token", f"{self.access_token}  (Bearer, like a partner OAuth install)"),
            ("listing cap", str(self.listing_cap)),
            (
                "rate limit",
                f"{self.rate_limit} requests / {self.rate_window:g} s"
                + ("" if self.enforce_rate_limit else " (not enforced)"),
            ),
            ("recording URL TTL", f"{self.recording_ttl} s"),
            ("audio", encoded_media(self.speech.by_language["en"][0], self.media_format)[1]),
        ]

    # --- dispatch: auth, faults, rate limit ------------------------------------------------------
    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        """``/v1`` requests: slow fault, auth (401), 5xx fault, the company's rate window (429, and the
        ``X-AircallApi-*`` headers on every answer); then route."""
        if not request.path.startswith("/v1/"):
            return super().dispatch(request)
        self.faults.pause()
        if not self._authorized(request):
            return aircall_error(401, "Unauthorized", "Check your API key")
        status = self.faults.next_server_error()
        if status == 503:
            return aircall_error(
                503, "Service Unavailable", "Aircall is temporarily unavailable, retry later"
            )
        if status:
            return aircall_error(500, "Internal Server Error", "Something went wrong on our side")
        now = time.time()
        with self._lock:
            if self.faults.take("rate_limit_burst"):
                limited, remaining, reset = True, 0, now + self.faults.burst_reset_seconds
            else:
                limited, remaining, reset = self._window.admit(now)
        headers = {
            "X-AircallApi-Limit": str(self.rate_limit),
            "X-AircallApi-Remaining": str(remaining),
            "X-AircallApi-Reset": str(math.ceil(reset)),
        }
        if limited:
            return aircall_error(
                429, "Too Many Requests", "Rate limit reached: wait until X-AircallApi-Reset", headers
            )
        response = super().dispatch(request)
        response.headers.update(headers)
        return response

    def _authorized(self, request: SandboxRequest) -> bool:
        scheme, value = request.authorization
        if self._revoked:
            return False
        if scheme.lower() == "basic":
            given = request.basic_credentials(validate=True)
            return given is not None and hmac.compare_digest(
                ":".join(given).encode(), f"{self.api_id}:{self.api_token}".encode()
            )
        if scheme.lower() == "bearer":
            return hmac.compare_digest(value.strip().encode(), self.access_token.encode())
        return False

    def not_found(self, request: SandboxRequest, *, method_not_allowed: bool = False) -> SandboxResponse:
        """Aircall's 404/405 error bodies under ``/v1``; plain text elsewhere."""
        if not request.path.startswith("/v1/"):
            return super().not_found(request, method_not_allowed=method_not_allowed)
        if method_not_allowed:
            return aircall_error(
                405, "Method Not Allowed", f"{request.method} is not allowed on {request.path}"
            )
        return aircall_error(404, "Not found", f"No resource at {request.path}")

    # --- calls ------------------------------------------------------------------------------
    def _list(self, request: SandboxRequest) -> SandboxResponse:
        q, now = request.query, int(time.time())
        try:
            lo = int(q["from"]) if q.get("from") else now - int(DEFAULT_HISTORY.total_seconds())
            hi = int(q["to"]) if q.get("to") else now
            page = int(q.get("page") or 1)
            per_page = int(q.get("per_page") or self.default_per_page)
        except ValueError:
            return aircall_error(
                400, "Bad Request", "from and to are UNIX timestamps; page and per_page are integers"
            )
        order = q.get("order") or "asc"
        if order not in ("asc", "desc") or page < 1 or per_page < 1:
            return aircall_error(400, "Bad Request", "order is asc or desc; page and per_page are at least 1")
        per_page = min(per_page, self.max_per_page)
        calls = self._between(lo, hi if self.to_inclusive else hi - 1)
        if order == "desc":
            calls.reverse()
        visible = calls[: self.listing_cap]
        first = (page - 1) * per_page
        if first >= len(visible) > 0 and len(calls) > self.listing_cap:
            return aircall_error(
                400, "Bad Request", f"Pagination is limited to {self.listing_cap} items: narrow from/to"
            )
        items = visible[first : first + per_page]

        def link(number: int) -> str:
            return f"{self.base_url}/v1/calls?{urlencode({**q, 'page': number, 'per_page': per_page})}"

        meta = {
            "count": len(items),
            "total": len(calls),
            "current_page": page,
            "per_page": per_page,
            "next_page_link": link(page + 1) if first + per_page < len(visible) else None,
            "previous_page_link": link(page - 1) if page > 1 else None,
        }
        contacts = q.get("fetch_contact", "").lower() == "true"
        return json_response(
            200, {"calls": [self._public(c, contacts=contacts) for c in items], "meta": meta}
        )

    def _one(self, request: SandboxRequest) -> SandboxResponse:
        found = self._find(request.params["call_id"])
        if found is None:
            return aircall_error(404, "Not found", "Check the call id")
        return json_response(200, {"call": self._public(found)})

    def _public(self, call: data.Call, *, sign: bool = True, contacts: bool = True) -> dict:
        body = copy.deepcopy(call.data)
        ident = body["id"]
        body["direct_link"] = f"{self.base_url}/v1/calls/{ident}"
        body["asset"] = f"{self.base_url}/calls/{ident}/recording" if call.audio else None
        for part in (body.get("user"), body.get("number")):
            if part:
                kind = "users" if part is body.get("user") else "numbers"
                part["direct_link"] = f"{self.base_url}/v1/{kind}/{part['id']}"
        for team in body.get("teams") or []:
            team["direct_link"] = f"{self.base_url}/v1/teams/{team['id']}"
        if not contacts:
            body["contact"] = None
        if call.audio and sign:
            body[call.audio] = self._links.sign(call.audio, ident)
        return body

    def _between(self, lo: int, hi_inclusive: int) -> list[data.Call]:
        """Ended calls with ``lo <= started <= hi_inclusive``, in start order."""
        now = time.time()
        oldest = datetime.now(timezone.utc).date() - OLDEST
        day = max(datetime.fromtimestamp(max(lo, 0), timezone.utc).date(), oldest)
        last = datetime.fromtimestamp(max(min(hi_inclusive, now), 0), timezone.utc).date()
        return [
            c
            for d in utc_days(day, last)
            for c in self._day(d)
            if lo <= c.started <= hi_inclusive and c.ended <= now
        ]

    def _day(self, day: date) -> tuple[data.Call, ...]:
        start = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
        pinned = tuple(p for p in self.pinned_calls if start <= p < start + 86400)
        return data.calls_for_day(self.seed, day, self.calls_per_day, pinned)

    def _find(self, call_id: int | str) -> data.Call | None:
        try:
            ident = int(str(call_id))
        except ValueError:
            return None
        day = data.day_of_id(ident)
        if day is None or ident <= 0:
            return None
        return next((c for c in self._day(day) if c.data["id"] == ident and c.ended <= time.time()), None)

    # --- media (signed S3-like URLs, aircall_media.py) --------------------------------------------
    def _media(self, request: SandboxRequest) -> SandboxResponse:
        request.note_authorization()
        if request.has_authorization:
            return s3_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm "
                "query parameter, Signature query string parameter or the Authorization header should be specified",
            )
        kind = "recording" if request.path.startswith("/recordings/") else "voicemail"
        ident = request.params["name"].removesuffix(".mp3")
        refusal = self._links.refusal(kind, ident, request.query)
        if refusal is not None:
            return refusal
        call = self._find(ident)
        if call is None or call.audio != kind:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        body, content_type = encoded_media(
            self.speech.pick(call.language, call.media_index), self.media_format
        )
        return bytes_response(body, content_type, truncate_to=self.faults.truncation(len(body)))


def _unix(value) -> float:
    """UNIX seconds from an int/float, an aware or naive (UTC) datetime, a date or an ISO-8601 string."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
