"""Twilio driver (REST API 2010-04-01; REFERENCE.md §2); how to talk is in ``connection``, legs → calls in ``mapping``.

* Auth: HTTP Basic with the Account SID + Auth Token, or an API key SID (``SK…``) + secret; the Account
  SID is always in the path. Long-lived secrets: nothing to refresh.
* Calls: ``Calls.json`` filtered by ``StartTime>`` / ``StartTime<`` (whole UTC days, then filtered
  exactly here), ``PageSize=1000``, following ``next_page_uri`` (never building ``Page=N``: Twilio's
  keyset ``PageToken`` must come from the server). Child legs are folded into their parent's call
  (see :mod:`perftel.providers.twilio.mapping`) in an on-disk spool (:mod:`perftel.providers.spool`):
  any listing order, memory of a page.
* Recordings: one account-wide ``Recordings.json`` walk by ``DateCreated`` (far fewer requests than one
  list per call), matched to calls by ``call_sid``; only ``completed`` ones are listed for download,
  pending ones are named in ``extra["recordings_not_ready"]`` and raise ``RecordingNotReadyError`` when
  asked for.
* Media: ``…/Recordings/{sid}.wav``; ``RequestedChannels=2`` unless the recording is known to be mono,
  falling back to mono on error 16113. Redirects are followed; httpx drops our ``Authorization`` header
  when a redirect leaves the API host.
* Pacing: Twilio limits *concurrent* requests (429, error 20429): at most ``MAX_CONCURRENCY`` requests
  are in flight per provider, and 429s are retried with backoff by the shared policy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from perftel.dates import utc_date
from perftel.errors import (
    ApiError,
    AuthError,
    CredentialsError,
    DownloadError,
    NotFoundError,
    RecordingNotReadyError,
)
from perftel.http.client import ApiClient
from perftel.http.pagination import paginate
from perftel.models import CallMetadata, Recording
from perftel.providers.base import CredentialField, Provider
from perftel.providers.bounded import BoundedDict
from perftel.providers.spool import Spool, micros
from perftel.providers.tolerant import text
from perftel.providers.twilio import connection
from perftel.providers.twilio.connection import API_VERSION, TwilioPages, next_page, records, upper_date
from perftel.providers.twilio.mapping import NOT_READY_STATUSES, build_call, call_start

log = logging.getLogger("perftel.providers.twilio")

PAGE_SIZE = 1000  # Twilio's maximum
RECORDING_LAG = timedelta(days=1)  # a recording is created when the call ends, possibly after the window
MAX_LEG_DEPTH = 8
CACHE_SIZE = 4096  # recordings and parent legs remembered between listing and download
_UNKNOWN: Any = object()
_SID = re.compile(r"^[A-Za-z0-9_-]{2,64}$")


def _status_of(row: dict[str, Any]) -> str:
    return (text(row.get("status")) or "").lower()


class TwilioProvider(Provider):
    """Twilio (REST API 2010-04-01, REFERENCE.md §2): ``Calls.json`` legs folded into calls.

    Credentials: ``account_sid`` (AC…) with ``auth_token``, or with ``api_key_sid`` (SK…) and
    ``api_key_secret``.
    Recording ids are recording SIDs (RE…); media come as :attr:`media_format`.
    """

    name = "twilio"
    display_name = "Twilio"
    default_base_url = "https://api.twilio.com"
    credential_fields = (
        CredentialField("account_sid", "Account SID", help="AC… (Twilio Console → Account info)."),
        CredentialField(
            "auth_token",
            "Auth Token",
            secret=True,
            required=False,
            help="Or leave empty and give an API key SID and secret.",
        ),
        CredentialField(
            "api_key_sid", "API key SID", required=False, help="SK… (used instead of the Auth Token)."
        ),
        CredentialField("api_key_secret", "API key secret", secret=True, required=False),
    )
    #: ``"wav"`` (default; keeps dual channels for per-speaker transcripts) or ``"mp3"``.
    media_format: ClassVar[str] = "wav"

    def __init__(self, company_id: str, **options: Any) -> None:
        super().__init__(company_id, **options)
        self._api: ApiClient | None = None
        self._recordings_seen: BoundedDict[str, dict[str, Any]] = BoundedDict(
            CACHE_SIZE
        )  # id → status, channels
        self._parents: BoundedDict[str, dict[str, Any] | None] = BoundedDict(
            CACHE_SIZE
        )  # unlisted parent legs

    @classmethod
    def check_credentials(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """``account_sid`` with ``auth_token``, or with ``api_key_sid`` + ``api_key_secret``."""
        clean = cls.known_values(values)
        missing = [] if clean.get("account_sid") else ["account_sid"]
        if not clean.get("auth_token") and not (clean.get("api_key_sid") and clean.get("api_key_secret")):
            if clean.get("api_key_sid") or clean.get("api_key_secret"):
                missing.append("api_key_secret" if clean.get("api_key_sid") else "api_key_sid")
            else:
                missing.append("auth_token (or api_key_sid and api_key_secret)")
        if missing:
            raise CredentialsError(
                f"Twilio credentials are missing: {', '.join(missing)}.", provider=cls.name
            )
        if clean["account_sid"].upper().startswith("SK"):
            raise CredentialsError(
                "Twilio account_sid must be the Account SID (AC…); an SK… value is an API key SID: put it in "
                "api_key_sid with its secret in api_key_secret.",
                provider=cls.name,
            )
        return clean

    # -- HTTP plumbing ----------------------------------------------------------------------------
    @property
    def uses_api_key(self) -> bool:
        """True when an API key SID and secret are given (used instead of the Auth Token)."""
        return bool(self.secrets.get("api_key_sid") and self.secrets.get("api_key_secret"))

    @property
    def api(self) -> ApiClient:
        """The API client (HTTP Basic, at most ``MAX_CONCURRENCY`` requests in flight), made on first use.

        Raises CredentialsError when the credentials are missing or malformed.
        """
        if self._api is None:
            s = self.secrets
            user, password = (
                (s["api_key_sid"], s["api_key_secret"])
                if self.uses_api_key
                else (s["account_sid"], s["auth_token"])
            )
            errors = connection.TwilioErrors(
                account_sid=s["account_sid"], uses_api_key=self.uses_api_key, company_id=self.company_id
            )
            self._api = connection.api_client(
                provider=self.display_name,
                base_url=self.base_url,
                user=user,
                password=password,
                errors=errors,
                transport=self._transport,
                verify=self._verify,
                secrets=self.secret_values,
            )
        return self._api

    @property
    def account_path(self) -> str:
        """``/2010-04-01/Accounts/<account_sid>``: the prefix of every account resource."""
        return f"/{API_VERSION}/Accounts/{quote(self.secrets['account_sid'], safe='')}"

    def close(self) -> None:
        """Close the HTTP client."""
        if self._api is not None:
            self._api.close()

    def _list(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every record of a list, following ``next_page_uri`` (path relative to the account unless absolute)."""
        pages = TwilioPages(next_page, provider=self.display_name)
        path = path if path.startswith("/") else f"{self.account_path}/{path}"
        yield from paginate(
            self.api,
            path,
            params=params,
            paginator=pages,
            items=lambda page: records(page, key),
            stop_on_empty=False,
        )

    # -- the primitives ---------------------------------------------------------------------------
    def _connect(self) -> str:
        self.api.get_json(
            f"{self.account_path}/Calls.json", params={"PageSize": 1}
        )  # AuthError: what to check
        key = f" with API key {self.secrets['api_key_sid']}" if self.uses_api_key else ""
        return f"account {self.secrets['account_sid']}{key}"

    def iter_calls(
        self, start: datetime, end: datetime, *, answered_only: bool = False
    ) -> Iterator[CallMetadata]:
        """Twilio's listing: ``StartTime>``/``StartTime<`` in whole UTC days around ``[start, end)``,
        then filtered exactly; child legs are folded into their parent's call (calls come in no set order).
        """
        query = {
            "StartTime>": utc_date(start).isoformat(),
            "StartTime<": upper_date(end).isoformat(),
            "PageSize": PAGE_SIZE,
        }
        with Spool() as spool:  # legs can be pages apart, in no documented order: fold them on disk
            spool.add(
                "legs",
                (
                    (sid, text(row.get("parent_call_sid")), micros(call_start(row)), row)
                    for row in self._list("Calls.json", "calls", query)
                    if (sid := text(row.get("sid")))
                ),
            )
            self._spool_recordings(spool, start, end)
            for top, is_root in spool.tops("legs", MAX_LEG_DEPTH):
                if not is_root:
                    log.warning(
                        "Twilio call %s is in a parent cycle or too deep a chain; listed on its own.",
                        top["sid"],
                    )
                    yield from self._call(spool, top, [], start, end, answered_only)
                elif not self._belongs_elsewhere(top, start):
                    children = spool.descendants("legs", str(text(top["sid"])), MAX_LEG_DEPTH)
                    yield from self._call(spool, top, children, start, end, answered_only)

    def _call(
        self,
        spool: Spool,
        parent: dict[str, Any],
        children: list[dict[str, Any]],
        start: datetime,
        end: datetime,
        answered_only: bool,
    ) -> Iterator[CallMetadata]:
        sids = [str(text(leg["sid"])) for leg in (parent, *children)]
        call = build_call(
            self.name, parent, children, [r for sid in sids for r in spool.members("recordings", sid)]
        )
        if call is not None and start <= call.started_at < end and (call.answered or not answered_only):
            for rec in call.recordings:
                self.remember(rec)
            yield call

    def _belongs_elsewhere(self, row: dict[str, Any], start: datetime) -> bool:
        """A child leg whose parent (not listed) started before the window belongs to an earlier run."""
        parent_sid = text(row.get("parent_call_sid"))
        if parent_sid is None or parent_sid == text(row.get("sid")):
            return False
        parent = self._parents.get(parent_sid, _UNKNOWN)
        if parent is _UNKNOWN:
            try:
                found = self.api.get_json(f"{self.account_path}/Calls/{quote(parent_sid, safe='')}.json")
            except AuthError:
                raise
            except ApiError:
                found = None
            parent = self._parents[parent_sid] = found if isinstance(found, dict) else None
        started = call_start(parent) if parent else None
        return started is not None and started < start

    def _spool_recordings(self, spool: Spool, start: datetime, end: datetime) -> None:
        """Recording rows by ``call_sid``: one account-wide walk; per call if the account-wide list is refused."""
        query = {
            "DateCreated>": utc_date(start).isoformat(),
            "DateCreated<": upper_date(end + RECORDING_LAG).isoformat(),
            "PageSize": PAGE_SIZE,
        }

        def rows(found: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str, None, dict[str, Any]]]:
            for row in found:
                sid, call_sid = text(row.get("sid")), text(row.get("call_sid"))
                if sid and call_sid:
                    yield f"{call_sid}/{sid}", call_sid, None, row  # a recording may name two legs

        try:
            spool.add("recordings", rows(self._list("Recordings.json", "recordings", query)))
        except AuthError:
            raise
        except ApiError as exc:
            if exc.retryable:
                raise
            log.warning("Twilio refused the account-wide recordings list (%s); listing per call.", exc)
            spool.clear("recordings")  # what came before the refusal would depend on where it stopped
            for top, is_root in spool.tops("legs", MAX_LEG_DEPTH):
                if _status_of(top) == "completed" and not (is_root and self._belongs_elsewhere(top, start)):
                    spool.add("recordings", rows(self._call_recordings(top)))

    def _call_recordings(self, call: dict[str, Any]) -> list[dict[str, Any]]:
        uris = call.get("subresource_uris") if isinstance(call.get("subresource_uris"), dict) else {}
        sid = quote(text(call.get("sid")) or "", safe="")
        path = (
            urlsplit(text(uris.get("recordings")) or "").path
            or f"{self.account_path}/Calls/{sid}/Recordings.json"
        )
        try:
            rows = list(self._list(path, "recordings", {"PageSize": PAGE_SIZE}))
        except AuthError:
            raise
        except ApiError as exc:
            if exc.retryable:
                raise
            log.warning("Twilio listed no recordings for call %s: %s", sid, exc)
            return []
        return [{**row, "call_sid": row.get("call_sid") or call.get("sid")} for row in rows]

    def remember(self, recording: Recording) -> None:
        """Keep the recording's listed status and channel count for its download.

        What a download already learned (mono after error 16113) is kept.
        """
        if recording.id not in self._recordings_seen:  # what a download learned (e.g. mono after 16113) stays
            self._recordings_seen[recording.id] = {
                "status": recording.extra.get("status", "completed"),
                "channels": recording.channels,
            }

    def _recording_info(self, rid: str) -> dict[str, Any]:
        info = self._recordings_seen.get(rid)
        if info is None or text(info.get("status")) != "completed":
            try:
                body = self.api.get_json(f"{self.account_path}/Recordings/{rid}.json")
            except NotFoundError:
                body = {}  # no metadata to read: try the media itself (a 404 there is the real answer)
            info = (
                {"status": body.get("status"), "channels": body.get("channels")}
                if isinstance(body, dict)
                else {}
            )
            self._recordings_seen[rid] = info
        return info

    def _download(self, recording_id: str, dest_stem: Path) -> Path:
        rid = str(recording_id)
        if not _SID.match(rid):
            raise NotFoundError(
                f"Twilio has no recording {rid!r}: recording ids are SIDs such as RE…",
                provider=self.display_name,
            )
        info = self._recording_info(rid)
        status = (text(info.get("status")) or "").lower()
        if status in NOT_READY_STATUSES:
            raise RecordingNotReadyError(
                f"Twilio recording {rid} is still {status}; a later run will download it.", recording_id=rid
            )
        if status not in ("", "completed"):
            raise DownloadError(
                f"Twilio recording {rid} is {status} and cannot be downloaded.", recording_id=rid
            )
        fmt = "mp3" if self.media_format == "mp3" else "wav"
        dual = info.get("channels") != 1
        try:
            return self._fetch_media(rid, fmt, 2 if dual else None, dest_stem)
        except ApiError as exc:
            if exc.error_code == "16113" and dual:  # asked for two channels of a mono recording
                self._recordings_seen[rid] = {**info, "channels": 1}
                return self._fetch_media(rid, fmt, 1, dest_stem)
            if exc.error_code == "16109" and fmt == "mp3":  # encrypted recordings come as WAV only
                return self._fetch_media(rid, "wav", 2 if dual else None, dest_stem)
            raise

    def _fetch_media(self, rid: str, fmt: str, channels: int | None, dest_stem: Path) -> Path:
        url = f"{self.account_path}/Recordings/{rid}.{fmt}"
        if channels is not None:
            url += f"?RequestedChannels={channels}"
        return self.api.download(url, dest_stem, recording_id=rid).path
