"""Twilio emulator: REST API 2010-04-01 calls, recordings and recording media (REFERENCE.md §2).

Routes (``P`` = ``/2010-04-01/Accounts/{AccountSid}``; all need HTTP Basic: Account SID + Auth Token,
or API key SID + secret)::

    GET P/Calls.json                          StartTime / StartTime> / StartTime< (YYYY-MM-DD or ISO), To,
                                              From, Status, ParentCallSid; PageSize ≤ 1000; keyset PageToken
    GET P/Calls/{CallSid}.json                one call
    GET P/Calls/{CallSid}/Recordings.json     the call's recordings (call-scoped shape: track, numeric price)
    GET P/Calls/{CallSid}/Recordings/{Sid}.json
    GET P/Recordings.json                     DateCreated / DateCreated> / DateCreated< , CallSid; paging as above
    GET P/Recordings/{Sid}.json               one recording
    GET P/Recordings/{Sid}[.wav]              the audio; RequestedChannels=1|2 (2 on a mono one → 400 16113);
                                              302 to the *other* host name (``redirect_media=True``) or direct
    GET /media/{opaque}.wav                   the redirected audio (no auth: the URL authorises it)

Lists are newest first; ``next_page_uri`` carries ``Page=N&PageToken=PA…`` (signed, bound to the query).
A ``Page`` above 0 without a server-issued token → 400 20001. Errors are Twilio's
``{code, message, more_info, status}``. ``.mp3`` is not available here (404): use WAV.

Options: ``seed``, ``calls_per_day`` (6), ``concurrency_limit`` (10 simultaneous API requests, else 429
20429; 0 = none), ``redirect_media`` (True), ``odd_rows`` (True: null durations, an unknown direction,
unknown fields, unicode names), ``list_order`` (``newest`` first, ``oldest`` or ``shuffled``: Twilio does not
document its order, so the client must not depend on it).

Fault switches (``sandbox.faults``):

    rate_limit_burst = N      next N API requests → 429 20429
    server_errors = N         next N API requests → 503 20503 / 500 20500, alternating
    slow_seconds = x          every API answer waits x seconds (while holding a concurrency slot)
    truncate_media = N        next N media answers send half the announced Content-Length, then close
    empty_pages = N           next N list pages that have more come back empty (with a next_page_uri)
    revoke()                  the Auth Token and API key stop working → 401 20003
    reset()                   everything back to defaults
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

from perftel_sandbox import twilio_data as data
from perftel_sandbox.server import (
    CursorCodec,
    Faults,
    SandboxRequest,
    SandboxResponse,
    SandboxServer,
    bytes_response,
    check_list_order,
    json_response,
    list_key,
    redirect,
    text_response,
)
from perftel_sandbox.speech import MEDIA_DIR, SpeechFiles

PREFIX = f"/{data.API_VERSION}/Accounts"
DEFAULT_LOOKBACK = timedelta(days=30)  # a list without a lower date bound covers this much
_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
}


def twilio_error(status: int, code: int, message: str | None = None) -> SandboxResponse:
    body = {
        "code": code,
        "message": message or _MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    response = json_response(status, body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


class TwilioFaults(Faults):
    """The Twilio sandbox's fault switches (listed in the module docstring)."""

    empty_pages: int = 0

    def __init__(self, sandbox: TwilioSandbox) -> None:
        super().__init__()
        self._sandbox = sandbox

    def revoke(self) -> None:
        self._sandbox.revoked = True

    def reset(self) -> None:
        super().reset()
        self._sandbox.revoked = False


class TwilioSandbox(SandboxServer):
    """A running Twilio emulator; see the module docstring. Use :func:`perftel_sandbox.start_sandbox`."""

    provider = "twilio"

    def __init__(
        self,
        *,
        seed: int = 7,
        host: str = "127.0.0.1",
        port: int = 0,
        calls_per_day: float = 6,
        concurrency_limit: int = 10,
        redirect_media: bool = True,
        odd_rows: bool = True,
        list_order: str = "newest",
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed, self.calls_per_day, self.odd_rows = seed, calls_per_day, odd_rows
        self.list_order = check_list_order(list_order)
        self.concurrency_limit, self.redirect_media = concurrency_limit, redirect_media
        ids = data.account_ids(seed)
        self.account_sid = ids["account_sid"]
        self.credentials = {"account_sid": ids["account_sid"], "auth_token": ids["auth_token"]}
        self.api_key_credentials = {
            "account_sid": ids["account_sid"],
            "api_key_sid": ids["api_key_sid"],
            "api_key_secret": ids["api_key_secret"],
        }
        self.revoked = False
        self.faults = TwilioFaults(self)
        self.media_host = "localhost" if self.host != "localhost" else "127.0.0.1"
        self.media_base_url = f"http://{self.media_host}:{self.port}"
        self.max_in_flight = 0  # the most simultaneous API requests seen
        self._in_flight = 0
        self._lock = threading.Lock()
        self._tokens = CursorCodec(f"twilio-page:{seed}")
        self._media_links: dict[str, tuple[str, bool, bool]] = {}
        self._media_cache: dict[tuple[str, bool, bool], bytes] = {}
        self._server_error_count = 0
        self.speech = SpeechFiles()
        p = f"{PREFIX}/{{account}}"
        route = self.router.add
        route("GET", f"{p}/Calls.json", self._calls)
        route("GET", f"{p}/Calls/{{name}}", self._call)
        route("GET", f"{p}/Calls/{{call}}/Recordings.json", self._call_recordings)
        route("GET", f"{p}/Calls/{{call}}/Recordings/{{name}}", self._call_recording)
        route("GET", f"{p}/Recordings.json", self._recordings)
        route("GET", f"{p}/Recordings/{{name}}", self._recording)
        route("GET", "/media/{name}", self._media)

    # --- public helpers ---------------------------------------------------------------------
    def expected_calls(self, start: str | datetime, end: str | datetime) -> list[dict]:
        """Parent legs (one per conversation) starting in [start, end) that have ended, oldest first."""
        lo, hi = (
            data.moment_of(start, "start")[0] if isinstance(start, str) else start,
            data.moment_of(end, "end")[0] if isinstance(end, str) else end,
        )
        return [dict(c.legs[0]) for c in self._conversations(lo, hi) if lo <= c.started < hi]

    def conversations(self, start: datetime, end: datetime) -> list[data.Conversation]:
        return [c for c in self._conversations(start, end) if start <= c.started < end]

    def channel_roles(self, recording_sid: str) -> dict[int, str]:
        """Who speaks on each channel of a dual-channel recording's served audio (0-based)."""
        found = self._find_recording(recording_sid)
        if found is None or found[1]["channels"] != 2:
            return {}
        swap = found[0].media[recording_sid].swap
        return {0: "customer", 1: "agent"} if swap else {0: "agent", 1: "customer"}

    def describe(self) -> list[tuple[str, str]]:
        return [
            ("base URL", self.base_url),
            ("account_sid", self.credentials["account_sid"]),
            ("auth_token", self.credentials["auth_token"]),
            ("api_key_sid", self.api_key_credentials["api_key_sid"]),
            ("api_key_secret", self.api_key_credentials["api_key_secret"]),
            ("calls", f"{self.base_url}{PREFIX}/{self.account_sid}/Calls.json"),
        ]

    # --- dispatch: concurrency, faults, auth -------------------------------------------------------
    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        if not request.path.startswith(PREFIX + "/"):
            return super().dispatch(request)
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            over = bool(self.concurrency_limit) and self._in_flight > self.concurrency_limit
        try:
            if self.faults.slow_seconds > 0:
                time.sleep(self.faults.slow_seconds)
            if over or self.faults.take("rate_limit_burst"):
                return twilio_error(
                    429, 20429, "Too Many Requests: the account's concurrent request limit was exceeded"
                )
            if self.faults.take("server_errors"):
                with self._lock:
                    self._server_error_count += 1
                    odd = self._server_error_count % 2 == 1
                return twilio_error(503, 20503) if odd else twilio_error(500, 20500)
            if not self._authorised(request):
                return twilio_error(401, 20003)
            try:
                return super().dispatch(request)
            except data.BadParam as exc:
                return twilio_error(400, 20001, str(exc))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _authorised(self, request: SandboxRequest) -> bool:
        import base64
        import binascii

        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or self.revoked:
            return False
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        account = request.path[len(PREFIX) + 1 :].split("/", 1)[0]
        pairs = {
            (self.credentials["account_sid"], self.credentials["auth_token"]),
            (self.api_key_credentials["api_key_sid"], self.api_key_credentials["api_key_secret"]),
        }
        return (user, password) in pairs and account == self.account_sid

    def not_found(self, request: SandboxRequest, *, method_not_allowed: bool = False) -> SandboxResponse:
        if not request.path.startswith(PREFIX):
            return super().not_found(request, method_not_allowed=method_not_allowed)
        if method_not_allowed:
            return twilio_error(405, 20004, "Method not allowed")
        return twilio_error(404, 20404, f"The requested resource {request.path} was not found")

    # --- lists ---------------------------------------------------------------------------------
    def _page(self, request: SandboxRequest, key: str, rows: list[dict], sort_key) -> SandboxResponse:
        q = request.query
        try:
            page_size = int(q.get("PageSize", "50"))
            page = int(q.get("Page", "0"))
        except ValueError as exc:
            raise data.BadParam("PageSize and Page must be integers") from exc
        if not 1 <= page_size <= 1000:
            raise data.BadParam("PageSize must be between 1 and 1000")
        if page < 0:
            raise data.BadParam("Page must be 0 or more")
        filters = sorted((k, v) for k, v in q.items() if k not in ("PageSize", "Page", "PageToken"))
        query_id = f"{request.path}|{filters}"
        after = None
        if q.get("PageToken"):
            token = q["PageToken"]
            after = self._tokens.decode(token[2:], query_id) if token.startswith("PA") else None
            if after is None:
                raise data.BadParam("Invalid PageToken")
        elif page > 0:
            raise data.BadParam("PageToken is required for paging.")
        sort_key, newest_first = list_key(self.list_order, sort_key, self.seed)
        rows = sorted(rows, key=sort_key, reverse=newest_first)
        if after is not None:
            rows = [
                r
                for r in rows
                if (sort_key(r) < tuple(after) if newest_first else sort_key(r) > tuple(after))
            ]
        chunk, more = rows[:page_size], len(rows) > page_size
        if more and self.faults.take("empty_pages"):
            chunk, next_key = (
                [],
                after if after is not None else (["9999-12-31", "~"] if newest_first else [""]),
            )
        else:
            next_key = list(sort_key(chunk[-1])) if chunk else None

        def uri(page_no: int, token: str | None = None) -> str:
            params = [*filters, ("PageSize", page_size), ("Page", page_no)] + (
                [("PageToken", token)] if token else []
            )
            return f"{request.path}?{urlencode(params)}"

        next_uri = None
        if more:
            token = (
                "PA" + self._tokens.encode(next_key, query_id) if next_key is not None else q.get("PageToken")
            )
            next_uri = uri(page + 1, token)
        return json_response(
            200,
            {
                key: chunk,
                "end": page * page_size + max(len(chunk) - 1, 0),
                "first_page_uri": uri(0),
                "next_page_uri": next_uri,
                "page": page,
                "page_size": page_size,
                "previous_page_uri": None,
                "start": page * page_size,
                "uri": uri(page, q.get("PageToken")),
            },
        )

    def _calls(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        lo, hi = data.bounds(q, "StartTime")
        if q.get("ParentCallSid"):
            conv = self._find_call(q["ParentCallSid"])
            legs = (
                [leg for leg in conv[0].legs if leg["parent_call_sid"] == q["ParentCallSid"]] if conv else []
            )
        else:
            hi_ = hi or datetime.now(timezone.utc)
            found = self._conversations((lo or hi_ - DEFAULT_LOOKBACK) - timedelta(days=1), hi_)
            legs = [leg for c in found for leg in c.legs]
        legs = [
            leg
            for leg in legs
            if (lo is None or data.to_time(leg["start_time"]) >= lo)
            and (hi is None or data.to_time(leg["start_time"]) < hi)
            and all(
                not q.get(f) or leg[k] == q[f]
                for f, k in (("To", "to"), ("From", "from"), ("Status", "status"))
            )
        ]
        return self._page(
            request, "calls", legs, lambda r: (data.to_time(r["start_time"]).isoformat(), r["sid"])
        )

    def _recordings(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        lo, hi = data.bounds(q, "DateCreated")
        hi_ = hi or datetime.now(timezone.utc)
        found = self._conversations((lo or hi_ - DEFAULT_LOOKBACK) - timedelta(days=1), hi_)
        rows = [
            self._with_media_url(r)
            for c in found
            for r in c.recordings
            if (lo is None or data.to_time(r["date_created"]) >= lo)
            and (hi is None or data.to_time(r["date_created"]) < hi)
            and (not q.get("CallSid") or r["call_sid"] == q["CallSid"])
        ]
        return self._page(
            request, "recordings", rows, lambda r: (data.to_time(r["date_created"]).isoformat(), r["sid"])
        )

    def _call_recordings(self, request: SandboxRequest) -> SandboxResponse:
        conv = self._find_call(request.params["call"])
        if conv is None:
            return self.not_found(request)
        rows = [data.call_recording(r) for r in conv[0].recordings if r["call_sid"] == conv[1]["sid"]]
        return self._page(
            request, "recordings", rows, lambda r: (data.to_time(r["date_created"]).isoformat(), r["sid"])
        )

    # --- single resources ------------------------------------------------------------------------
    def _call(self, request: SandboxRequest) -> SandboxResponse:
        found = self._find_call(request.params["name"].removesuffix(".json"))
        if found is None or not request.params["name"].endswith(".json"):
            return self.not_found(request)
        return json_response(200, found[1])

    def _call_recording(self, request: SandboxRequest) -> SandboxResponse:
        name = request.params["name"]
        found = self._find_recording(name.removesuffix(".json"))
        if found is None or not name.endswith(".json") or found[1]["call_sid"] != request.params["call"]:
            return self.not_found(request)
        return json_response(200, data.call_recording(found[1]))

    def _recording(self, request: SandboxRequest) -> SandboxResponse:
        name = request.params["name"]
        sid, _, ext = name.partition(".")
        found = self._find_recording(sid)
        if found is None or ext not in ("", "json", "wav"):
            return self.not_found(request)
        conv, rec = found
        if ext == "json":
            return json_response(200, self._with_media_url(rec))
        if rec["status"] != "completed":
            return self.not_found(request)
        wanted = request.query.get("RequestedChannels")
        if wanted not in (None, "1", "2"):
            raise data.BadParam("RequestedChannels must be 1 or 2")
        if wanted == "2" and rec["channels"] != 2:
            return twilio_error(
                400, 16113, "The recording has only one channel: RequestedChannels=2 is not available"
            )
        stereo = rec["channels"] == 2 and wanted != "1"
        info = conv.media[sid]
        item = (self.speech.pick(info.language, info.media_index), stereo, info.swap)
        if not self.redirect_media:
            return self._audio(item)
        opaque = secrets.token_urlsafe(18)
        with self._lock:
            self._media_links[opaque] = item
        return redirect(f"{self.media_base_url}/media/{opaque}.wav")

    def _media(self, request: SandboxRequest) -> SandboxResponse:
        request.note = (
            "authorization header present" if request.has_authorization else "no authorization header"
        )
        with self._lock:
            item = self._media_links.get(request.params["name"].removesuffix(".wav"))
        return text_response(404, "Not Found") if item is None else self._audio(item)

    def _audio(self, item: tuple[str, bool, bool]) -> SandboxResponse:
        payload = self._media_bytes(item)
        truncate = len(payload) // 2 if self.faults.take("truncate_media") else None
        return bytes_response(payload, "audio/x-wav", truncate_to=truncate)

    def _media_bytes(self, item: tuple[str, bool, bool]) -> bytes:
        with self._lock:
            cached = self._media_cache.get(item)
        if cached is not None:
            return cached
        payload = data.wav_variant(MEDIA_DIR / item[0], stereo=item[1], swap=item[2])
        with self._lock:
            self._media_cache[item] = payload
        return payload

    # --- data -------------------------------------------------------------------------------
    def _with_media_url(self, rec: dict) -> dict:
        return {**rec, "media_url": f"{self.base_url}{rec['uri'].removesuffix('.json')}"}

    def _day(self, day: date) -> tuple[data.Conversation, ...]:
        return data.conversations_for_day(self.seed, day, float(self.calls_per_day), self.odd_rows)

    def _conversations(self, start: datetime, end: datetime) -> list[data.Conversation]:
        """Conversations whose parent starts on a day touching [start, end] and that have ended."""
        now = datetime.now(timezone.utc)
        found, day = [], start.date()
        while day <= end.date():
            found.extend(c for c in self._day(day) if c.ended <= now)
            day += timedelta(days=1)
        return found

    def _find_call(self, sid: str) -> tuple[data.Conversation, dict] | None:
        day = data.day_of_sid(sid, self.seed)
        if day is None or not sid.startswith("CA"):
            return None
        now = datetime.now(timezone.utc)
        for conv in self._day(day):
            for leg in conv.legs:
                if leg["sid"] == sid and conv.ended <= now:
                    return conv, leg
        return None

    def _find_recording(self, sid: str) -> tuple[data.Conversation, dict] | None:
        day = data.day_of_sid(sid, self.seed)
        if day is None or not sid.startswith("RE"):
            return None
        now = datetime.now(timezone.utc)
        for conv in self._day(day):
            for rec in conv.recordings:
                if rec["sid"] == sid and conv.ended <= now:
                    return conv, rec
        return None
