"""GoTo Connect driver (REFERENCE.md §1); how to talk is in ``connection``, reports → calls in ``mapping``.

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
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from perftel.dates import iso_z, windows
from perftel.errors import ApiError, NotFoundError, RecordingNotReadyError
from perftel.http.client import ApiClient
from perftel.http.oauth import OAuth2Auth, TokenManager, request_token
from perftel.http.pagination import CursorPaginator, paginate
from perftel.models import CallMetadata
from perftel.providers.base import CredentialField, Provider
from perftel.providers.bounded import BoundedDict
from perftel.providers.goto_connect import connection, mapping
from perftel.providers.goto_connect.connection import AUTH_BASE_URL, DEFAULT_REDIRECT_URI

MAX_WINDOW_DAYS = 31
WINDOW_OVERLAP = timedelta(days=1)  # how far from a window's end a call may also be listed in the next
PAGE_SIZE = 1000
REPORT_ATTEMPTS = 4  # a report that is still 404 after these is listed without its details
REPORT_WAIT_SECONDS = 2.0


class GoToConnectProvider(Provider):
    """GoTo Connect (REFERENCE.md §1): calls from the Call Events Report, recordings through content tokens.

    Credentials: ``client_id``, ``client_secret`` and, after the one-time consent, ``refresh_token``
    (``redirect_uri`` and ``account_key`` optional). A ``base_url`` override serves the token endpoint too.
    Recording ids are GoTo recording ids.
    """

    name = "goto_connect"
    display_name = "GoTo Connect"
    default_base_url = "https://api.goto.com"
    credential_fields = (
        CredentialField("client_id", "OAuth client ID"),
        CredentialField("client_secret", "OAuth client secret", secret=True),
        CredentialField(
            "refresh_token",
            "Refresh token",
            secret=True,
            required=False,
            help="Leave empty to run the one-time consent: perftel prints a link to approve.",
        ),
        CredentialField(
            "redirect_uri", "Redirect URI", required=False, help=f"Default {DEFAULT_REDIRECT_URI}"
        ),
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
        """The OAuth token manager of this account (refreshing at GoTo's token endpoint)."""
        if self._manager is None:
            self._manager = TokenManager(self.token_store, self._refresh, provider=self.display_name)
        return self._manager

    @property
    def api(self) -> ApiClient:
        """The API client: Bearer tokens from :attr:`tokens`, paced to :attr:`requests_per_second` per API."""
        if self._api is None:
            self._api = connection.api_client(
                provider=self.display_name,
                base_url=self.base_url,
                auth=OAuth2Auth(self.tokens),
                requests_per_second=self.requests_per_second,
                transport=self._transport,
                verify=self._verify,
                secrets=self.secret_values,
            )
        return self._api

    @property
    def token_client(self) -> ApiClient:
        """The token endpoint's client (``authentication.logmeininc.com`` unless ``base_url`` is set)."""
        if self._token_client is None:
            self._token_client = connection.token_client(
                provider=self.display_name,
                base_url=self.auth_base_url,
                company_id=self.company_id,
                transport=self._transport,
                verify=self._verify,
                secrets=self.secret_values,
            )
        return self._token_client

    def close(self) -> None:
        """Close both HTTP clients."""
        for client in (self._api, self._token_client):
            if client is not None:
                client.close()

    # -- OAuth ----------------------------------------------------------------------------------
    @property
    def redirect_uri(self) -> str:
        """The OAuth redirect URI: the ``redirect_uri`` credential, else :data:`DEFAULT_REDIRECT_URI`."""
        return self.secrets.get("redirect_uri") or DEFAULT_REDIRECT_URI

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        """POST the token endpoint; a refused grant is an ``AuthError`` (``connection.GoToTokenErrors``)."""
        body = request_token(
            self.token_client,
            connection.TOKEN_PATH,
            form,
            client_id=self.secrets["client_id"],
            client_secret=self.secrets["client_secret"],
            provider=self.display_name,
        )
        if body.get("account_key") and not self._account_key:
            self._account_key = str(body["account_key"])
        return body

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def authorization_url(self, *, state: str | None = None) -> str:
        """The page where a GoTo user approves access (step 1 of the one-time consent)."""
        return connection.authorization_url(
            self.auth_base_url,
            client_id=self.secrets["client_id"],
            redirect_uri=self.redirect_uri,
            state=state or _secrets.token_urlsafe(16),
        )

    def complete_authorization(self, redirected: str) -> None:
        """Step 2: exchange the code (or the whole redirected URL) for tokens and keep them."""
        code = connection.authorization_code(redirected)
        body = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "client_id": self.secrets["client_id"],
            }
        )
        self.tokens.set_tokens(body)

    # -- the primitives ---------------------------------------------------------------------------
    def account_key(self) -> str:
        """The GoTo account key the reports are read for: the credential, else the token answer's, else
        ``GET /admin/rest/v1/me`` (an assumption, REFERENCE.md §7). Cached.

        Raises ApiError when none of them names it, and what a token refresh raises (CredentialsError,
        AuthError).
        """
        if self._account_key is None:
            self._account_key = self.secrets.get("account_key")
        if self._account_key is None:
            self.tokens.access_token()  # the token response may carry account_key
        if self._account_key is None:
            # Assumption (REFERENCE §7): the admin "me" resource names the caller's account.
            me = self.api.get_json("/admin/rest/v1/me")
            key = me.get("accountKey") if isinstance(me, dict) else None
            if not key:
                raise ApiError(
                    "GoTo Connect did not say which account this is; set account_key in the credentials.",
                    provider=self.display_name,
                )
            self._account_key = str(key)
        return self._account_key

    def _connect(self) -> str:
        self.tokens.access_token()
        return f"account {self.account_key()}"

    def iter_calls(
        self, start: datetime, end: datetime, *, answered_only: bool = False
    ) -> Iterator[CallMetadata]:
        """GoTo's listing: report summaries in windows of at most 31 days (``startTime``/``endTime``
        in UTC ``Z``), then one report per call; a call listed in two windows is yielded once. A report
        still 404 after :data:`REPORT_ATTEMPTS` tries (2 s apart) is skipped: the call comes without
        participants or recordings. A call without a start time is skipped with a warning.
        """
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
                params={
                    "accountKey": account,
                    "startTime": iso_z(lo),
                    "endTime": iso_z(hi),
                    "pageSize": PAGE_SIZE,
                },
                paginator=CursorPaginator(
                    param="pageMarker", response_key="nextPageMarker", provider=self.display_name
                ),
                items=lambda page: page.get("items") if isinstance(page, dict) else [],
            )
            for summary in summaries:
                space_id = str(summary.get("conversationSpaceId") or "")
                if not space_id or space_id in seen or space_id in carried:
                    continue
                seen[space_id] = None
                call = mapping.to_call(self.name, summary, self._report(space_id))
                if call is None:  # no start time: skipped with a warning
                    continue
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
                    self.api.wait(REPORT_WAIT_SECONDS)  # the client's injectable sleep
        return None

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
                raise ApiError(
                    f"GoTo Connect gave no content token for recording {recording_id}.",
                    provider=self.display_name,
                )
            return f"/recording/v1/recordings/{rid}/content/{quote(str(token), safe='')}"

        return self.api.download(fresh_url, dest_stem, recording_id=str(recording_id)).path
