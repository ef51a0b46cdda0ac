"""One HTTP layer for every provider: retries, rate limits, pagination, OAuth2 tokens, downloads.

This package is the only place (with the providers' connections and drivers) that imports httpx.
"""

from perftel.http.api_errors import ErrorHook, ErrorInfo
from perftel.http.client import ApiClient
from perftel.http.oauth import MemoryTokenStore, OAuth2Auth, TokenManager
from perftel.http.pagination import CursorPaginator, NextUrlPaginator, Paginator, paginate
from perftel.http.ratelimit import RateLimiter
from perftel.http.redact import redact_url
from perftel.http.retry import RetryPolicy

__all__ = [
    "ApiClient",
    "CursorPaginator",
    "ErrorHook",
    "ErrorInfo",
    "MemoryTokenStore",
    "NextUrlPaginator",
    "OAuth2Auth",
    "Paginator",
    "RateLimiter",
    "RetryPolicy",
    "TokenManager",
    "paginate",
    "redact_url",
]
