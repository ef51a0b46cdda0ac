"""RingCentral driver (REFERENCE.md §4); how to talk is in ``connection``, records → calls in ``mapping``.

* Auth: OAuth2 JWT-bearer grant (``assertion=<jwt>``, client authenticated with HTTP Basic). When
  RingCentral issues a refresh token, it is used once (single-use) under the token store's lock and
  the new pair is persisted before use; a refused refresh token falls back to the JWT grant. No
  reflexive refresh on 401 (``perftel.http.oauth``: at most one, only for the current token).
* Calls: the company call log (``/restapi/v1.0/account/~/call-log``), or the user's own
  (``.../extension/~/call-log``) when the company log is forbidden (not an admin). Always explicit
  ``dateFrom``/``dateTo`` (RingCentral silently defaults to the last 24 h), ``perPage=1000``,
  ``view=Detailed``; follows ``navigation.nextPage.uri`` (keeping our filters) and stops on an empty
  page. Records are grouped by ``telephonySessionId`` (``mapping``) in an on-disk spool
  (:mod:`perftel.providers.spool`): any listing order, memory of a page.
* Recordings: ``recording.contentUri`` on the *media* host, which needs our Bearer token too. The
  token goes only to RingCentral's own hosts (the platform, its media host, ``*.ringcentral.com``;
  for a local sandbox, the same server under another loopback name); any other host and any
  redirect get no ``Authorization``. ``206`` partial answers are completed with ``Range`` requests.
* Pacing per throttling group (Heavy/Light/Auth, names learned from ``X-Rate-Limit-Group``) from the
  ``X-Rate-Limit-*`` headers; a 429 stops the whole group until ``Retry-After`` (else 60 s).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from perftel import config
from perftel.dates import iso_z
from perftel.errors import ApiError, AuthError, DownloadError
from perftel.files import atomic_open
from perftel.http.client import ApiClient
from perftel.http.oauth import OAuth2Auth, TokenManager, request_token
from perftel.http.pagination import paginate
from perftel.models import CallMetadata, Recording
from perftel.providers.base import CredentialField, Provider
from perftel.providers.bounded import BoundedDict
from perftel.providers.ringcentral import connection, mapping
from perftel.providers.ringcentral.connection import JWT_GRANT, TOKEN_PATH
from perftel.providers.spool import Spool, micros

COMPANY_CALL_LOG = "/restapi/v1.0/account/~/call-log"
USER_CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"
PAGE_SIZE = 1000
CACHE_SIZE = 4096  # recordings' media URLs remembered between listing and download
_SAFE_ID = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,200}$")


class RingCentralProvider(Provider):
    """RingCentral (REFERENCE.md §4): the call log, recordings from the media host.

    Credentials: ``client_id``, ``client_secret`` and a user's ``jwt`` (an admin's for the company call log).
    The media host is ``media_base_url``, else ``PERFTEL_RINGCENTRAL_MEDIA_BASE_URL``, else ``media.<domain>``
    derived from a ``platform.<domain>`` base URL (else the base URL). Recording ids are RingCentral's.
    """

    name = "ringcentral"
    display_name = "RingCentral"
    default_base_url = "https://platform.ringcentral.com"
    credential_fields = (
        CredentialField("client_id", "Client ID", help="From the app in the RingCentral Developer Console."),
        CredentialField("client_secret", "Client secret", secret=True),
        CredentialField(
            "jwt", "JWT credential", secret=True, help="A user's JWT (an admin's for the company call log)."
        ),
    )

    def __init__(self, company_id: str, *, media_base_url: str | None = None, **options: Any) -> None:
        super().__init__(company_id, **options)
        host = httpx.URL(self.base_url).host
        derived = (
            self.base_url.replace(host, "media." + host[len("platform.") :], 1)
            if host.startswith("platform.")
            else self.base_url
        )
        self.media_base_url = (
            media_base_url or config.env("PERFTEL_RINGCENTRAL_MEDIA_BASE_URL") or derived
        ).rstrip("/")
        self.throttling = connection.ThrottlingGroups()
        self.limiter = self.throttling.limiter
        self._clients: dict[Any, ApiClient] = {}
        self._manager: TokenManager | None = None
        self._call_log = COMPANY_CALL_LOG
        self._content_uris: BoundedDict[str, str] = BoundedDict(CACHE_SIZE)  # recording id → media URL
        self._ranges = threading.local()  # the last 206 Content-Range seen by this thread
        self._lock = threading.Lock()

    # -- HTTP plumbing ----------------------------------------------------------------------------
    def group_for(self, path: str) -> str:
        """The throttling group a request path is paced in."""
        return self.throttling.group_for(path)

    def _on_response(self, response: httpx.Response) -> None:
        """Pace by the throttling headers; remember a ``206``'s ``Content-Range`` for this thread."""
        self.throttling.on_response(response)
        if response.status_code == 206:
            found = connection.content_range(response.headers)
            if found:
                self._ranges.last = found

    def _client(self, url: str, *, bearer: bool) -> ApiClient:
        key = (connection.origin(url), bearer)
        with self._lock:
            if key not in self._clients:
                u = httpx.URL(url)
                base = (
                    url
                    if url == self.base_url
                    else str(u.copy_with(path="/", query=None, fragment=None)).rstrip("/")
                )
                self._clients[key] = connection.api_client(
                    provider=self.display_name,
                    base_url=base,
                    auth=OAuth2Auth(self.tokens) if bearer else None,
                    errors=connection.RingCentralErrors(),
                    throttling=self.throttling,
                    on_response=self._on_response,
                    transport=self._transport,
                    verify=self._verify,
                    secrets=self.secret_values,
                )
            return self._clients[key]

    @property
    def api(self) -> ApiClient:
        """The platform API client (Bearer tokens from :attr:`tokens`, paced per throttling group)."""
        return self._client(self.base_url, bearer=True)

    @property
    def tokens(self) -> TokenManager:
        """The token manager: a token is used while valid 60 s more, then renewed (refresh token or JWT)."""
        if self._manager is None:
            self._manager = TokenManager(
                self.token_store,
                self._refresh,
                provider=self.display_name,
                margin=60.0,
                needs_refresh_token=False,
            )
        return self._manager

    @property
    def token_client(self) -> ApiClient:
        """The token endpoint's client: no Bearer token, and a refused grant is an ``AuthError``."""
        with self._lock:
            if "token" not in self._clients:
                self._clients["token"] = connection.api_client(
                    provider=self.display_name,
                    base_url=self.base_url,
                    auth=None,
                    errors=connection.RingCentralTokenErrors(self.company_id),
                    throttling=self.throttling,
                    on_response=self._on_response,
                    transport=self._transport,
                    verify=self._verify,
                    secrets=self.secret_values,
                )
            return self._clients["token"]

    def close(self) -> None:
        """Close every HTTP client made so far."""
        for client in self._clients.values():
            client.close()

    # -- OAuth ------------------------------------------------------------------------------------
    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        return request_token(
            self.token_client,
            TOKEN_PATH,
            form,
            client_id=self.secrets["client_id"],
            client_secret=self.secrets["client_secret"],
            provider=self.display_name,
        )

    def _refresh(self, refresh_token: str | None) -> dict[str, Any]:
        """The refresh token once; when it is refused (expired or used up), the JWT grant for a fresh session.
        A refused JWT grant is an ``AuthError`` (``connection.RingCentralTokenErrors``)."""
        if refresh_token:
            try:
                return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})
            except ApiError as exc:
                if not connection.refused(exc):
                    raise
        return self._token_request({"grant_type": JWT_GRANT, "assertion": self.secrets["jwt"]})

    # -- the primitives ---------------------------------------------------------------------------
    def _connect(self) -> str:
        self.tokens.access_token()
        try:
            info = self.api.get_json("/restapi/v1.0/account/~/extension/~")
        except ApiError as exc:
            if exc.status_code not in (403, 404, 405):
                raise
            return "token issued"
        info = info if isinstance(info, dict) else {}
        account = info.get("account") if isinstance(info.get("account"), dict) else {}
        who = " ".join(str(v) for v in (info.get("extensionNumber"), info.get("name")) if v)
        return f"extension {who or info.get('id', '?')}, account {account.get('id', '~')}"

    def iter_calls(
        self, start: datetime, end: datetime, *, answered_only: bool = False
    ) -> Iterator[CallMetadata]:
        """The company call log (the user's own when that is forbidden), ``dateFrom``/``dateTo`` in UTC ``Z``;
        records are grouped into calls by session, so calls come in no particular order.
        """
        params = {
            "dateFrom": iso_z(start),
            "dateTo": iso_z(end),
            "perPage": PAGE_SIZE,
            "view": "Detailed",
            "type": "Voice",
        }
        with Spool() as spool:  # a session's records can be pages apart: group them on disk
            spool.add(
                "records",
                (
                    (rid, key, micros(moment), record)
                    for rid, key, moment, record in mapping.session_rows(self._records(params))
                ),
            )
            for key in spool.groups("records"):
                call = mapping.to_call(self.name, key, mapping.in_time_order(spool.members("records", key)))
                if (
                    call is not None
                    and start <= call.started_at < end
                    and (call.answered or not answered_only)
                ):
                    for rec in call.recordings:
                        self.remember(rec)
                    yield call

    def remember(self, recording: Recording) -> None:
        """Keep the recording's listed ``contentUri`` (bounded cache): its download then needs no lookup."""
        if recording.extra.get("contentUri"):
            self._content_uris[recording.id] = recording.extra["contentUri"]

    def _records(self, params: dict[str, Any]) -> Iterator[Any]:
        def walk(path: str) -> Iterator[Any]:
            return paginate(
                self.api,
                path,
                params=params,
                paginator=connection.NextPage(self.base_url, params, self.display_name),
                items=lambda page: page.get("records") if isinstance(page, dict) else [],
            )

        count = 0
        try:
            for count, record in enumerate(walk(self._call_log), 1):  # noqa: B007 - count is read below
                yield record
        except AuthError as exc:  # 403: not an admin (no FullCompanyCallLog): the user's own call log
            if exc.status_code != 403 or self._call_log == USER_CALL_LOG or count:
                raise
            self._call_log = USER_CALL_LOG
            yield from walk(USER_CALL_LOG)

    def trusts(self, url: str) -> bool:
        """May our Bearer token go to ``url``? RingCentral's own hosts only (``connection.may_carry_token``)."""
        return connection.may_carry_token(url, base_url=self.base_url, media_base_url=self.media_base_url)

    def _content_uri(self, recording_id: str) -> str:
        known = self._content_uris.get(recording_id)
        if known:
            return known
        meta = self.api.get_json(f"/restapi/v1.0/account/~/recording/{quote(recording_id, safe='')}")
        uri = meta.get("contentUri") if isinstance(meta, dict) else None
        if not uri:
            raise DownloadError(
                f"RingCentral gave no contentUri for recording {recording_id}.", recording_id=recording_id
            )
        return str(uri)

    def _download(self, recording_id: str, dest_stem: Path) -> Path:
        rid = str(recording_id)
        if not _SAFE_ID.match(rid) or ".." in rid:
            raise DownloadError(f"{rid!r} is not a RingCentral recording id.", recording_id=rid)
        url = self._content_uri(rid)
        if not httpx.URL(url).is_absolute_url:
            url = self.media_base_url + "/" + url.lstrip("/")
        client = self._client(url, bearer=self.trusts(url))
        self._ranges.last = None
        got = client.download(
            url, dest_stem, allowed_types=("audio/", "application/octet-stream"), recording_id=rid
        )
        try:
            return self._complete(client, url, got.path, got.size)
        except BaseException:
            got.path.unlink(missing_ok=True)
            raise

    def _complete(self, client: ApiClient, url: str, path: Path, size: int) -> Path:
        """A ``206`` that sent only part of the file: fetch the rest with ``Range`` requests."""
        first, _, total = getattr(self._ranges, "last", None) or (0, 0, None)
        if first != 0:
            raise DownloadError(
                f"RingCentral sent recording bytes from {first}, not from the start.", retryable=True
            )
        if total is None or size >= total:
            return path
        data = bytearray(path.read_bytes())
        while len(data) < total:
            self._ranges.last = None
            response = client.request("GET", url, headers={"Range": f"bytes={len(data)}-"})
            begin = (self._ranges.last or (0, 0, None))[0] if response.status_code == 206 else 0
            if not response.content or (response.status_code == 206 and begin != len(data)):
                raise DownloadError(
                    f"RingCentral's partial recording {path.stem} did not continue.", retryable=True
                )
            data = data + response.content if response.status_code == 206 else bytearray(response.content)
        with atomic_open(path, "wb") as handle:
            handle.write(bytes(data[:total]))
        return path
