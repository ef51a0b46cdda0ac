"""The recorded speech every sandbox serves as call audio (``media/*.wav``, built by ``make_media``)."""

from __future__ import annotations

import threading
from pathlib import Path

MEDIA_DIR = Path(__file__).parent / "media"
LANGUAGES = ("en", "pt")


class SpeechFiles:
    """The media files by language; a call's file is picked by its language and a stable index."""

    def __init__(self) -> None:
        self.by_language = {
            lang: sorted(p.name for p in MEDIA_DIR.glob(f"{lang}_*.wav")) for lang in LANGUAGES
        }
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def pick(self, language: str | None, index: int) -> str:
        """The file name for ``index`` among ``language``'s files (all files when the language has none)."""
        files = self.by_language.get(language or "") or sorted(sum(self.by_language.values(), []))
        return files[index % len(files)]

    def read(self, name: str) -> bytes:
        """A file's bytes, read once."""
        with self._lock:
            if name not in self._cache:
                self._cache[name] = (MEDIA_DIR / name).read_bytes()
            return self._cache[name]
