"""RingCentral's recording content as the sandbox serves it on the media host (REFERENCE.md §4.3): the
whole file, or one byte range (``Range: bytes=a-b`` / ``a-`` / ``-n`` → 206 with ``Content-Range``;
unsatisfiable → 416 CMN-107), with the partial and truncated download faults. Standard library only.
"""

from __future__ import annotations

import re

from perftel_sandbox.faults import Faults
from perftel_sandbox.messages import SandboxResponse
from perftel_sandbox.ringcentral_errors import rc_error

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte offsets (inclusive) a single-range ``Range`` header asks of ``size`` bytes
    (RFC 9110 §14.1.2), or ``None`` when it is malformed or unsatisfiable."""
    found = _RANGE.match(header.strip())
    if not found or not (found[1] or found[2]):
        return None
    first, last = 0, size - 1
    if found[1]:
        first, last = int(found[1]), min(int(found[2]) if found[2] else last, last)
    else:
        first = max(0, size - int(found[2]))
    return None if first > last else (first, last)


def content_response(blob: bytes, range_header: str | None, faults: Faults) -> SandboxResponse:
    """``blob`` (WAV) as the media host answers: 200 (``faults.truncate_media`` cuts it short), 206 for a
    ``Range`` or when ``partial_media`` is on (the first half), 416 CMN-107 for a bad range."""
    headers = {"Content-Type": "audio/wav", "Accept-Ranges": "bytes"}
    first, last = 0, len(blob) - 1
    if range_header:
        span = byte_range(range_header, len(blob))
        if span is None:
            return rc_error(416, "CMN-107", "Requested range not satisfiable")
        first, last = span
    elif faults.take("partial_media"):
        last = len(blob) // 2 - 1
    if range_header or last < len(blob) - 1:
        headers["Content-Range"] = f"bytes {first}-{last}/{len(blob)}"
        return SandboxResponse(206, blob[first : last + 1], headers)
    return SandboxResponse(200, blob, headers, truncate_to=faults.truncation(len(blob)))
