"""Writing a download's body: the checks a recording must pass and the atomic write, nothing else.

:meth:`perftel.http.client.ApiClient.download` streams the response (retries, pacing, redirects) and hands
it to :func:`save_body`, which checks the content type, the declared ``Content-Length`` and a size bound,
picks the file suffix (:data:`perftel.files.CONTENT_TYPE_SUFFIXES`) and writes the file atomically: it
appears under its final name only when complete. Sizes are bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from perftel.errors import DownloadError
from perftel.files import AUDIO_SUFFIXES, CONTENT_TYPE_SUFFIXES, UNKNOWN_AUDIO_SUFFIX, atomic_open
from perftel.http.redact import redact_url

MAX_DOWNLOAD_BYTES = 2 * 1024**3  # 2 GiB: far above any call recording, far below a full disk
AUDIO_EXTENSIONS = CONTENT_TYPE_SUFFIXES  # content type → file suffix; one home: perftel.files


@dataclass(frozen=True)
class Download:
    """A finished download: the file's ``path``, the response's ``content_type`` (lower case, no parameters)
    and its ``size`` in bytes.
    """

    path: Path
    content_type: str
    size: int


def save_body(
    response: httpx.Response,
    dest_stem: Path,
    *,
    provider: str,
    allowed_types: tuple[str, ...] = ("audio/",),
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    recording_id: str | None = None,
) -> Download:
    """Write a successful streamed ``response`` to ``dest_stem`` + the suffix of its content type, atomically.

    The suffix comes from the content type, else the URL's audio suffix, else ``.audio``. Raises
    DownloadError (nothing saved) when the content type is not in ``allowed_types`` (retryable), the body
    is above ``max_bytes`` bytes (declared or counted), shorter than its ``Content-Length`` or empty (both
    retryable). A broken connection (``httpx.TransportError``) and a failed write (``OSError``) pass
    through for the caller to translate.
    """
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not any(content_type.startswith(t) for t in allowed_types):
        raise DownloadError(
            f"{provider} sent {content_type or 'no content type'} instead of audio for "
            f"recording {recording_id} ({redact_url(response.url)}); nothing was saved.",
            recording_id=recording_id,
            retryable=True,  # storage front-ends answer login or error pages now and then
        )
    declared = declared_length(response.headers.get_list("Content-Length"))
    if declared is not None and declared > max_bytes:
        raise DownloadError(
            f"Recording {recording_id} is {declared} bytes, above the {max_bytes}-byte limit.",
            recording_id=recording_id,
        )
    path = dest_stem.with_name(dest_stem.name + suffix_for(content_type, str(response.url)))
    size = 0
    with atomic_open(path, "wb") as handle:
        for chunk in response.iter_bytes(chunk_size=1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise DownloadError(
                    f"Recording {recording_id} exceeded the {max_bytes}-byte limit; nothing was saved.",
                    recording_id=recording_id,
                )
            handle.write(chunk)
        if declared is not None and size != declared:
            raise DownloadError(
                f"Recording {recording_id} arrived short ({size} of {declared} bytes); "
                "nothing was saved, it will be retried.",
                recording_id=recording_id,
                retryable=True,
            )
        if size == 0:
            raise DownloadError(
                f"Recording {recording_id} arrived empty; nothing was saved.",
                recording_id=recording_id,
                retryable=True,
            )
    return Download(path=path, content_type=content_type, size=size)


def declared_length(values: list[str]) -> int | None:
    """The body length in bytes a ``Content-Length`` header declares; None when absent or malformed.

    ``values`` are the header's values (a repeated header, or one value listing several, must agree:
    RFC 9110 §8.6). A value that is not a plain non-negative decimal (``"abc"``, ``"-5"``, ``"1e3"``,
    ``"12, 13"``) makes the length unknown: the download is then judged by its bytes alone, as for a
    chunked answer, instead of failing outside perftel's errors.
    """
    found = {part.strip() for value in values for part in value.split(",")}
    if len(found) != 1:
        return None
    text = found.pop()
    return int(text) if text.isascii() and text.isdigit() else None


def suffix_for(content_type: str, url: str) -> str:
    """The file suffix of a download (with its dot): by ``content_type`` (lower case, no parameters) from
    :data:`perftel.files.CONTENT_TYPE_SUFFIXES`, else the ``url`` path's suffix when it is an audio one,
    else :data:`perftel.files.UNKNOWN_AUDIO_SUFFIX` (``.audio``)."""
    if content_type in AUDIO_EXTENSIONS:
        return AUDIO_EXTENSIONS[content_type]
    suffix = Path(httpx.URL(url).path).suffix.lower()
    return suffix if suffix in AUDIO_SUFFIXES else UNKNOWN_AUDIO_SUFFIX
