"""ONE pagination loop; each provider's paging scheme is a tiny state object.

A paginator adds its state to the next request (``update_request``), reads the next position from
a page (``update_state``) and says whether there is more (``has_next_page``). ``paginate`` is the
loop every provider uses. A cursor or next-page URL that comes back a second time stops the walk
with an error instead of looping forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from perftel.errors import ApiError

if TYPE_CHECKING:
    from perftel.http.client import ApiClient


class Paginator:
    """Base paging state. Subclasses override the three hooks."""

    #: How often a page position may come again (a server that lost its place, a page served twice)
    #: before the listing is stopped as an endless loop. Repeated rows are dropped by the drivers.
    max_repeats = 3

    def __init__(self) -> None:
        self.has_next_page = True
        self._seen: set[str] = set()
        self._repeats = 0

    def update_request(self, path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(path, query parameters) of the next request; the base leaves both as they are."""
        return path, params

    def update_state(self, page: Any) -> None:
        """Read the next position from ``page`` (the decoded JSON body); the base stops after one page.

        Overrides raise a retryable ApiError when a position comes back more than :attr:`max_repeats` times.
        """
        self.has_next_page = False

    def _remember(self, position: str, provider: str) -> None:
        if position in self._seen:
            self._repeats += 1
        if self._repeats > self.max_repeats:
            raise ApiError(
                f"{provider} returned a page position it had already given ({position[:40]!r}); "
                "stopped to avoid an endless loop. Run again later.",
                provider=provider,
                retryable=True,
            )
        self._seen.add(position)


class CursorPaginator(Paginator):
    """A cursor passed back as a query parameter (GoTo's ``pageMarker`` → ``nextPageMarker``)."""

    def __init__(self, *, param: str, response_key: str, provider: str = "") -> None:
        super().__init__()
        self.param = param
        self.response_key = response_key
        self.provider = provider
        self.cursor: str | None = None

    def update_request(self, path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """``params`` plus ``{param: cursor}`` once a cursor is known; the path is unchanged."""
        if self.cursor is not None:
            params = {**params, self.param: self.cursor}
        return path, params

    def update_state(self, page: Any) -> None:
        """Take the page's ``response_key`` as the next cursor; none or "" ends the walk.

        Raises a retryable ApiError when the same cursor keeps coming back (:attr:`Paginator.max_repeats`).
        """
        cursor = page.get(self.response_key) if isinstance(page, dict) else None
        if cursor in (None, ""):
            self.has_next_page = False
            return
        self._remember(str(cursor), self.provider)
        self.cursor = str(cursor)


def query_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Query pairs (``parse_qsl``/``QueryParams.multi_items`` output) as request params, repeats kept.

    A key given once maps to its value, a repeated key (``?Status=busy&Status=failed``) to the list of
    its values in order — httpx and ``urlencode(doseq=True)`` send a list as the key repeated.
    """
    out: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key not in out:
            out[key] = value
        else:
            known = out[key]
            out[key] = [*known, value] if isinstance(known, list) else [known, value]
    return out


class NextUrlPaginator(Paginator):
    """A next-page URL or path in the body (Twilio ``next_page_uri``, Aircall, RingCentral).

    ``getter`` pulls it out of a page; the URL replaces path and query entirely.
    """

    def __init__(self, getter: Callable[[Any], str | None], *, provider: str = "") -> None:
        super().__init__()
        self.getter = getter
        self.provider = provider
        self.next_url: str | None = None

    def update_request(self, path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The next URL without extra parameters (it has its own query); ``path``/``params`` before that."""
        if self.next_url is not None:
            return self.next_url, {}
        return path, params

    def update_state(self, page: Any) -> None:
        """Take ``getter(page)`` as the next URL; none or "" ends the walk.

        Raises a retryable ApiError when the same URL keeps coming back (see :attr:`Paginator.max_repeats`).
        """
        url = self.getter(page)
        if not url:
            self.has_next_page = False
            return
        self._remember(url, self.provider)
        self.next_url = url


def paginate(
    client: ApiClient,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    paginator: Paginator,
    items: Callable[[Any], list[Any]],
    stop_on_empty: bool = True,
) -> Iterator[Any]:
    """Yield every item of every page, one page in memory at a time.

    ``items`` picks the list of items out of a page (the decoded JSON body); a page with none ends the
    walk when ``stop_on_empty``. Raises what ``client.get_json`` raises (ApiError, AuthenticationError,
    RateLimitError, …) and a retryable ApiError for a page position that keeps coming back.
    """
    params = dict(params or {})
    while paginator.has_next_page:
        page_path, page_params = paginator.update_request(path, params)
        page = client.get_json(
            page_path, params=page_params or None
        )  # {} would make httpx drop a next URL's query
        page_items = items(page) or []
        yield from page_items
        if stop_on_empty and not page_items:
            return
        paginator.update_state(page)
        page = page_items = None  # not two pages in memory while the next one arrives
