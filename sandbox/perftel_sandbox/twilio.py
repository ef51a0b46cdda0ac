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

import threading
from datetime import date, datetime, timedelta, timezone

from perftel_sandbox import twilio_data as data
from perftel_sandbox.common_data import utc_days
from perftel_sandbox.faults import Faults
from perftel_sandbox.links import OpaqueLinks
from perftel_sandbox.messages import (
    SandboxRequest,
    SandboxResponse,
    bytes_response,
    json_response,
    redirect,
    text_response,
)
from perftel_sandbox.paging import CursorCodec, check_list_order
from perftel_sandbox.server import SandboxServer
from perftel_sandbox.speech import SpeechFiles
from perftel_sandbox.twilio_media import WavVariants
from perftel_sandbox.twilio_paging import list_page
from perftel_sandbox.twilio_query import BadParam, bounds, moment_of, to_time

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
    """Twilio's error body ``{code, message, more_info, status}``; a 401 also carries ``WWW-Authenticate``."""
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

    def revoke(self) -> None:
        """The Auth Token and the API key stop working (401 20003) until :meth:`reset`."""
        self._sandbox.revoked = True

    def reset(self) -> None:
        """Every switch back to its default, credentials working again."""
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
        self.max_in_flight = 0  # the most simultaneous API requests seen
        self._in_flight = 0
        self._lock = threading.Lock()
        self._tokens = CursorCodec(f"twilio-page:{seed}")
        self._media_links = OpaqueLinks()  # opaque → (media file name, stereo, swap)
        self._wavs = WavVariants()
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
            moment_of(start, "start")[0] if isinstance(start, str) else start,
            moment_of(end, "end")[0] if isinstance(end, str) else end,
        )
        return [dict(c.legs[0]) for c in self._conversations(lo, hi) if lo <= c.started < hi]

    def conversations(self, start: datetime, end: datetime) -> list[data.CallLegs]:
        """Conversations (parent starting in [start, end), UTC) that have ended by now."""
        return [c for c in self._conversations(start, end) if start <= c.started < end]

    def channel_roles(self, recording_sid: str) -> dict[int, str]:
        """Who speaks on each channel of a dual-channel recording's served audio (0-based)."""
        found = self._find_recording(recording_sid)
        if found is None or found[1]["channels"] != 2:
            return {}
        swap = found[0].media[recording_sid].swap
        return {0: "customer", 1: "agent"} if swap else {0: "agent", 1: "customer"}

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines ``perftel sandbox`` prints: URLs and the sandbox-only demo credentials."""
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
        """API requests: the concurrency limit and faults (429, slow, 5xx), HTTP Basic (401); then route,
        a bad parameter answering 400 20001."""
        if not request.path.startswith(PREFIX + "/"):
            return super().dispatch(request)
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            over = bool(self.concurrency_limit) and self._in_flight > self.concurrency_limit
        try:
            self.faults.pause()
            if over or self.faults.take("rate_limit_burst"):
                return twilio_error(
                    429, 20429, "Too Many Requests: the account's concurrent request limit was exceeded"
                )
            status = self.faults.next_server_error()
            if status:
                return twilio_error(status, 20000 + status)
            if not self._authorised(request):
                return twilio_error(401, 20003)
            try:
                return super().dispatch(request)
            except BadParam as exc:
                return twilio_error(400, 20001, str(exc))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _authorised(self, request: SandboxRequest) -> bool:
        given = request.basic_credentials()
        if given is None or self.revoked:
            return False
        account = request.path[len(PREFIX) + 1 :].split("/", 1)[0]
        pairs = {
            (self.credentials["account_sid"], self.credentials["auth_token"]),
            (self.api_key_credentials["api_key_sid"], self.api_key_credentials["api_key_secret"]),
        }
        return given in pairs and account == self.account_sid

    def not_found(self, request: SandboxRequest, *, method_not_allowed: bool = False) -> SandboxResponse:
        """Twilio's 404 20404 / 405 20004 bodies under the API prefix; plain text elsewhere."""
        if not request.path.startswith(PREFIX):
            return super().not_found(request, method_not_allowed=method_not_allowed)
        if method_not_allowed:
            return twilio_error(405, 20004, "Method not allowed")
        return twilio_error(404, 20404, f"The requested resource {request.path} was not found")

    # --- lists ---------------------------------------------------------------------------------
    def _page(self, request: SandboxRequest, key: str, rows: list[dict], sort_key) -> SandboxResponse:
        return list_page(
            request,
            key,
            rows,
            sort_key,
            cursors=self._tokens,
            order=self.list_order,
            seed=self.seed,
            faults=self.faults,
        )

    def _calls(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        lo, hi = bounds(q, "StartTime")
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
            if (lo is None or to_time(leg["start_time"]) >= lo)
            and (hi is None or to_time(leg["start_time"]) < hi)
            and all(
                not q.get(f) or leg[k] == q[f]
                for f, k in (("To", "to"), ("From", "from"), ("Status", "status"))
            )
        ]
        return self._page(request, "calls", legs, lambda r: (to_time(r["start_time"]).isoformat(), r["sid"]))

    def _recordings(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        lo, hi = bounds(q, "DateCreated")
        hi_ = hi or datetime.now(timezone.utc)
        found = self._conversations((lo or hi_ - DEFAULT_LOOKBACK) - timedelta(days=1), hi_)
        rows = [
            self._with_media_url(r)
            for c in found
            for r in c.recordings
            if (lo is None or to_time(r["date_created"]) >= lo)
            and (hi is None or to_time(r["date_created"]) < hi)
            and (not q.get("CallSid") or r["call_sid"] == q["CallSid"])
        ]
        return self._page(
            request, "recordings", rows, lambda r: (to_time(r["date_created"]).isoformat(), r["sid"])
        )

    def _call_recordings(self, request: SandboxRequest) -> SandboxResponse:
        conv = self._find_call(request.params["call"])
        if conv is None:
            return self.not_found(request)
        rows = [data.call_recording(r) for r in conv[0].recordings if r["call_sid"] == conv[1]["sid"]]
        return self._page(
            request, "recordings", rows, lambda r: (to_time(r["date_created"]).isoformat(), r["sid"])
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
            raise BadParam("RequestedChannels must be 1 or 2")
        if wanted == "2" and rec["channels"] != 2:
            return twilio_error(
                400, 16113, "The recording has only one channel: RequestedChannels=2 is not available"
            )
        stereo = rec["channels"] == 2 and wanted != "1"
        info = conv.media[sid]
        item = (self.speech.pick(info.language, info.media_index), stereo, info.swap)
        if not self.redirect_media:
            return self._audio(item)
        opaque, _ = self._media_links.issue(item)
        return redirect(f"{self.media_base_url}/media/{opaque}.wav")

    def _media(self, request: SandboxRequest) -> SandboxResponse:
        request.note_authorization()
        found = self._media_links.get(request.params["name"].removesuffix(".wav"))
        return text_response(404, "Not Found") if found is None else self._audio(found[0])

    def _audio(self, item: tuple[str, bool, bool]) -> SandboxResponse:
        payload = self._wavs.get(item)
        return bytes_response(payload, "audio/x-wav", truncate_to=self.faults.truncation(len(payload)))

    # --- data -------------------------------------------------------------------------------
    def _with_media_url(self, rec: dict) -> dict:
        return {**rec, "media_url": f"{self.base_url}{rec['uri'].removesuffix('.json')}"}

    def _day(self, day: date) -> tuple[data.CallLegs, ...]:
        return data.conversations_for_day(self.seed, day, float(self.calls_per_day), self.odd_rows)

    def _conversations(self, start: datetime, end: datetime) -> list[data.CallLegs]:
        """Conversations whose parent starts on a day touching [start, end] and that have ended."""
        now = datetime.now(timezone.utc)
        return [c for day in utc_days(start.date(), end.date()) for c in self._day(day) if c.ended <= now]

    def _find_call(self, sid: str) -> tuple[data.CallLegs, dict] | None:
        return self._find(sid, "CA", lambda conv: conv.legs)

    def _find_recording(self, sid: str) -> tuple[data.CallLegs, dict] | None:
        return self._find(sid, "RE", lambda conv: conv.recordings)

    def _find(self, sid: str, prefix: str, rows) -> tuple[data.CallLegs, dict] | None:
        """The ended conversation holding the resource ``sid`` among ``rows(conversation)``, and that row."""
        day = data.day_of_sid(sid, self.seed)
        if day is None or not sid.startswith(prefix):
            return None
        now = datetime.now(timezone.utc)
        for conv in self._day(day):
            for row in rows(conv):
                if row["sid"] == sid and conv.ended <= now:
                    return conv, row
        return None
