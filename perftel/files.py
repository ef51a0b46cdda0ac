"""Safe names and atomic writes: the two rules every file perftel writes follows.

* Ids that come from a remote API never become path parts as they are: :func:`safe_name` keeps a
  readable part and adds a short hash whenever it had to change anything.
* Every write goes to a temporary file in the same folder and is renamed into place, so a crash
  never leaves a half file that a later run takes for a finished one.

Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from perftel.errors import StorageError

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
PARTIAL_SUFFIX = ".part"

# The one home of audio file-name knowledge. Which files are audio is decided by probing
# (:func:`perftel.audio.probe`),
# never by these suffixes; they name downloaded files and say whether a file *claims* to be audio.
CONTENT_TYPE_SUFFIXES: dict[str, str] = {
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/vnd.wave": ".wav",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/webm": ".webm",
    "audio/amr": ".amr",
    "audio/3gpp": ".3gp",
    "audio/x-caf": ".caf",
    "audio/gsm": ".gsm",
    "audio/basic": ".au",
    "audio/aiff": ".aiff",
    "audio/x-aiff": ".aiff",
}
UNKNOWN_AUDIO_SUFFIX = ".audio"  # a download whose type and URL name no known format
AUDIO_SUFFIXES: frozenset[str] = frozenset(CONTENT_TYPE_SUFFIXES.values()) | {
    UNKNOWN_AUDIO_SUFFIX,
    ".oga",
    ".mka",
    ".wma",
    ".awb",
    ".3g2",
    ".aif",
    ".aifc",
    ".w64",
    ".mp4",
    ".mp2",
    ".spx",
}


def safe_name(value: str, *, max_length: int = 80) -> str:
    """A file-name-safe form of ``value``: same value → same name, different values → different names."""
    text = str(value)
    cleaned = _SAFE.sub("_", text).strip("._-")
    if cleaned == text and 0 < len(text) <= max_length and text not in {".", ".."}:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    cleaned = cleaned[: max_length - 11] or "id"
    return f"{cleaned}-{digest}"


def inside(base: Path, *parts: str) -> Path:
    """``base / parts`` after checking that the result cannot leave ``base``."""
    base = Path(base).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise StorageError(f"Refusing path {target} outside {base}.")
    return target


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path``; on success fsync and rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`); returns ``path``.

    OSError (e.g. disk full, no permission) propagates; no partial file is left.
    """
    with atomic_open(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8, atomically (see :func:`atomic_open`); returns ``path``.

    OSError (e.g. disk full, no permission) propagates; no partial file is left.
    """
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically; returns ``path``.

    Values JSON cannot hold (datetimes, paths) are written as ``str(value)``. OSError propagates.
    """
    return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def remove_stale_partials(folder: Path, *, older_than: float = 600.0) -> int:
    """Delete temporary files a crashed writer left behind; returns how many.

    Only files untouched for ``older_than`` seconds go: a live writer keeps its file's time fresh,
    so a second process working in the same folder is never disturbed.
    """
    import time

    count = 0
    limit = time.time() - older_than
    if Path(folder).is_dir():
        for leftover in Path(folder).glob(f".*{PARTIAL_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < limit:
                    leftover.unlink()
                    count += 1
    return count
