"""RingCentral's call log as the sandbox lists it (REFERENCE.md §4.2; ``rc-public-openapi.yml``
``CallLogResponse``): date window, filters, page numbers and ``navigation`` links. Standard library only.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from perftel_sandbox.common_data import utc_datetime
from perftel_sandbox.messages import SandboxRequest, SandboxResponse, json_response
from perftel_sandbox.paging import list_key
from perftel_sandbox.ringcentral_errors import rc_error

if TYPE_CHECKING:
    from perftel_sandbox.ringcentral import RingCentralSandbox


def parse_time(value: str) -> datetime:
    """An ISO-8601 date-time with zone (naive = UTC) as an aware UTC datetime. Raises ``ValueError`` (also
    for a bare date)."""
    if "T" not in value:
        raise ValueError("a date-time is required")
    return utc_datetime(value)


def call_log(
    sandbox: RingCentralSandbox, request: SandboxRequest, *, extension_only: bool
) -> SandboxResponse:
    """One page of ``sandbox``'s call log (the company's, or only its JWT user's with ``extension_only``).

    Query: ``dateFrom``/``dateTo`` (ISO-8601 date-times; missing dateFrom = dateTo − 24 h, missing dateTo =
    now), ``perPage`` 1–1000 or ``max`` (capped at ``sandbox.max_per_page``), ``page`` 1–1000, ``view``
    Simple|Detailed, and ``type``/``direction``/``telephonySessionId`` (case-insensitive equality). Body:
    ``{"uri", "records", "paging", "navigation"}``; past the last page, no records and ``paging`` stripped
    to ``perPage``. A bad parameter → 400 CMN-101 naming it.
    """
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
    per_page = min(1000 if per_page_text == "max" else int(per_page_text), sandbox.max_per_page)
    page_text = q.get("page", "1")
    if not page_text.isdigit() or not 1 <= int(page_text) <= 1000:
        return bad("page")
    page, view = int(page_text), q.get("view", "Simple")
    if view not in ("Simple", "Detailed"):
        return bad("view")
    records = []  # stored records: only the page's are rendered (copied with our URLs)
    for _, stored in sandbox.listed(lo, hi, extension_only=extension_only):
        records.extend(
            r
            for r in stored
            if all(
                not q.get(k) or str(r.get(k)).lower() == q[k].lower()
                for k in ("type", "direction", "telephonySessionId")
            )
        )
    order, newest_first = list_key(sandbox.list_order, lambda r: (r["startTime"], r["id"]), sandbox.seed)
    records.sort(key=order, reverse=newest_first)
    total_pages = max(1, -(-len(records) // per_page))
    path = f"{sandbox.base_url}{request.path}"

    def link(number: int) -> dict:
        query = (
            {**q, "page": number, "perPage": per_page}
            if sandbox.full_navigation_uris
            else {"page": number, "perPage": per_page}
        )
        return {"uri": f"{path}?{urlencode(query)}"}

    body: dict = {"uri": f"{path}?{urlencode({**q, 'page': page, 'perPage': per_page})}"}
    if page > total_pages:  # past the last page: nothing, and paging stripped to the required field
        body.update(records=[], paging={"perPage": per_page}, navigation={})
        return json_response(200, body)
    chunk = [sandbox.render(r, True) for r in records[(page - 1) * per_page : page * per_page]]
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
