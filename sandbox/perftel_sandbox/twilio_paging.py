"""Twilio's list pages (REFERENCE.md §2.3): ``PageSize`` ≤ 1000, ``Page`` numbers, and a keyset
``PageToken`` (``PA`` + a signed cursor bound to the query) in ``next_page_uri``; a ``Page`` above 0
without a server-issued token is refused. Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from perftel_sandbox.faults import Faults
from perftel_sandbox.messages import SandboxRequest, SandboxResponse, json_response
from perftel_sandbox.paging import CursorCodec, list_key, rows_after
from perftel_sandbox.twilio_query import BadParam


def list_page(
    request: SandboxRequest,
    key: str,
    rows: list[dict],
    sort_key: Callable[[Any], tuple],
    *,
    cursors: CursorCodec,
    order: str,
    seed: int,
    faults: Faults,
) -> SandboxResponse:
    """The page of ``rows`` ``request`` asks for, as Twilio's list body: ``{key: [...], "end",
    "first_page_uri", "next_page_uri", "page", "page_size", "previous_page_uri" (always null), "start",
    "uri"}``; rows in ``order`` (see :func:`~perftel_sandbox.paging.list_key`) by ``sort_key``.

    ``faults.empty_pages`` makes a page that has more come back empty, with a next link. Raises
    :class:`~perftel_sandbox.twilio_query.BadParam` for a bad ``PageSize``/``Page``/``PageToken``.
    """
    q = request.query
    try:
        page_size = int(q.get("PageSize", "50"))
        page = int(q.get("Page", "0"))
    except ValueError as exc:
        raise BadParam("PageSize and Page must be integers") from exc
    if not 1 <= page_size <= 1000:
        raise BadParam("PageSize must be between 1 and 1000")
    if page < 0:
        raise BadParam("Page must be 0 or more")
    filters = sorted((k, v) for k, v in q.items() if k not in ("PageSize", "Page", "PageToken"))
    query_id = f"{request.path}|{filters}"
    after = None
    if q.get("PageToken"):
        token = q["PageToken"]
        after = cursors.decode(token[2:], query_id) if token.startswith("PA") else None
        if after is None:
            raise BadParam("Invalid PageToken")
    elif page > 0:
        raise BadParam("PageToken is required for paging.")
    sort_key, newest_first = list_key(order, sort_key, seed)
    rows = sorted(rows, key=sort_key, reverse=newest_first)
    if after is not None:
        rows = rows_after(rows, sort_key, after, descending=newest_first)
    chunk, more = rows[:page_size], len(rows) > page_size
    if more and faults.take("empty_pages"):
        chunk, next_key = (
            [],
            after if after is not None else (["9999-12-31", "~"] if newest_first else [""]),
        )
    else:
        next_key = list(sort_key(chunk[-1])) if chunk else None

    def uri(page_no: int, token: str | None = None) -> str:
        params = [*filters, ("PageSize", page_size), ("Page", page_no)] + (
            [("PageToken", token)] if token else []
        )
        return f"{request.path}?{urlencode(params)}"

    next_uri = None
    if more:
        token = "PA" + cursors.encode(next_key, query_id) if next_key is not None else q.get("PageToken")
        next_uri = uri(page + 1, token)
    return json_response(
        200,
        {
            key: chunk,
            "end": page * page_size + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "next_page_uri": next_uri,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": page * page_size,
            "uri": uri(page, q.get("PageToken")),
        },
    )
