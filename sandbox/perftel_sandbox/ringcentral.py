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
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

from perftel_sandbox import ringcentral_data as data
from perftel_sandbox.common_data import rng_for
from perftel_sandbox.oauth import OAuthError, OAuthFaults, SandboxTokens, fixed_token
from perftel_sandbox.server import (
    SandboxRequest,
    SandboxResponse,
    SandboxServer,
    check_list_order,
    json_response,
    list_key,
)
from perftel_sandbox.speech import SpeechFiles

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "ReadAccounts ReadCallLog ReadCallRecording"
DEFAULT_LIMITS = {"Heavy": 10, "Medium": 40, "Light": 50, "Auth": 5}
API = "/restapi/v1.0/account/{acc}"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TOKEN_PROBLEMS = {
    "malformed": ("OAU-129", "Access token corrupted"),
    "invalid": ("OAU-129", "Access token corrupted"),
    "expired": ("OAU-128", "Access token expired"),
}


def rc_error(
    status: int, code: str, message: str, headers: dict | None = None, **extra: str
) -> SandboxResponse:
    """RingCentral's error body ``{"errors": [{"errorCode", "message", ...}]}``."""
    return json_response(status, {"errors": [{"errorCode": code, "message": message, **extra}]}, headers)


def oauth_error(error: OAuthError, code: str, parameter: str | None = None) -> SandboxResponse:
    entry = {"errorCode": code, "message": error.description}
    if parameter:
        entry["parameterName"] = parameter
    body = {"error": error.error, "error_description": error.description, "errors": [entry]}
    return json_response(error.status, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def parse_time(value: str) -> datetime:
    """An ISO-8601 date-time with zone (naive = UTC). Raises ValueError."""
    if "T" not in value:
        raise ValueError("a date-time is required")
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class RingCentralFaults(OAuthFaults):
    """The RingCentral sandbox's fault switches (listed in the module docstring)."""

    partial_media: int = 0

    def __init__(self, store: SandboxTokens, sandbox: RingCentralSandbox) -> None:
        super().__init__(store)
        self._sandbox = sandbox

    def revoke(self) -> None:
        """The JWT credential and every token issued so far stop working."""
        self._sandbox.jwt_revoked = True
        super().revoke()


class _Group:
    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.hits: deque[float] = deque()
        self.penalty_until = 0.0


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
        self.media_host = "localhost" if self.host != "localhost" else "127.0.0.1"
        self.media_base_url = f"http://{self.media_host}:{self.port}"
        limits = {**DEFAULT_LIMITS, **{k: v for k, v in (rate_limits or {}).items()}}
        for group, value in (
            ("Heavy", heavy_limit),
            ("Medium", medium_limit),
            ("Light", light_limit),
            ("Auth", auth_limit),
        ):
            if value is not None:
                limits[group] = value
        self._groups = {
            name: _Group(*(value if isinstance(value, (tuple, list)) else (value, rate_window)))
            for name, value in limits.items()
        }
        self.penalty_violations = 0
        self.rate_events: list[
            tuple[float, str, int]
        ] = []  # (monotonic time, group, status) of every request
        self.stats: Counter[str] = Counter()  # token grants, refused grants, ...
        self._lock = threading.Lock()
        self._server_error_count = 0
        self.speech = SpeechFiles()

        route = self.router.add
        route("POST", "/restapi/oauth/token", self._token)
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
        for session, records in self._listed(lo, hi, extension_only=extension_only):
            if records:
                found.append(
                    {
                        "telephonySessionId": session.telephony_session_id,
                        "startTime": records[0]["startTime"],
                        "direction": records[0]["direction"],
                        "answered": records[0]["result"] in ("Accepted", "Call connected"),
                        "records": [self._render(r, True) for r in records],
                        "recording_ids": [r["recording"]["id"] for r in records if "recording" in r],
                    }
                )
        return found

    def _listed(
        self, lo: datetime, hi: datetime, *, extension_only: bool
    ) -> Iterator[tuple[data.Session, list[dict]]]:
        """Each session in the window with its stored (unrendered) records that started in it."""
        for session in self._sessions(lo, hi):
            records = [r for r in session.records if lo <= parse_time(r["startTime"]) < hi]
            if extension_only:
                records = [r for r in records if r["extension"]["id"] == self.user.id]
            yield session, records

    def recording_media(self, recording_id: str) -> str | None:
        info = self._recording(recording_id)
        return self._media_name(info) if info else None

    def issue_access_token(self) -> str:
        return self.store.issue_access_token()

    def describe(self) -> list[tuple[str, str]]:
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
    @staticmethod
    def group_of(path: str) -> str:
        if path.startswith("/restapi/oauth/"):
            return "Auth"
        return "Heavy" if "/call-log" in path or "/recording" in path else "Light"

    def _throttle(self, group_name: str) -> tuple[bool, dict[str, str]]:
        """``(allowed, rate headers)``; a refused request starts (or restarts) the penalty window."""
        group = self._groups.setdefault(group_name, _Group(DEFAULT_LIMITS["Light"], 60.0))
        now = time.monotonic()
        with self._lock:
            while group.hits and now - group.hits[0] >= group.window:
                group.hits.popleft()
            penalised = now < group.penalty_until
            if penalised:
                self.penalty_violations += 1
            forced = self.faults.take("rate_limit_burst") if group_name != "Auth" else False
            allowed = not (
                penalised or forced or (self.enforce_rate_limit and len(group.hits) >= group.limit)
            )
            if allowed:
                group.hits.append(now)
            else:
                group.penalty_until = now + self.penalty_seconds
            remaining = max(0, group.limit - len(group.hits))
        headers = {
            "X-Rate-Limit-Group": group_name,
            "X-Rate-Limit-Limit": str(group.limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Window": f"{group.window:g}",
        }
        return allowed, headers

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        group = self.group_of(request.path)
        media = request.path.endswith("/content")
        if not request.path.startswith("/restapi/"):
            return super().dispatch(request)
        if group != "Auth":
            if self.faults.slow_seconds > 0:
                time.sleep(self.faults.slow_seconds)
            if self.faults.take("server_errors"):
                with self._lock:
                    self._server_error_count += 1
                    odd = self._server_error_count % 2 == 1
                if odd:
                    return rc_error(503, "CMN-211", "Service Temporary Unavailable")
                return rc_error(500, "CMN-201", "Service Temporary Unavailable")
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
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if media:
            request.note = (
                "authorization header present" if request.has_authorization else "no authorization header"
            )
            if not scheme and request.query.get("access_token"):
                scheme, token = "Bearer", request.query["access_token"]
        if not scheme:
            return rc_error(
                401, "OAU-123", "Authorization header is not specified", parameterName="Authorization"
            )
        if scheme.lower() != "bearer":
            return rc_error(401, "OAU-123", f"Authorization scheme {scheme!r} is not supported")
        problem = self.store.check_access(token.strip())
        return rc_error(401, *_TOKEN_PROBLEMS[problem]) if problem else None

    def not_found(self, request: SandboxRequest, *, method_not_allowed: bool = False) -> SandboxResponse:
        if method_not_allowed:
            return rc_error(405, "CMN-103", f"Method {request.method} is not allowed for the resource")
        return rc_error(404, "CMN-102", f"Resource for parameter [path] is not found: {request.path}")

    # --- OAuth ---------------------------------------------------------------------------
    def _token(self, request: SandboxRequest) -> SandboxResponse:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return rc_error(415, "CMN-415", "Unsupported Media Type")
        form = request.form()
        grant = form.get("grant_type", "")
        try:
            try:
                self.store.check_basic(request.headers.get("authorization"))
            except OAuthError as exc:
                raise OAuthError("invalid_client", f"Invalid client: {exc.description}", 400) from exc
            if grant == JWT_GRANT:
                if not form.get("assertion"):
                    return oauth_error(
                        OAuthError("invalid_request", "assertion is required"), "OAU-101", "assertion"
                    )
                if form["assertion"] != self.jwt or self.jwt_revoked:
                    raise OAuthError(
                        "invalid_grant", "Invalid assertion: the JWT is unknown, expired or revoked"
                    )
                access = self.store.issue_access_token()
                refresh = self.store.issue_refresh_token() if self.issue_refresh_tokens else None
            elif grant == "refresh_token":
                if not form.get("refresh_token"):
                    return oauth_error(
                        OAuthError("invalid_request", "refresh_token is required"), "OAU-101", "refresh_token"
                    )
                access, refresh = self.store.refresh(form["refresh_token"])  # single use: the old one dies
            else:
                raise OAuthError("unsupported_grant_type", f"Unsupported grant type: {grant!r}")
        except OAuthError as exc:
            self.stats[f"refused:{grant or '-'}:{exc.error}"] += 1
            code = {"invalid_client": "OAU-123", "invalid_grant": "OAU-140"}.get(exc.error, "OAU-101")
            return oauth_error(exc, code)
        self.stats[f"granted:{grant}"] += 1
        body = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.store.token_ttl,
            "scope": SCOPE,
            "owner_id": str(self.user.id),
            "endpoint_id": uuid.uuid4().hex[:22],
            "session_id": str(uuid.uuid4().int % 10**12),
        }
        if refresh:
            body.update(refresh_token=refresh, refresh_token_expires_in=self.refresh_token_ttl)
        return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # --- account resources -------------------------------------------------------------------
    def _check_account(self, request: SandboxRequest) -> SandboxResponse | None:
        if request.params.get("acc") not in ("~", self.account_id):
            return rc_error(
                404, "CMN-102", "Resource for parameter [accountId] is not found", parameterName="accountId"
            )
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
        return self._call_log(request, extension_only=False)

    def _user_log(self, request: SandboxRequest) -> SandboxResponse:
        return self._check_account(request) or self._call_log(request, extension_only=True)

    def _call_log(self, request: SandboxRequest, *, extension_only: bool) -> SandboxResponse:
        q = request.query

        def bad(name: str) -> SandboxResponse:
            return rc_error(400, "CMN-101", f"Parameter [{name}] value is invalid.", parameterName=name)

        try:
            hi = parse_time(q["dateTo"]) if q.get("dateTo") else datetime.now(timezone.utc)
        except ValueError:
            return bad("dateTo")
        try:
            lo = parse_time(q["dateFrom"]) if q.get("dateFrom") else hi - timedelta(hours=24)
        except ValueError:
            return bad("dateFrom")
        per_page_text = q.get("perPage", "100")
        if per_page_text != "max" and not (per_page_text.isdigit() and 1 <= int(per_page_text) <= 1000):
            return bad("perPage")
        per_page = min(1000 if per_page_text == "max" else int(per_page_text), self.max_per_page)
        page_text = q.get("page", "1")
        if not page_text.isdigit() or not 1 <= int(page_text) <= 1000:
            return bad("page")
        page, view = int(page_text), q.get("view", "Simple")
        if view not in ("Simple", "Detailed"):
            return bad("view")
        records = []  # stored records: only the page's are rendered (copied with our URLs)
        for _, stored in self._listed(lo, hi, extension_only=extension_only):
            records.extend(
                r
                for r in stored
                if all(
                    not q.get(k) or str(r.get(k)).lower() == q[k].lower()
                    for k in ("type", "direction", "telephonySessionId")
                )
            )
        order, newest_first = list_key(self.list_order, lambda r: (r["startTime"], r["id"]), self.seed)
        records.sort(key=order, reverse=newest_first)
        total_pages = max(1, -(-len(records) // per_page))
        path = f"{self.base_url}{request.path}"

        def link(number: int) -> dict:
            query = (
                {**q, "page": number, "perPage": per_page}
                if self.full_navigation_uris
                else {"page": number, "perPage": per_page}
            )
            return {"uri": f"{path}?{urlencode(query)}"}

        body: dict = {"uri": f"{path}?{urlencode({**q, 'page': page, 'perPage': per_page})}"}
        if page > total_pages:  # past the last page: nothing, and paging stripped to the required field
            body.update(records=[], paging={"perPage": per_page}, navigation={})
            return json_response(200, body)
        chunk = [self._render(r, True) for r in records[(page - 1) * per_page : page * per_page]]
        for record in chunk:
            record["uri"] += f"?view={view}"
            if view == "Simple":
                record.pop("legs", None)
                record.pop("lastModifiedTime", None)
        navigation = {"firstPage": link(1), "lastPage": link(total_pages)}
        if page < total_pages:
            navigation["nextPage"] = link(page + 1)
        if page > 1:
            navigation["previousPage"] = link(page - 1)
        paging = {"page": page, "totalPages": total_pages, "perPage": per_page, "totalElements": len(records)}
        if chunk:
            paging.update(pageStart=(page - 1) * per_page, pageEnd=(page - 1) * per_page + len(chunk) - 1)
        body.update(records=chunk, paging=paging, navigation=navigation)
        return json_response(200, body)

    # --- recordings ----------------------------------------------------------------------------
    def _recording_info(self, request: SandboxRequest) -> SandboxResponse:
        info = None if self._check_account(request) else self._recording(request.params["rec"])
        if info is None:
            return rc_error(
                404,
                "CMN-102",
                "Resource for parameter [recordingId] is not found",
                parameterName="recordingId",
            )
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
            return rc_error(
                404,
                "CMN-102",
                "Resource for parameter [recordingId] is not found",
                parameterName="recordingId",
            )
        blob = self.speech.read(self._media_name(info))
        headers = {"Content-Type": "audio/wav", "Accept-Ranges": "bytes"}
        wanted = request.headers.get("range")
        first, last = 0, len(blob) - 1
        if wanted:
            found = _RANGE.match(wanted.strip())
            if not found or not (found[1] or found[2]):
                return rc_error(416, "CMN-107", "Requested range not satisfiable")
            if found[1]:
                first, last = int(found[1]), min(int(found[2]) if found[2] else last, last)
            else:
                first = max(0, len(blob) - int(found[2]))
            if first > last:
                return rc_error(416, "CMN-107", "Requested range not satisfiable")
        elif self.faults.take("partial_media"):
            last = len(blob) // 2 - 1
        if wanted or last < len(blob) - 1:
            headers["Content-Range"] = f"bytes {first}-{last}/{len(blob)}"
            return SandboxResponse(206, blob[first : last + 1], headers)
        truncate = len(blob) // 2 if self.faults.take("truncate_media") else None
        return SandboxResponse(200, blob, headers, truncate_to=truncate)

    # --- data -------------------------------------------------------------------------------
    def _render(self, record: dict, detailed: bool) -> dict:
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
        found, day = [], (start - timedelta(days=1)).date()  # a session may start before `start`
        while day <= end.date():
            found.extend(
                s
                for s in data.sessions_for_day(self.seed, day, float(self.calls_per_day))
                if s.ended <= now and any(start <= parse_time(r["startTime"]) < end for r in s.records)
            )
            day += timedelta(days=1)
        return found

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
