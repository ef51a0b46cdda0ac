"""How to talk to Twilio (REST API 2010-04-01; REFERENCE.md §2): HTTP Basic, its error bodies and what a
refusal means, its list pages (``next_page_uri``, never followed to another host), the date filters.

Twilio limits *concurrent* requests (429, error 20429): the client keeps at most ``MAX_CONCURRENCY`` in
flight, and 429s are retried with backoff by the shared policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from perftel.errors import AuthError, PerftelError
from perftel.http.api_errors import ErrorHook, ErrorInfo, error_body, reworded
from perftel.http.client import ApiClient
from perftel.http.pagination import NextUrlPaginator, query_dict
from perftel.providers.tolerant import as_dict, text

API_VERSION = "2010-04-01"
MAX_CONCURRENCY = 4  # in-flight requests per provider; Twilio's 429/20429 is about concurrency
PAGING_KEYS = frozenset(
    {
        "end",
        "start",
        "page",
        "page_size",
        "first_page_uri",
        "next_page_uri",
        "previous_page_uri",
        "uri",
        "meta",
        "num_pages",
        "total",
        "last_page_uri",
    }
)


def parse_twilio_error(response: httpx.Response) -> ErrorInfo:
    """Twilio's ``{code, message, more_info, status}`` bodies (and RFC 9457 ``{code, title, detail}``)."""
    body = error_body(response)
    if body is None:
        return ErrorInfo(None, None)
    code = body.get("code") if body.get("code") not in (None, "") else body.get("error_code")
    message = text(body.get("message")) or text(body.get("detail")) or text(body.get("title"))
    more = text(body.get("more_info")) or text(body.get("type"))
    if message and more and more.startswith("http"):
        message = f"{message} (see {more})"
    return ErrorInfo(str(code) if code not in (None, "") else None, message)


class TwilioErrors(ErrorHook):
    """Twilio's error bodies; a refusal says which credentials of which account to check."""

    def __init__(self, *, account_sid: str, uses_api_key: bool, company_id: str) -> None:
        self.account_sid, self.uses_api_key, self.company_id = account_sid, uses_api_key, company_id

    def parse(self, response: httpx.Response) -> ErrorInfo:
        """:func:`parse_twilio_error`."""
        return parse_twilio_error(response)

    def refine(self, error: PerftelError, response: httpx.Response) -> PerftelError:
        """An AuthError (401/403) is reworded to name the credentials and account to check; else kept."""
        if not isinstance(error, AuthError):
            return error
        what = "API key SID and secret" if self.uses_api_key else "Account SID and Auth Token"
        return reworded(
            error,
            f"Twilio refused the credentials ({error.status_code}{' ' + error.error_code if error.error_code else ''}): "
            f"check the {what} of account {self.account_sid} "
            f"(perftel credentials set --company {self.company_id} --provider twilio --replace). {error.message}",
        )


def api_client(
    *,
    provider: str,
    base_url: str,
    user: str,
    password: str,
    errors: TwilioErrors,
    transport: httpx.BaseTransport | None,
    verify: bool,
    secrets: Callable[[], list[str]],
) -> ApiClient:
    """The API client: HTTP Basic as ``user``/``password``, at most ``MAX_CONCURRENCY`` requests in flight."""
    return ApiClient(
        provider=provider,
        base_url=base_url,
        auth=httpx.BasicAuth(user, password),
        errors=errors,
        max_concurrency=MAX_CONCURRENCY,
        transport=transport,
        verify=verify,
        secrets=secrets,
    )


class TwilioPages(NextUrlPaginator):
    """Follows ``next_page_uri`` as given, but only its path and query: our credentials never go to
    another host, whatever a page says (an absolute URL is re-based onto the configured base URL)."""

    def update_request(self, path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The path and query of ``next_page_uri`` (its host dropped; a repeated query key keeps every
        value); ``path``/``params`` at first."""
        if self.next_url is None:
            return path, params
        parts = urlsplit(self.next_url)
        return parts.path or path, query_dict(parse_qsl(parts.query, keep_blank_values=True))


def records(page: Any, key: str) -> list[Any]:
    """The records of a list page: ``page[key]``, else its one list-valued non-paging key (as the SDK does)."""
    if not isinstance(page, dict):
        return []
    found = page.get(key)
    if found is None:
        lists = [v for k, v in page.items() if k not in PAGING_KEYS and isinstance(v, list)]
        found = lists[0] if len(lists) == 1 else []
    return [row for row in found if isinstance(row, dict)] if isinstance(found, list) else []


def next_page(page: Any) -> str | None:
    """A list page's ``next_page_uri`` (or ``meta.next_page_url`` of the newer list shape)."""
    if not isinstance(page, dict):
        return None
    return text(page.get("next_page_uri")) or text(as_dict(page.get("meta")).get("next_page_url"))


def upper_date(moment: datetime) -> date:
    """The first whole day not before ``moment``: the value for an exclusive ``StartTime<`` filter."""
    moment = (
        moment.astimezone(timezone.utc) if moment.tzinfo else moment
    )  # Twilio's date filters are UTC days
    return moment.date() if moment.time() == time.min else moment.date() + timedelta(days=1)
