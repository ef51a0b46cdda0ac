"""RingCentral emulator: OAuth (JWT bearer + single-use refresh tokens), call log, recordings on a
separate media host, throttling groups with penalty windows (REFERENCE.md §4; shapes follow the
official spec ``rc-public-openapi.yml``, which the sandbox tests validate against).

Routes (platform host = ``base_url``; media host = the same server under the other loopback name)::

    POST /restapi/oauth/token                                   jwt-bearer | refresh_token (HTTP Basic client auth)
    GET  /restapi/v1.0/account/{accountId}/extension/{extId}    the JWT user's extension   (Light)
    GET  /restapi/v1.0/account/{accountId}/call-log             company call log, admins only (Heavy)
    GET  /restapi/v1.0/account/{accountId}/extension/{extId}/call-log   the user's call log (Heavy)
    GET  /restapi/v1.0/account/{accountId}/recording/{recId}    {"id", "contentUri", "contentType", "duration"} (Heavy)
    GET  /restapi/v1.0/account/{accountId}/recording/{recId}/content    media host only; Bearer or
                                                                ?access_token=; Range → 206 / 416 CMN-107 (Heavy)

``accountId``/``extId`` may be ``~``. Call log: ``dateFrom``/``dateTo`` (missing dateFrom = dateTo − 24 h,
like the real API), ``perPage`` 1–1000 or ``max``, ``page``, ``view`` Simple|Detailed, ``type``,
``direction``, ``telephonySessionId``; newest first; page links (``navigation``) carry only ``page`` and
``perPage`` unless ``full_navigation_uris=True``; past the last page: empty ``records`` and a stripped
``paging``. Errors: ``{"errors": [{"errorCode", "message"}]}`` (+ OAuth ``error``/``error_description``).

Options: ``token_ttl``, ``refresh_token_ttl``, ``issue_refresh_tokens``, ``rotate_refresh_tokens`` (default
True: refresh tokens are single use), ``calls_per_day``, ``admin``
(False: the company call log answers 403 CMN-401), ``enforce_rate_limit``, ``rate_limits`` ({group: limit
or (limit, window)}), ``heavy_limit``/``medium_limit``/``light_limit``/``auth_limit``, ``rate_window``
(seconds, default 60), ``penalty_seconds`` (default 60), ``max_per_page``, ``full_navigation_uris``,
``list_order`` (``newest`` first, ``oldest`` or ``shuffled``).

Every response carries ``X-Rate-Limit-Group/-Limit/-Remaining/-Window``. Over the limit → 429 CMN-301
with ``Retry-After`` and a penalty window; every request of that group inside the window restarts it
(counted in ``penalty_violations``).

Fault switches (``sandbox.faults``)::

    rate_limit_burst = N      next N API requests → 429 CMN-301 and a penalty window for their group
    server_errors = N         next N API/media requests → 503 CMN-211 / 500 CMN-201, alternating
    slow_seconds = x          every API/media answer is delayed by x seconds
    truncate_media = N        next N media answers announce the full length, send half, close
    partial_media = N         next N media answers are 206 with only the first half (Content-Range)
    expire_access_tokens()    every access token so far → 401 OAU-128
    revoke()                  the JWT and every token so far → invalid_grant / 401
    reset()                   counters and values back to their defaults
"""

from __future__ import annotations

import base64
import copy
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

from perftel_sandbox import ringcentral_data as data
from perftel_sandbox.common_data import rng_for, utc_days
from perftel_sandbox.messages import SandboxRequest, SandboxResponse, json_response
from perftel_sandbox.oauth import OAuthFaults, SandboxTokens, fixed_token
from perftel_sandbox.paging import check_list_order
from perftel_sandbox.rate_limits import SlidingWindow
from perftel_sandbox.ringcentral_calllog import call_log, parse_time
from perftel_sandbox.ringcentral_errors import bearer_error, missing_resource, rc_error
from perftel_sandbox.ringcentral_limits import DEFAULT_LIMITS, group_of, rate_headers, throttling_groups
from perftel_sandbox.ringcentral_media import content_response
from perftel_sandbox.ringcentral_oauth import SCOPE, token_response
from perftel_sandbox.server import SandboxServer
from perftel_sandbox.speech import SpeechFiles


class RingCentralFaults(OAuthFaults):
    """The RingCentral sandbox's fault switches (listed in the module docstring)."""

    partial_media: int = 0

    def revoke(self) -> None:
        """The JWT credential and every token issued so far stop working."""
        self._sandbox.jwt_revoked = True
        super().revoke()


class RingCentralSandbox(SandboxServer):
    """A running RingCentral emulator; see the module docstring. Use :func:`perftel_sandbox.start_sandbox`."""

    provider = "ringcentral"

    def __init__(
        self,
        *,
        seed: int = 7,
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl: int = 3600,
        refresh_token_ttl: int = 604800,
        issue_refresh_tokens: bool = True,
        rotate_refresh_tokens: bool = True,
        calls_per_day: float = 6,
        admin: bool = True,
        enforce_rate_limit: bool = True,
        rate_limits: dict | None = None,
        heavy_limit: int | None = None,
        medium_limit: int | None = None,
        light_limit: int | None = None,
        auth_limit: int | None = None,
        rate_window: float = 60.0,
        penalty_seconds: float = 60.0,
        max_per_page: int = 1000,
        full_navigation_uris: bool = False,
        list_order: str = "newest",
    ) -> None:
        super().__init__(host=host, port=port)
        self.list_order = check_list_order(list_order)
        self.seed, self.calls_per_day, self.admin = seed, calls_per_day, admin
        self.enforce_rate_limit, self.penalty_seconds = enforce_rate_limit, penalty_seconds
        self.max_per_page, self.full_navigation_uris = max(1, min(1000, max_per_page)), full_navigation_uris
        self.issue_refresh_tokens, self.refresh_token_ttl = issue_refresh_tokens, refresh_token_ttl
        self.account_id = data.account_id(seed)
        self.extensions = data.extensions(seed)
        self.user = self.extensions[0]  # whose JWT the credentials hold
        rng = rng_for(seed, "rc-client")
        self.store = SandboxTokens(
            client_id=base64.urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("="),
            client_secret=base64.urlsafe_b64encode(rng.randbytes(24)).decode(),
            redirect_uris=[],
            token_ttl=token_ttl,
            rotate_refresh_tokens=rotate_refresh_tokens,
            principal=str(self.user.id),
            scope=SCOPE,
        )
        self.jwt = fixed_token(
            {
                "aud": "https://platform.ringcentral.com/restapi/oauth/token",
                "sub": str(self.user.id),
                "iss": self.store.client_id,
            },
            f"rc-jwt:{seed}",
        )
        self.jwt_revoked = False
        self.credentials = {
            "client_id": self.store.client_id,
            "client_secret": self.store.client_secret,
            "jwt": self.jwt,
        }
        self.faults = RingCentralFaults(self.store, self)
        overrides = {"Heavy": heavy_limit, "Medium": medium_limit, "Light": light_limit, "Auth": auth_limit}
        self._groups = throttling_groups(rate_limits, overrides, rate_window)
        self.penalty_violations = 0
        self.rate_events: list[
            tuple[float, str, int]
        ] = []  # (monotonic time, group, status) of every request
        self.stats: Counter[str] = Counter()  # token grants, refused grants, ...
        self._lock = threading.Lock()
        self.speech = SpeechFiles()

        route = self.router.add
        route("POST", "/restapi/oauth/token", lambda request: token_response(self, request))
        route("GET", "/restapi/v1.0/account/{acc}/extension/{ext}", self._extension)
        route("GET", "/restapi/v1.0/account/{acc}/call-log", self._company_log)
        route("GET", "/restapi/v1.0/account/{acc}/extension/{ext}/call-log", self._user_log)
        route("GET", "/restapi/v1.0/account/{acc}/recording/{rec}", self._recording_info)
        route("GET", "/restapi/v1.0/account/{acc}/recording/{rec}/content", self._content)

    # --- public helpers ---------------------------------------------------------------------
    def expected_calls(
        self, start: str | datetime, end: str | datetime, *, extension_only: bool = False
    ) -> list[dict]:
        """Sessions with a record started in [start, end) and ended by now, as the client should see them:
        ``{"telephonySessionId", "startTime", "direction", "answered", "records", "recording_ids"}``."""
        lo = parse_time(start) if isinstance(start, str) else start
        hi = parse_time(end) if isinstance(end, str) else end
        found = []
        for session, records in self.listed(lo, hi, extension_only=extension_only):
            if records:
                found.append(
                    {
                        "telephonySessionId": session.telephony_session_id,
                        "startTime": records[0]["startTime"],
                        "direction": records[0]["direction"],
                        "answered": records[0]["result"] in ("Accepted", "Call connected"),
                        "records": [self.render(r, True) for r in records],
                        "recording_ids": [r["recording"]["id"] for r in records if "recording" in r],
                    }
                )
        return found

    def listed(
        self, lo: datetime, hi: datetime, *, extension_only: bool
    ) -> Iterator[tuple[data.Session, list[dict]]]:
        """Each ended session with a record starting in [lo, hi) (UTC), with its stored (unrendered) records
        that started in it — only the JWT user's with ``extension_only``."""
        for session in self._sessions(lo, hi):
            records = [r for r in session.records if lo <= parse_time(r["startTime"]) < hi]
            if extension_only:
                records = [r for r in records if r["extension"]["id"] == self.user.id]
            yield session, records

    def recording_media(self, recording_id: str) -> str | None:
        """The media file name a recording serves, or ``None`` if there is no such recording."""
        info = self._recording(recording_id)
        return self._media_name(info) if info else None

    def issue_access_token(self) -> str:
        """A valid access token without the token endpoint (for tests)."""
        return self.store.issue_access_token()

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines ``perftel sandbox`` prints: URLs, limits and the sandbox-only credentials."""
        return [
            ("base URL", self.base_url),
            ("media URL", self.media_base_url),
            ("token URL", f"{self.base_url}/restapi/oauth/token"),
            ("client_id", self.credentials["client_id"]),
            ("client_secret", self.credentials["client_secret"]),
            ("jwt", self.credentials["jwt"]),
            ("account id", self.account_id),
            ("extension", f"{self.user.number} ({self.user.name}, id {self.user.id})"),
            ("rate limits", ", ".join(f"{k} {g.limit}/{g.window:g}s" for k, g in self._groups.items())),
        ]

    # --- dispatch: faults, throttling groups, bearer -------------------------------------------
    def _throttle(self, group_name: str) -> tuple[bool, dict[str, str]]:
        """``(allowed, rate headers)``; a refused request starts (or restarts) the penalty window."""
        group = self._groups.setdefault(group_name, SlidingWindow(DEFAULT_LIMITS["Light"], 60.0))
        now = time.monotonic()
        with self._lock:
            forced = self.faults.take("rate_limit_burst") if group_name != "Auth" else False
            allowed, penalised = group.admit(
                now, enforce=self.enforce_rate_limit, forced=forced, penalty=self.penalty_seconds
            )
            self.penalty_violations += penalised
            remaining = group.remaining
        return allowed, rate_headers(group_name, group, remaining)

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        """``/restapi`` requests: slow/5xx faults (not on the token endpoint), the group's throttle (429
        CMN-301 with ``Retry-After``), the bearer (401); then route. ``X-Rate-Limit-*`` on every answer."""
        group = group_of(request.path)
        media = request.path.endswith("/content")
        if not request.path.startswith("/restapi/"):
            return super().dispatch(request)
        if group != "Auth":
            self.faults.pause()
            status = self.faults.next_server_error()
            if status:
                return rc_error(
                    status, "CMN-211" if status == 503 else "CMN-201", "Service Temporary Unavailable"
                )
        allowed, headers = self._throttle(group)
        with self._lock:
            self.rate_events.append((time.monotonic(), group, 200 if allowed else 429))
        if not allowed:
            retry = {"Retry-After": f"{self.penalty_seconds:g}", **headers}
            return rc_error(429, "CMN-301", "Request rate exceeded", retry)
        if group == "Auth":
            response = super().dispatch(request)
        else:
            response = self._authorised(request, media) or super().dispatch(request)
        response.headers.update(headers)
        return response

    def _authorised(self, request: SandboxRequest, media: bool) -> SandboxResponse | None:
        """``None`` when the Bearer (or, on the media host, ``?access_token=``) is valid, else the 401."""
        scheme, token = request.authorization
        if media:
            request.note_authorization()
            if not scheme and request.query.get("access_token"):
                scheme, token = "Bearer", request.query["access_token"]
        problem = self.store.check_bearer(scheme, token)
        return bearer_error(problem, scheme) if problem else None

    def not_found(self, request: SandboxRequest, *, method_not_allowed: bool = False) -> SandboxResponse:
        """RingCentral's 404 CMN-102 / 405 CMN-103 bodies."""
        if method_not_allowed:
            return rc_error(405, "CMN-103", f"Method {request.method} is not allowed for the resource")
        return rc_error(404, "CMN-102", f"Resource for parameter [path] is not found: {request.path}")

    # --- account resources -------------------------------------------------------------------
    def _check_account(self, request: SandboxRequest) -> SandboxResponse | None:
        if request.params.get("acc") not in ("~", self.account_id):
            return missing_resource("accountId")
        if request.params.get("ext", "~") not in ("~", str(self.user.id)):
            return rc_error(
                403,
                "CMN-401",
                "In order to call this API endpoint, user needs to have "
                "[ReadExtensions] permission for requested resource.",
                permissionName="ReadExtensions",
            )
        return None

    def _extension(self, request: SandboxRequest) -> SandboxResponse:
        problem = self._check_account(request)
        if problem:
            return problem
        return json_response(
            200,
            {
                "id": self.user.id,
                "uri": f"{self.base_url}/restapi/v1.0/account/{self.account_id}/extension/{self.user.id}",
                "extensionNumber": self.user.number,
                "name": self.user.name,
                "type": "User",
                "status": "Enabled",
                "account": {
                    "id": self.account_id,
                    "uri": f"{self.base_url}/restapi/v1.0/account/{self.account_id}",
                },
                "permissions": {"admin": {"enabled": self.admin}},
            },
        )

    def _company_log(self, request: SandboxRequest) -> SandboxResponse:
        problem = self._check_account(request)
        if problem:
            return problem
        if not self.admin:
            message = (
                "In order to call this API endpoint, user needs to have [FullCompanyCallLog] permission "
                "for requested resource."
            )
            body = {
                "errorCode": "InsufficientPermissions",
                "message": message,
                "permissionName": "FullCompanyCallLog",
                "errors": [
                    {"errorCode": "CMN-401", "message": message, "permissionName": "FullCompanyCallLog"}
                ],
            }
            return json_response(403, body)
        return call_log(self, request, extension_only=False)

    def _user_log(self, request: SandboxRequest) -> SandboxResponse:
        return self._check_account(request) or call_log(self, request, extension_only=True)

    # --- recordings ----------------------------------------------------------------------------
    def _recording_info(self, request: SandboxRequest) -> SandboxResponse:
        info = None if self._check_account(request) else self._recording(request.params["rec"])
        if info is None:
            return missing_resource("recordingId")
        content = f"{self.media_base_url}/restapi/v1.0/account/{self.account_id}/recording/{info.id}/content"
        return json_response(
            200, {"id": info.id, "contentUri": content, "contentType": "audio/wav", "duration": info.duration}
        )

    def _content(self, request: SandboxRequest) -> SandboxResponse:
        if request.host.rsplit(":", 1)[0] != self.media_host:
            return rc_error(
                404, "CMN-102", f"Recording content is served by the media host {self.media_base_url}."
            )
        info = None if self._check_account(request) else self._recording(request.params["rec"])
        if info is None:
            return missing_resource("recordingId")
        blob = self.speech.read(self._media_name(info))
        return content_response(blob, request.headers.get("range"), self.faults)

    # --- data -------------------------------------------------------------------------------
    def render(self, record: dict, detailed: bool) -> dict:
        """A stored record with the platform/media base URLs put in front of its paths."""
        record = copy.deepcopy(record)
        for item in [record, *record.get("legs", [])]:
            if "uri" in item:
                item["uri"] = self.base_url + item["uri"]
            item["extension"]["uri"] = self.base_url + item["extension"]["uri"]
            if "recording" in item:
                item["recording"]["uri"] = self.base_url + item["recording"]["uri"]
                item["recording"]["contentUri"] = self.media_base_url + item["recording"]["contentUri"]
        return record

    def _sessions(self, start: datetime, end: datetime) -> list[data.Session]:
        now = datetime.now(timezone.utc)
        days = utc_days((start - timedelta(days=1)).date(), end.date())  # a session may start before `start`
        return [
            s
            for day in days
            for s in data.sessions_for_day(self.seed, day, float(self.calls_per_day))
            if s.ended <= now and any(start <= parse_time(r["startTime"]) < end for r in s.records)
        ]

    def _recording(self, recording_id: str) -> data.RecordingFile | None:
        day = data.day_of_recording(recording_id)
        if day is None or not date(1971, 1, 1) <= day <= date(9000, 1, 1):
            return None
        now = datetime.now(timezone.utc)
        for session in data.sessions_for_day(self.seed, day, float(self.calls_per_day)):
            for info in session.recordings:
                if info.id == recording_id and session.ended <= now:
                    return info
        return None

    def _media_name(self, info: data.RecordingFile) -> str:
        return self.speech.pick(info.language, info.media_index)
