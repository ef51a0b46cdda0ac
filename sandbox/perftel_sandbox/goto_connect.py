"""GoTo Connect emulator: OAuth2, Call Events Report, Recording download (REFERENCE.md §1).

Routes (relative to ``base_url``; API routes need ``Authorization: Bearer <access token>``)::

    GET  /oauth/authorize                                     auto-consent → 302 redirect_uri?code&state
    POST /oauth/token                                         authorization_code | refresh_token (Basic client auth)
    GET  /admin/rest/v1/me                                    {"accountKey", ...}  (our assumption, see below)
    GET  /call-events-report/v1/report-summaries              cursor paging: pageMarker → nextPageMarker
    GET  /call-events-report/v1/reports/{conversationSpaceId} 404 for the first ``report_delay`` fetches
    GET  /recording/v1/recordings/{recordingId}/content       {"token", "expires"}; 400 while PROCESSING
    GET  /recording/v1/recordings/{recordingId}/content/{token}  302 → media URL on the *other* host name
    GET  /media/{opaque}.wav                                  the audio (no bearer; the URL authorises it)

Fault switches (``sandbox.faults``; set attributes or call methods from any thread):

    rate_limit_burst = N      next N API requests → 429 (GoTo error body, no Retry-After)
    server_errors = N         next N API requests → 503 UNAVAILABLE, 500 UNKNOWN_ERROR, alternating
    slow_seconds = x          every API answer is delayed by x seconds
    truncate_media = N        next N media answers send half the announced Content-Length, then close
    expire_access_tokens()    every access token issued so far → 401 AUTHN_EXPIRED_TOKEN
    revoke()                  every refresh/access token and code so far → invalid_grant / AUTHN_INVALID_TOKEN
    expire_media_links()      every content token and media URL so far → 401 / 403 (client must re-request)
    reset()                   counters and values back to their defaults

Besides, ``enforce_rate_limit=True`` applies GoTo's documented 10 requests/s per API (buckets:
call-events-report, recording, admin). Errors use GoTo's body ``{"reference","errorCode","message"}``
(+ ``constraintViolations`` on validation 400s).
"""

from __future__ import annotations

import base64
import copy
import secrets
import threading
import uuid
from datetime import date, datetime, timedelta, timezone

from perftel_sandbox import common_data
from perftel_sandbox import goto_connect_data as gen
from perftel_sandbox.links import OpaqueLinks
from perftel_sandbox.messages import (
    SandboxRequest,
    SandboxResponse,
    bytes_response,
    json_response,
    redirect,
    text_response,
)
from perftel_sandbox.oauth import OAuthFaults, SandboxTokens, authorize_response, fixed_token, token_response
from perftel_sandbox.paging import CursorCodec, rows_after
from perftel_sandbox.rate_limits import SandboxRateLimiter
from perftel_sandbox.server import SandboxServer
from perftel_sandbox.speech import SpeechFiles

SCOPE = "cr.v1.read call-events.v1.notifications.manage recording.v1.read"
PRINCIPAL = "agent@sandbox.example"
CONTENT_TOKEN_TTL = 900.0
MEDIA_LINK_TTL = 300.0
MAX_WINDOW = timedelta(days=31)
_API_BUCKETS = ("call-events-report", "recording", "admin")
_AUTHN = {
    "missing": ("AUTHN_INVALID_TOKEN", "No authentication token was supplied."),
    "malformed": ("AUTHN_MALFORMED_TOKEN", "The supplied authentication token is malformed."),
    "invalid": ("AUTHN_INVALID_TOKEN", "The supplied authentication token is not valid."),
    "expired": ("AUTHN_EXPIRED_TOKEN", "The supplied authentication token is expired."),
}


def goto_error(status: int, code: str, message: str, violations: list[dict] | None = None) -> SandboxResponse:
    """GoTo's error body ``{"reference", "errorCode", "message"}`` (+ ``constraintViolations``)."""
    body: dict = {"reference": secrets.token_hex(9), "errorCode": code, "message": message}
    if violations:
        body["constraintViolations"] = violations
    return json_response(status, body)


def _violation(field: str, message: str) -> SandboxResponse:
    return goto_error(
        400, "BAD_REQUEST", f"Invalid request: {message}", [{"field": field, "message": message}]
    )


def parse_time(value: str | datetime) -> datetime:
    """ISO-8601 date-time (``Z``/offset; naive = UTC) → aware UTC datetime. Raises ValueError (also for
    a bare date)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if "T" not in value and " " not in value:
        raise ValueError("a date-time is required, not a date")
    return common_data.utc_datetime(value)


def _missing(what: str, ident: str) -> SandboxResponse:
    return goto_error(404, "NOT_FOUND", f"{what} {ident} not found.")


class GoToFaults(OAuthFaults):
    """The GoTo sandbox's fault switches (listed in the module docstring)."""

    def expire_media_links(self) -> None:
        """Every content token and media URL issued so far expires (401 / 403)."""
        self._sandbox._content_tokens.expire_all()
        self._sandbox._media_links.expire_all()


class GoToConnectSandbox(SandboxServer):
    """A running GoTo Connect emulator; see the module docstring. Use :func:`perftel_sandbox.start_sandbox`."""

    provider = "goto_connect"

    def __init__(
        self,
        *,
        seed: int = 7,
        host: str = "127.0.0.1",
        port: int = 0,
        rotate_refresh_tokens: bool = False,
        token_ttl: int = 3600,
        calls_per_day: float = 6,
        report_delay: int = 0,
        enforce_rate_limit: bool = True,
        rate_limit: int = 10,
        redirect_uri: str = "http://127.0.0.1/callback",
    ) -> None:
        super().__init__(host=host, port=port)
        self.seed, self.calls_per_day, self.report_delay = seed, calls_per_day, report_delay
        self.enforce_rate_limit = enforce_rate_limit
        rng = common_data.rng_for(seed, "account")
        self.account_key = str(rng.randrange(10**18, 10**19))
        self.redirect_uri = redirect_uri
        self.store = SandboxTokens(
            client_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            client_secret=base64.urlsafe_b64encode(rng.randbytes(24)).decode("ascii"),
            redirect_uris=[redirect_uri],
            token_ttl=token_ttl,
            rotate_refresh_tokens=rotate_refresh_tokens,
            principal=PRINCIPAL,
            scope=SCOPE,
        )
        self.credentials = {
            "client_id": self.store.client_id,
            "client_secret": self.store.client_secret,
            "refresh_token": self.store.issue_refresh_token(  # same for the same seed, across restarts
                fixed_token({"sub": PRINCIPAL, "typ": "refresh", "seed": seed}, f"goto-refresh:{seed}")
            ),
        }
        self.faults = GoToFaults(self.store, self)
        self._limiter = SandboxRateLimiter(rate_limit, 1.0)
        self._lock = threading.Lock()
        self._markers = CursorCodec(f"goto-marker:{seed}")
        self._report_fetches: dict[str, int] = {}
        self._content_tokens = OpaqueLinks(nbytes=24, ttl=CONTENT_TOKEN_TTL)  # token → recording id
        self._media_links = OpaqueLinks(nbytes=18, ttl=MEDIA_LINK_TTL)  # opaque → media file name
        self.speech = SpeechFiles()

        route = self.router.add
        route("GET", "/oauth/authorize", self._authorize)
        route("POST", "/oauth/token", self._token)
        route("GET", "/admin/rest/v1/me", self._me)
        route("GET", "/call-events-report/v1/report-summaries", self._summaries)
        route("GET", "/call-events-report/v1/reports/{cs_id}", self._report)
        route("GET", "/recording/v1/recordings/{rec_id}/content", self._content)
        route("GET", "/recording/v1/recordings/{rec_id}/content/{token}", self._content_redirect)
        route("GET", "/media/{name}", self._media)

    # --- public helpers ---------------------------------------------------------------------
    def expected_calls(self, start: str | datetime, end: str | datetime) -> list[dict]:
        """Full reports with callCreated in [start, end) that have ended by now, sorted like the API."""
        return [
            copy.deepcopy(call.report) for call in self._calls_between(parse_time(start), parse_time(end))
        ]

    def recording_media(self, recording_id: str) -> str | None:
        """The media file name a recording serves (None if unknown); ``processing`` ones included."""
        info = self._recording(recording_id, visible_only=False)
        return self._media_name(info) if info else None

    def is_processing(self, recording_id: str) -> bool:
        """Whether the recording exists and is still PROCESSING (its content answers 400)."""
        info = self._recording(recording_id, visible_only=False)
        return bool(info and info.processing)

    def issue_access_token(self) -> str:
        """A valid access token without the OAuth dance (for tests)."""
        return self.store.issue_access_token()

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines ``perftel sandbox`` prints: URLs and the sandbox-only demo credentials."""
        return [
            ("base URL", self.base_url),
            ("authorize URL", f"{self.base_url}/oauth/authorize"),
            ("token URL", f"{self.base_url}/oauth/token"),
            ("client_id", self.credentials["client_id"]),
            ("client_secret", self.credentials["client_secret"]),
            ("refresh_token", self.credentials["refresh_token"]),
            ("redirect_uri", self.redirect_uri),
            ("account_key", self.account_key),
        ]

    # --- dispatch: faults, rate limit, bearer -----------------------------------------------------
    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        """API requests: slow/5xx faults, then the rate limit (429), then the bearer (401); then route."""
        bucket = request.path.strip("/").split("/", 1)[0]
        if bucket not in _API_BUCKETS:
            return super().dispatch(request)
        self.faults.pause()
        status = self.faults.next_server_error()
        if status == 503:
            return goto_error(503, "UNAVAILABLE", "The service is temporarily unavailable.")
        if status:
            return goto_error(500, "UNKNOWN_ERROR", "An unknown error occurred.")
        if self.faults.take("rate_limit_burst") or (
            self.enforce_rate_limit and not self._limiter.allow(bucket)
        ):
            return goto_error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded; retry later.")
        scheme, token = request.authorization
        problem = self.store.check_bearer(scheme, token)
        if problem == "scheme":
            return goto_error(
                401, "AUTHN_UNSUPPORTED_SCHEME", f"Authentication scheme {scheme!r} is not supported."
            )
        if problem:
            return goto_error(401, *_AUTHN[problem])
        return super().dispatch(request)

    def not_found(self, request: SandboxRequest, *, method_not_allowed: bool = False) -> SandboxResponse:
        """GoTo's 404/405 error bodies on API paths; plain text on the OAuth and media paths."""
        if request.path.startswith("/media/") or request.path.startswith("/oauth/"):
            return super().not_found(request, method_not_allowed=method_not_allowed)
        if method_not_allowed:
            return goto_error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed here.")
        return goto_error(404, "NOT_FOUND", f"No resource at {request.path}.")

    # --- OAuth ---------------------------------------------------------------------------
    def _authorize(self, request: SandboxRequest) -> SandboxResponse:
        return authorize_response(self.store, request)

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        extra = {"scope": SCOPE, "principal": PRINCIPAL}
        return token_response(self.store, request, extra, code_extra={"account_key": self.account_key})

    # --- admin ----------------------------------------------------------------------------
    def _me(self, request: SandboxRequest) -> SandboxResponse:
        # ASSUMPTION (not in REFERENCE.md): how a client learns its accountKey. Shape modelled on GoTo's
        # admin "me" resource; auth-code token responses also carry account_key.
        return json_response(
            200,
            {
                "accountKey": self.account_key,
                "email": PRINCIPAL,
                "firstName": "Sandbox",
                "lastName": "Agent",
                "locale": "en_US",
            },
        )

    # --- call events report -------------------------------------------------------------------
    def _summaries(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        if not q.get("accountKey"):
            return _violation("accountKey", "one of accountKey, userKey, lineId, phoneNumberId is required")
        if q["accountKey"] != self.account_key:
            return goto_error(403, "AUTHZ_INSUFFICIENT_SCOPE", "Not authorized for this accountKey.")
        times = {}
        for name in ("startTime", "endTime"):
            if not q.get(name):
                return _violation(name, "must not be null")
            try:
                times[name] = parse_time(q[name])
            except ValueError:
                return _violation(name, "must be an ISO-8601 date-time")
        start, end = times["startTime"], times["endTime"]
        if end <= start:
            return _violation("endTime", "must be after startTime")
        if end - start > MAX_WINDOW:
            return _violation("endTime", "the time window must not exceed 31 days")
        try:
            page_size = int(q.get("pageSize", "100"))
        except ValueError:
            return _violation("pageSize", "must be an integer")
        if not 1 <= page_size <= 1000:
            return _violation("pageSize", "must be between 1 and 1000")
        query_id = f"{self.account_key}|{start.isoformat()}|{end.isoformat()}"
        after = None
        if q.get("pageMarker"):
            after = self._markers.decode(q["pageMarker"], query_id)
            if after is None:
                return _violation("pageMarker", "is invalid or does not belong to this query")
        items = [c.report for c in self._calls_between(start, end)]
        if after is not None:
            items = rows_after(items, lambda r: (r["callCreated"], r["conversationSpaceId"]), after)
        page, rest = items[:page_size], items[page_size:]
        marker = None
        if rest:
            last = page[-1]
            marker = self._markers.encode([last["callCreated"], last["conversationSpaceId"]], query_id)
        return json_response(200, {"items": [gen.summary(r) for r in page], "nextPageMarker": marker})

    def _report(self, request: SandboxRequest) -> SandboxResponse:
        cs_id = request.params["cs_id"]
        call = self._call(cs_id)
        if call is None:
            return _missing("Report", cs_id)
        with self._lock:
            seen = self._report_fetches[cs_id] = self._report_fetches.get(cs_id, 0) + 1
        if seen <= self.report_delay:
            return _missing("Report", cs_id)
        return json_response(200, call.report)

    # --- recordings -----------------------------------------------------------------------
    def _content(self, request: SandboxRequest) -> SandboxResponse:
        rec_id = request.params["rec_id"]
        info = self._recording(rec_id)
        if info is None:
            return _missing("Recording", rec_id)
        if info.processing:
            return goto_error(
                400,
                "BAD_REQUEST",
                f"Recording {rec_id} is not UPLOADED yet (status PROCESSING); try again later.",
            )
        token, expires = self._content_tokens.issue(rec_id)
        stamp = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return json_response(200, {"token": token, "expires": stamp})

    def _content_redirect(self, request: SandboxRequest) -> SandboxResponse:
        rec_id, token = request.params["rec_id"], request.params["token"]
        entry = self._content_tokens.get(token)
        if entry is None or entry[0] != rec_id:
            return goto_error(403, "UNAUTHORIZED", "The content token is not valid for this recording.")
        if entry[1]:
            return goto_error(401, "AUTHN_EXPIRED_TOKEN", "The content token is expired.")
        info = self._recording(rec_id)
        if info is None:
            return _missing("Recording", rec_id)
        opaque, _ = self._media_links.issue(self._media_name(info))
        return redirect(f"{self.media_base_url}/media/{opaque}.wav")

    def _media(self, request: SandboxRequest) -> SandboxResponse:
        opaque = request.params["name"].removesuffix(".wav")
        entry = self._media_links.get(opaque)
        request.note_authorization()
        if entry is None:
            return text_response(404, "Not Found")
        if entry[1]:
            return text_response(403, "Request has expired")
        data = self.speech.read(entry[0])
        return bytes_response(data, "audio/wav", truncate_to=self.faults.truncation(len(data)))

    # --- data -------------------------------------------------------------------------------
    def _day(self, day: date) -> tuple[gen.Call, ...]:
        return gen.calls_for_day(self.seed, day, float(self.calls_per_day), self.account_key)

    def _calls_between(self, start: datetime, end: datetime) -> list[gen.Call]:
        now = datetime.now(timezone.utc)
        days = common_data.utc_days(start.date(), end.date())
        return [c for day in days for c in self._day(day) if start <= c.created < end and c.ended <= now]

    def _call(self, cs_id: str) -> gen.Call | None:
        day = gen.day_of_id(cs_id, self.seed)
        if day is None:
            return None
        now = datetime.now(timezone.utc)
        return next(
            (c for c in self._day(day) if c.report["conversationSpaceId"] == cs_id and c.ended <= now), None
        )

    def _recording(self, rec_id: str, *, visible_only: bool = True) -> gen.RecordingInfo | None:
        day = gen.day_of_id(rec_id, self.seed)
        if day is None:
            return None
        now = datetime.now(timezone.utc)
        for call in self._day(day):
            for info in call.recordings:
                if info.recording_id == rec_id and (call.ended <= now or not visible_only):
                    return info
        return None

    def _media_name(self, info: gen.RecordingInfo) -> str:
        return self.speech.pick(info.language, info.media_index)
