"""GoTo Connect driver (REFERENCE.md §1).

* Auth: OAuth2 authorization code + refresh, client authenticated with HTTP Basic. A one-time
  consent (``authorization_url`` → the user approves → ``complete_authorization`` with the
  redirected URL or the bare code) yields the refresh token; from then on access tokens are
  refreshed before they expire (see ``perftel.http.oauth``).
* Calls: the Call Events Report — report summaries in windows of at most 31 days, paged with
  ``pageMarker``/``nextPageMarker``, then one report per call for its participants and recording
  ids (a report answers 404 until it is ready; we wait a little, then list the call without it).
* Recordings: ``/recording/v1/recordings/{id}/content`` gives a short-lived token;
  ``/content/{token}`` redirects (302) to the audio. A fresh token is asked for on every attempt.
* Pacing: under 10 requests/s per API (GoTo's default limit is per API).
"""

from __future__ import annotations

import secrets as _secrets
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx

from perftel.dates import iso_z, parse_time, windows
from perftel.errors import ApiError, AuthError, ConfigError, NotFoundError, RecordingNotReadyError
from perftel.http.client import ApiClient, ErrorInfo, error_body
from perftel.http.oauth import OAuth2Auth, TokenManager
from perftel.http.pagination import CursorPaginator, paginate
from perftel.http.ratelimit import RateLimiter
from perftel.models import CallMetadata, Direction, Participant, Recording, call_id_for
from perftel.providers.base import CredentialField, Provider
from perftel.providers.bounded import BoundedDict

MAX_WINDOW_DAYS = 31
WINDOW_OVERLAP = timedelta(days=1)  # how far from a window's end a call may also be listed in the next
PAGE_SIZE = 1000
REPORT_ATTEMPTS = 4  # a report that is still 404 after these is listed without its details
REPORT_WAIT_SECONDS = 2.0
AUTH_BASE_URL = "https://authentication.logmeininc.com"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback"
SCOPES = "cr.v1.read call-events.v1.notifications.manage recording.v1.read"
_ANSWERED_STATES = {"ANSWERED", "CONNECTED", "ACTIVE", "BRIDGED", "TALKING"}
_OAUTH_AUTH_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client", "access_denied"}


def parse_goto_error(response: httpx.Response) -> ErrorInfo:
    """GoTo's ``{"errorCode", "message"}`` bodies, and OAuth's ``{"error", "error_description"}``."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    code = body.get("errorCode") or body.get("error")
    message = body.get("message") or body.get("error_description")
    return ErrorInfo(str(code) if code else None, str(message) if message else None)


class GoToConnectProvider(Provider):
    name = "goto_connect"
    display_name = "GoTo Connect"
    default_base_url = "https://api.goto.com"
    credential_fields = (
        CredentialField("client_id", "OAuth client ID"),
        CredentialField("client_secret", "OAuth client secret", secret=True),
        CredentialField(
            "refresh_token", "Refresh token", secret=True, required=False,
            help="Leave empty to run the one-time consent: perftel prints a link to approve.",
        ),
        CredentialField("redirect_uri", "Redirect URI", required=False, help=f"Default {DEFAULT_REDIRECT_URI}"),
        CredentialField("account_key", "Account key", required=False, help="Found automatically when empty."),
    )

    #: Pace per API: GoTo documents 10 requests/s per API. With no burst (one token in the bucket) the
    #: requests go evenly spaced, so no one-second window ever holds more than 10.
    requests_per_second: float = 10.0

    def __init__(self, company_id: str, **options: Any) -> None:
        super().__init__(company_id, **options)
        # The real service splits API and token hosts; an override (sandbox, proxy) serves both.
        overridden = self.base_url != self.default_base_url
        self.auth_base_url = self.base_url if overridden else AUTH_BASE_URL
        self._api: ApiClient | None = None
        self._token_client: ApiClient | None = None
        self._manager: TokenManager | None = None
        self._account_key: str | None = None

    # -- HTTP plumbing ----------------------------------------------------------------------------
    @property
    def tokens(self) -> TokenManager:
        if self._manager is None:
            self._manager = TokenManager(self.token_store, self._refresh, provider=self.display_name)
        return self._manager

    @property
    def api(self) -> ApiClient:
        if self._api is None:
            self._api = ApiClient(
                provider=self.display_name,
                base_url=self.base_url,
                auth=OAuth2Auth(self.tokens),
                error_parser=parse_goto_error,
                rate_limiter=RateLimiter(self.requests_per_second, burst=1),
                rate_key=lambda path: path.strip("/").split("/", 1)[0],
                transport=self._transport,
                verify=self._verify,
                secrets=self.secret_values,
            )
        return self._api

    @property
    def token_client(self) -> ApiClient:
        if self._token_client is None:
            self._token_client = ApiClient(
                provider=self.display_name,
                base_url=self.auth_base_url,
                error_parser=parse_goto_error,
                transport=self._transport,
                verify=self._verify,
                secrets=self.secret_values,
            )
        return self._token_client

    def close(self) -> None:
        for client in (self._api, self._token_client):
            if client is not None:
                client.close()

    # -- OAuth ----------------------------------------------------------------------------------
    @property
    def redirect_uri(self) -> str:
        return self.secrets.get("redirect_uri") or DEFAULT_REDIRECT_URI

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        auth = httpx.BasicAuth(self.secrets["client_id"], self.secrets["client_secret"])
        try:
            response = self.token_client.request("POST", "/oauth/token", data=form, auth=auth)
        except ApiError as exc:
            if exc.error_code in _OAUTH_AUTH_ERRORS or exc.status_code in (401, 403):
                raise AuthError(
                    f"GoTo Connect refused the credentials ({exc.error_code or exc.status_code}): the client "
                    "id/secret are wrong or the refresh token was revoked or expired. Run the consent again "
                    f"(perftel credentials set --company {self.company_id} --provider goto_connect).",
                    provider=self.display_name,
                    status_code=exc.status_code,
                    url=exc.url,
                    error_code=exc.error_code,
                ) from exc
            raise
        body = response.json()
        if not isinstance(body, dict) or not body.get("access_token"):
            raise AuthError("GoTo Connect's token endpoint answered without an access token.", provider=self.display_name)
        if body.get("account_key") and not self._account_key:
            self._account_key = str(body["account_key"])
        return body

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def authorization_url(self, *, state: str | None = None) -> str:
        """The page where a GoTo user approves access (step 1 of the one-time consent)."""
        query = {
            "client_id": self.secrets["client_id"],
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "state": state or _secrets.token_urlsafe(16),
        }
        return f"{self.auth_base_url}/oauth/authorize?{urlencode(query)}"

    def complete_authorization(self, redirected: str) -> None:
        """Step 2: exchange the code (or the whole redirected URL) for tokens and keep them."""
        code = redirected.strip()
        if "://" in code or code.startswith("/") or "code=" in code:
            query = parse_qs(urlsplit(code).query or code.split("?", 1)[-1])
            if "error" in query:
                raise AuthError(f"GoTo Connect consent was refused: {query['error'][0]}.", provider=self.display_name)
            if not query.get("code"):
                raise ConfigError("The redirected URL holds no ?code=… — paste the full URL you were sent to.", field="code")
            code = query["code"][0]
        body = self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
             "client_id": self.secrets["client_id"]}
        )
        self.tokens.set_tokens(body)

    # -- the primitives ---------------------------------------------------------------------------
    def account_key(self) -> str:
        if self._account_key is None:
            self._account_key = self.secrets.get("account_key")
        if self._account_key is None:
            self.tokens.access_token()  # the token response may carry account_key
        if self._account_key is None:
            # Assumption (REFERENCE §7): the admin "me" resource names the caller's account.
            me = self.api.get_json("/admin/rest/v1/me")
            key = me.get("accountKey") if isinstance(me, dict) else None
            if not key:
                raise ApiError("GoTo Connect did not say which account this is; set account_key in the "
                               "credentials.", provider=self.display_name)
            self._account_key = str(key)
        return self._account_key

    def _connect(self) -> str:
        self.tokens.access_token()
        return f"account {self.account_key()}"

    def iter_calls(self, start: datetime, end: datetime, *, answered_only: bool = False) -> Iterator[CallMetadata]:
        account = self.account_key()
        # Ids already listed, without keeping one per call: the recent ones (a repeated page lists nothing
        # twice), and those of calls near the previous window's end (a call across the boundary may come
        # in both windows).
        carried: set[str] = set()
        for lo, hi in windows(start, end, MAX_WINDOW_DAYS):
            seen: BoundedDict[str, None] = BoundedDict(4 * PAGE_SIZE)
            near_end: set[str] = set()
            summaries = paginate(
                self.api,
                "/call-events-report/v1/report-summaries",
                params={"accountKey": account, "startTime": iso_z(lo), "endTime": iso_z(hi), "pageSize": PAGE_SIZE},
                paginator=CursorPaginator(param="pageMarker", response_key="nextPageMarker", provider=self.display_name),
                items=lambda page: page.get("items") if isinstance(page, dict) else [],
            )
            for summary in summaries:
                space_id = str(summary.get("conversationSpaceId") or "")
                if not space_id or space_id in seen or space_id in carried:
                    continue
                seen[space_id] = None
                call = self._to_call(summary, self._report(space_id))
                if (call.ended_at or call.started_at) >= hi - WINDOW_OVERLAP:
                    near_end.add(space_id)
                if call.started_at < start or call.started_at >= end:
                    continue
                if answered_only and not call.answered:
                    continue
                yield call
            carried = near_end

    def _report(self, space_id: str) -> dict[str, Any] | None:
        for attempt in range(REPORT_ATTEMPTS):
            try:
                report = self.api.get_json(f"/call-events-report/v1/reports/{quote(space_id, safe='')}")
                return report if isinstance(report, dict) else None
            except NotFoundError:
                if attempt + 1 < REPORT_ATTEMPTS:
                    time.sleep(REPORT_WAIT_SECONDS)
        return None

    def _to_call(self, summary: dict[str, Any], report: dict[str, Any] | None) -> CallMetadata:
        data = {**summary, **(report or {})}
        space_id = str(data["conversationSpaceId"])
        started = parse_time(data.get("callCreated")) or parse_time(data.get("startTime"))
        ended = parse_time(data.get("callEnded"))
        if started is None:
            raise ApiError(f"GoTo Connect call {space_id} has no start time.", provider=self.display_name)
        direction = Direction.OUTBOUND if str(data.get("direction", "")).upper() == "OUTBOUND" else Direction.INBOUND
        participants, recordings = [], []
        for part in data.get("participants") or []:
            if not isinstance(part, dict):
                continue
            kind = part.get("type") if isinstance(part.get("type"), dict) else {}
            internal = str(kind.get("value", "")).upper() in {"LINE", "USER", "PHONE_NUMBER", "EXTENSION"}
            participants.append(
                Participant(
                    name=kind.get("name") or part.get("name"),
                    number=kind.get("number") or kind.get("phoneNumber"),
                    extension=kind.get("extensionNumber"),
                    role="agent" if internal else "customer",
                    kind=str(kind.get("value", "")),
                    external_id=part.get("participantId"),
                )
            )
            for rec in part.get("recordings") or []:
                if isinstance(rec, dict) and rec.get("id"):
                    recordings.append(
                        Recording(
                            id=str(rec["id"]),
                            call_external_id=space_id,
                            started_at=parse_time(rec.get("startTimestamp")),
                            participant=part.get("participantId"),
                            # GoTo per-leg recordings: channel 0 = what the participant said, 1 = what they heard.
                            channel_roles={0: "agent", 1: "customer"} if internal else {0: "customer", 1: "agent"},
                        )
                    )
        states = {
            str(s.get(k, "")).upper()
            for s in data.get("callStates") or [] if isinstance(s, dict) for k in ("type", "state", "name")
        }
        answered = bool(data.get("answerTime") or data.get("answered") or recordings or states & _ANSWERED_STATES)
        agents = [p for p in participants if p.role == "agent"]
        customers = [p for p in participants if p.role == "customer"]
        agent_number = agents[0].extension or agents[0].number if agents else None
        customer_number = customers[0].number if customers else None
        caller, callee = (customer_number, agent_number) if direction is Direction.INBOUND else (agent_number, customer_number)
        return CallMetadata(
            id=call_id_for(self.name, space_id),
            provider=self.name,
            external_id=space_id,
            direction=direction,
            started_at=started,
            ended_at=ended,
            duration_seconds=round((ended - started).total_seconds(), 3) if ended else 0.0,
            answered=answered,
            caller_number=caller,
            callee_number=callee,
            participants=participants,
            recordings=recordings,
            extra={"account_key": data.get("accountKey"), "report_available": report is not None},
        )

    def _download(self, recording_id: str, dest_stem: Path) -> Path:
        rid = quote(str(recording_id), safe="")

        def fresh_url() -> str:
            try:
                body = self.api.get_json(f"/recording/v1/recordings/{rid}/content")
            except ApiError as exc:
                if exc.status_code == 400:  # GoTo answers 400 until the recording reached UPLOADED
                    raise RecordingNotReadyError(
                        f"Recording {recording_id} is still being processed by GoTo Connect ({exc.error_code}).",
                        recording_id=str(recording_id),
                    ) from exc
                raise
            token = body.get("token") if isinstance(body, dict) else None
            if not token:
                raise ApiError(f"GoTo Connect gave no content token for recording {recording_id}.",
                               provider=self.display_name)
            return f"/recording/v1/recordings/{rid}/content/{quote(str(token), safe='')}"

        return self.api.download(fresh_url, dest_stem, recording_id=str(recording_id)).path
