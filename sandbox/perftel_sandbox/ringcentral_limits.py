"""RingCentral's throttling groups as the sandbox applies them (REFERENCE.md §4.4): each API path belongs
to a group (Heavy, Medium, Light, Auth) with its own limit per window; every answer carries the
``X-Rate-Limit-Group/-Limit/-Remaining/-Window`` headers. Standard library only.
"""

from __future__ import annotations

from perftel_sandbox.rate_limits import SlidingWindow

DEFAULT_LIMITS = {"Heavy": 10, "Medium": 40, "Light": 50, "Auth": 5}


def group_of(path: str) -> str:
    """The throttling group of an API path: Auth (token endpoint), Heavy (call log, recordings), else Light."""
    if path.startswith("/restapi/oauth/"):
        return "Auth"
    return "Heavy" if "/call-log" in path or "/recording" in path else "Light"


def throttling_groups(
    rate_limits: dict | None, overrides: dict[str, int | None], window: float
) -> dict[str, SlidingWindow]:
    """One :class:`SlidingWindow` per group: :data:`DEFAULT_LIMITS`, then ``rate_limits`` ({group: limit or
    (limit, window seconds)}), then the ``overrides`` that are not ``None``; ``window`` seconds unless given."""
    limits = {**DEFAULT_LIMITS, **(rate_limits or {})}
    limits.update({group: value for group, value in overrides.items() if value is not None})
    return {
        name: SlidingWindow(*(value if isinstance(value, (tuple, list)) else (value, window)))
        for name, value in limits.items()
    }


def rate_headers(name: str, group: SlidingWindow, remaining: int) -> dict[str, str]:
    """The ``X-Rate-Limit-*`` headers for group ``name`` (window in seconds, as ``%g``)."""
    return {
        "X-Rate-Limit-Group": name,
        "X-Rate-Limit-Limit": str(group.limit),
        "X-Rate-Limit-Remaining": str(remaining),
        "X-Rate-Limit-Window": f"{group.window:g}",
    }
