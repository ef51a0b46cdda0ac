"""Language detection: a call's language from Whisper's language probabilities on its first windows.

The language setting is read by :func:`parse_language` (pinned, a list to choose among, or free); a call
whose language is not pinned is detected once by :func:`detect_language` before any window is decoded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from perftel.languages import parse_languages
from perftel.vad import Window

log = logging.getLogger("perftel.transcribe")


def parse_language(value: str | Iterable[str] | None) -> tuple[str | None, tuple[str, ...]]:
    """``(pinned language, candidates)``: ``"pt"`` (or ``"pt-BR"``, ``"Portuguese"``) → ``("pt", ())``;
    ``"en,pt"`` → ``(None, ("en", "pt"))`` (detect, choosing between English and Portuguese unless the
    call is in neither); None → ``(None, ())``. Raises ConfigError for an unknown language."""
    codes = parse_languages(value)
    if not codes:
        return None, ()
    return (codes[0], ()) if len(codes) == 1 else (None, codes)


def detect_language(
    whisper: Any, windows: list[Window], candidates: tuple[str, ...], min_share: float
) -> tuple[str | None, float | None, bool]:
    """``(language, probability 0–1, outside the list)`` of a call, from ``whisper``'s (a faster-whisper
    ``WhisperModel``) language probabilities summed over ``windows``.

    Without ``candidates`` the most likely language wins. With them (e.g. ``("en", "pt")``) the choice is
    among those, which avoids the classic mistakes on short telephone speech (Portuguese heard as
    Galician or Spanish) and the probability is renormalised over the list; but when the most likely
    language is not listed and the listed ones together get less than ``min_share`` of the probability
    (``TranscribeOptions.language_list_min_share``), the call is in another language: that language is
    returned (with its share of the full distribution) and flagged, so it is transcribed as spoken instead
    of being forced into, and so translated into, a listed language. An English-only model always gives
    ``("en", 1.0, False)``; no probability at all gives ``(None, None, False)``.
    """
    if not whisper.model.is_multilingual:
        return "en", 1.0, False
    scores: dict[str, float] = {}
    for window in windows:
        _, _, probabilities = whisper.detect_language(window.audio())
        for code, probability in probabilities:
            scores[code] = scores.get(code, 0.0) + probability
    total = sum(scores.values())
    if not total:
        return None, None, False
    best = max(scores, key=scores.__getitem__)
    if not candidates:
        return best, round(scores[best] / total, 4), False
    listed = {code: scores.get(code, 0.0) for code in candidates}
    listed_total = sum(listed.values())
    if best not in listed and listed_total / total < min_share:
        log.info(
            "call language %s (p=%.2f) is outside the list %s (p=%.2f together)",
            best,
            scores[best] / total,
            ",".join(candidates),
            listed_total / total,
        )
        return best, round(scores[best] / total, 4), True
    choice = max(listed, key=listed.__getitem__)
    return choice, round(listed[choice] / listed_total, 4) if listed_total else None, False
