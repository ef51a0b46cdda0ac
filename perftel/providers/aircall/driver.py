"""Aircall driver (REFERENCE.md §3; no official spec exists, so it is liberal in what it accepts).
How to talk is in ``connection``, call objects → calls in ``mapping``.

* Auth: HTTP Basic with ``api_id:api_token`` (company API keys), or ``Authorization: Bearer`` with the
  permanent ``access_token`` of a partner OAuth install.
* Calls: ``GET /v1/calls?from=&to=&order=asc&per_page=50`` (UNIX seconds, creation time), following
  ``meta.next_page_link``. A listing stops at 10,000 items, so a window whose ``meta.total`` nears the
  cap — or whose walk ends short of ``meta.total`` — is halved (recursively) and walked again; calls are
  kept in the half their own ``started_at`` falls in and deduplicated by id, so none is lost or doubled
  whether Aircall treats ``to`` as inclusive or not.
* Recordings: a short-lived signed MP3 URL on the call (``recording``; ``voicemail`` for voicemails).
  ``download_recording`` takes the call's id; the URL seen while listing is used only while surely fresh
  (memory only, never persisted), else — and after any 401/403 from the storage host — the call is fetched
  again (``GET /v1/calls/{id}``) for a fresh URL. Media requests never carry our credentials.
* Pacing: ``X-AircallApi-Limit`` / ``-Remaining`` / ``-Reset`` (a UNIX time) on every answer; at
  ``Remaining <= 1`` requests wait until the reset, and a 429 is retried after the reset.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from perftel.errors import CredentialsError, DownloadError, RecordingNotReadyError
from perftel.http.client import ApiClient
from perftel.http.pagination import NextUrlPaginator, paginate
from perftel.http.ratelimit import RateLimiter
from perftel.models import CallMetadata
from perftel.providers.aircall import connection, mapping
from perftel.providers.base import CredentialField, Provider
from perftel.providers.bounded import BoundedDict
from perftel.providers.tolerant import to_int

log = logging.getLogger("perftel.providers.aircall")

PER_PAGE = 50  # Aircall's maximum (default 20) [3P]
LISTING_CAP = 10_000  # a listing never goes past this many items, whatever the paging [3P]
RECENT_IDS = 10 * PER_PAGE  # ids remembered to drop repeated rows: the last ten pages
MIN_CAP = 20  # a walk that ends short of meta.total after at least this many items was cut by the cap
MAX_WINDOWS = 4096  # safety bound on window splits per listing (a server whose totals ignore from/to)
URL_FRESH_SECONDS = 1200.0  # a listed recording URL is reused this long at most (they live 30-60 min)
_CALL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class AircallProvider(Provider):
    """Aircall (Public API v1, REFERENCE.md §3): calls from ``GET /v1/calls``, recordings by signed URL.

    Credentials: ``api_id`` + ``api_token`` (HTTP Basic), or a partner OAuth ``access_token`` (Bearer).
    ``listing_cap`` lowers the 10,000-item listing cap (tests); recording ids are Aircall call ids.
    """

    name = "aircall"
    display_name = "Aircall"
    default_base_url = "https://api.aircall.io"
    credential_fields = (
        CredentialField(
            "api_id",
            "API ID",
            required=False,
            help="Dashboard → Integrations & API → API keys. Leave empty with an access_token.",
        ),
        CredentialField(
            "api_token", "API token", secret=True, required=False, help="Shown once, with the API ID."
        ),
        CredentialField(
            "access_token",
            "OAuth access token",
            secret=True,
            required=False,
            help="Only for partner OAuth installs, instead of API ID + token.",
        ),
    )

    def __init__(self, company_id: str, *, listing_cap: int | None = None, **options: Any) -> None:
        super().__init__(company_id, **options)
        self.base_url = re.sub(r"/v1$", "", self.base_url)  # paths below carry /v1
        self.listing_cap = int(listing_cap or LISTING_CAP)
        self.rate_limit: int | None = None  # X-AircallApi-Limit, as last seen
        self._limiter = RateLimiter(10.0, burst=10)  # a sanity bound; Aircall's own headers pace the rest
        self._lock = threading.Lock()
        self._api: ApiClient | None = None
        self._media: ApiClient | None = None
        # bounded: older URLs are fetched fresh before download
        self._urls: BoundedDict[str, tuple[str, float]] = BoundedDict(
            500
        )  # call id → (listed URL, fresh until)
        self._url_secrets: BoundedDict[str, None] = BoundedDict(
            1_500
        )  # signed URLs and their signatures, to redact
        self._split_budget = MAX_WINDOWS
        self._trust_total = True

    # -- credentials and HTTP plumbing ------------------------------------------------------------
    @classmethod
    def check_credentials(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """``api_id`` + ``api_token``, or ``access_token``; raise ``CredentialsError`` naming what is missing."""
        clean = cls.known_values(values)
        if (clean.get("api_id") and clean.get("api_token")) or clean.get("access_token"):
            return clean
        missing = ", ".join(k for k in ("api_id", "api_token") if not clean.get(k))
        raise CredentialsError(
            f"Aircall credentials are missing: {missing} (or an access_token for a partner OAuth install).",
            provider=cls.name,
        )

    def secret_values(self) -> list[str]:
        """The base's secrets plus the signed recording URLs (and signatures) seen so far, for redaction."""
        return super().secret_values() + list(self._url_secrets)

    @property
    def _basic(self) -> bool:
        """API keys when both are given (else the partner access token)."""
        return bool(self.secrets.get("api_id") and self.secrets.get("api_token"))

    @property
    def api(self) -> ApiClient:
        """The API client (Basic or Bearer auth, paced by ``X-AircallApi-*`` headers), made on first use.

        Raises CredentialsError when the credentials are missing.
        """
        with self._lock:
            if self._api is None:
                s = self.secrets
                self._api = connection.api_client(
                    provider=self.display_name,
                    base_url=self.base_url,
                    auth=httpx.BasicAuth(s["api_id"], s["api_token"])
                    if self._basic
                    else connection.BearerAuth(s["access_token"]),
                    limiter=self._limiter,
                    on_response=self._pace,
                    transport=self._transport,
                    verify=self._verify,
                    secrets=self.secret_values,
                )
            return self._api

    @property
    def media(self) -> ApiClient:
        """The credential-free client for signed recording URLs (a refused link: retryable DownloadError)."""
        with self._lock:
            if self._media is None:
                self._media = connection.media_client(
                    provider=self.display_name,
                    base_url=self.base_url,
                    transport=self._transport,
                    verify=self._verify,
                    secrets=self.secret_values,
                )
            return self._media

    def close(self) -> None:
        """Close both HTTP clients."""
        for client in (self._api, self._media):
            if client is not None:
                client.close()

    def _pace(self, response: httpx.Response) -> None:
        """Aircall's own count paces the API (``connection.pace``); ``rate_limit`` keeps its limit."""
        self.rate_limit = connection.pace(self._limiter, response) or self.rate_limit

    # -- the primitives ---------------------------------------------------------------------------
    def _connect(self) -> str:
        page = self.api.get_json("/v1/calls", params={"per_page": 1, "order": "desc"})
        meta = page.get("meta") if isinstance(page, dict) and isinstance(page.get("meta"), dict) else {}
        who = f"API ID {self.secrets['api_id']}" if self._basic else "OAuth token"
        total = to_int(meta.get("total"))
        return f"{who}, {total} calls in its history" if total is not None else who

    def iter_calls(
        self, start: datetime, end: datetime, *, answered_only: bool = False
    ) -> Iterator[CallMetadata]:
        """Aircall's listing: ``from``/``to`` in whole UNIX seconds covering ``[start, end)``, in windows
        halved until each stays under the listing cap.

        Calls come oldest first within a window and are filtered to ``start <= started_at < end``; a call
        without any time is skipped with a warning (``mapping.to_call``).
        """
        lo, hi = math.floor(start.timestamp()), math.ceil(end.timestamp())
        if hi <= lo:
            return
        self._split_budget, self._trust_total = MAX_WINDOWS, True
        for raw in self._walk(lo, hi, self._recent_ids(), {}):
            call = mapping.to_call(raw, self.name)
            if call is None or not start <= call.started_at < end or (answered_only and not call.answered):
                continue
            self._remember_url(raw)
            yield call

    # -- listing: windows under the cap ------------------------------------------------------------
    def _walk(
        self,
        lo: int,
        hi: int,
        seen: BoundedDict[str, None],
        out: dict[str, Any],
        parent_total: int | None = None,
        sibling_total: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Raw calls created in ``[lo, hi)`` (UNIX seconds), each once; ``out["total"]`` = meta.total."""
        meta: dict[str, Any] = {}

        def items(page: Any) -> list[Any]:
            nonlocal meta
            if isinstance(page, list):
                meta = {}
                return [c for c in page if isinstance(c, dict)]
            body = page if isinstance(page, dict) else {}
            meta = body["meta"] if isinstance(body.get("meta"), dict) else {}
            calls = body.get("calls")
            return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []

        params = {"from": lo, "to": hi, "order": "asc", "per_page": PER_PAGE, "fetch_contact": "true"}
        paginator = NextUrlPaginator(
            lambda page: connection.next_link(page, self.base_url, params), provider=self.display_name
        )
        pages = paginate(self.api, "/v1/calls", params=params, items=items, paginator=paginator)
        fetched, total = 0, None
        try:
            for raw in pages:
                if fetched == 0:
                    total = out["total"] = to_int(meta.get("total"))
                    if (
                        self._may_split(lo, hi, total, parent_total, sibling_total)
                        and total >= self._threshold()
                    ):
                        yield from self._split(lo, hi, seen, total)
                        return
                ident = str(raw.get("id") or "").strip()
                started = mapping.call_started_at(raw)
                if ident in seen and (started is None or lo <= started.timestamp() < hi):
                    continue  # this window's own row again: a repeated page, not one more row of the listing
                fetched += 1
                if not ident or ident in seen:
                    continue
                if started is not None and not lo <= started.timestamp() < hi:
                    continue  # a boundary second asked for twice: the neighbouring window owns it
                seen[ident] = None
                yield raw
        finally:
            pages.close()
        cut_short = total is not None and MIN_CAP <= fetched < total
        if cut_short and self._may_split(lo, hi, total, parent_total, sibling_total):
            log.warning(
                "Aircall listing %s..%s stopped at %d of %d calls (the listing cap): splitting it.",
                lo,
                hi,
                fetched,
                total,
            )
            self.listing_cap = min(self.listing_cap, fetched)
            yield from self._split(lo, hi, seen, total)

    @staticmethod
    def _recent_ids() -> BoundedDict[str, None]:
        """The ids of the last few pages: enough to drop the repeats that offset paging produces when calls
        arrive mid-walk (the listing is in time order and windows own disjoint seconds), while keeping
        memory bounded by the page size rather than the number of calls."""
        return BoundedDict(RECENT_IDS)

    def _threshold(self) -> int:
        return self.listing_cap - max(1, self.listing_cap // 20)

    def _may_split(
        self, lo: int, hi: int, total: int | None, parent: int | None, sibling: int | None
    ) -> bool:
        """Whether halving ``[lo, hi)`` can help: totals that do not shrink with the window stop all splits."""
        if total is None or hi - lo <= 1 or not self._trust_total:
            return False
        if parent is not None and sibling is not None and total + sibling > parent + max(5, parent // 10):
            log.warning(
                "Aircall's meta.total does not shrink with the window; listing without further splits."
            )
            self._trust_total = False
            return False
        if self._split_budget <= 0:
            log.warning(
                "Aircall listing needed more than %d windows; listing without further splits.", MAX_WINDOWS
            )
            self._trust_total = False
            return False
        return True

    def _split(self, lo: int, hi: int, seen: BoundedDict[str, None], total: int) -> Iterator[dict[str, Any]]:
        self._split_budget -= 2
        mid, left = (lo + hi) // 2, {}
        yield from self._walk(lo, mid, seen, left, total, None)
        yield from self._walk(mid, hi, seen, {}, total, left.get("total"))

    # -- recordings -------------------------------------------------------------------------------
    def _remember_url(self, raw: dict[str, Any]) -> None:
        kind = mapping.has_audio(raw)
        if kind is None:
            return
        url = str(raw[kind]).strip()
        self._keep_secret(url)
        self._urls[str(raw["id"]).strip()] = (
            url,
            connection.url_fresh_until(url, time.time() + URL_FRESH_SECONDS),
        )

    def _keep_secret(self, url: str) -> None:
        for value in [url] + [v for _, v in parse_qsl(urlsplit(url).query) if len(v) >= 16]:
            self._url_secrets[value] = None

    def _listed_url(self, call_id: str) -> str | None:
        url, fresh_until = self._urls.pop(call_id) or (None, 0.0)
        return url if url and fresh_until > time.time() else None

    def _fresh_url(self, call_id: str) -> str:
        """Fetch the call again for a fresh signed URL (the old one may have expired)."""
        body = self.api.get_json(f"/v1/calls/{quote(call_id, safe='')}")
        call = body.get("call") if isinstance(body, dict) and isinstance(body.get("call"), dict) else body
        call = call if isinstance(call, dict) else {}
        kind = mapping.has_audio(call)
        if kind is None:
            status = str(call.get("status") or "").strip().lower()
            if status and status != "done":
                raise RecordingNotReadyError(
                    f"Aircall call {call_id} is still {status}; its recording comes later.",
                    recording_id=call_id,
                )
            raise DownloadError(f"Aircall call {call_id} has no recording (any more).", recording_id=call_id)
        url = str(call[kind]).strip()
        self._keep_secret(url)
        return url

    def _download(self, recording_id: str, dest_stem: Path) -> Path:
        call_id = str(recording_id).strip()
        if not _CALL_ID.match(call_id):
            raise DownloadError(f"{call_id[:80]!r} is not an Aircall call id.", recording_id=call_id[:80])
        first = [True]

        def url() -> str:
            listed = self._listed_url(call_id) if first[0] else None
            first[0] = False
            return listed or self._fresh_url(call_id)

        return self.media.download(url, dest_stem, recording_id=call_id).path
