"""Speech rate: words per minute of a speaker's own talk time (Amazon Transcribe Call Analytics' "talk
speed", https://docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html).

``words / talk_seconds * 60``, rounded to 2 places; None (scalar) or NaN (arrays) with no talk.
"""

from __future__ import annotations

from typing import Any


def words_per_minute(words: int, talk_seconds: float) -> float | None:
    """``words / talk_seconds * 60`` rounded to 2 places; None when ``talk_seconds`` is 0."""
    return round(words / talk_seconds * 60, 2) if talk_seconds > 0 else None


def words_per_minute_array(words: Any, talk_seconds: Any) -> Any:
    """:func:`words_per_minute` of arrays (NaN where ``talk_seconds`` is 0)."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(talk_seconds > 0, np.round(words / talk_seconds * 60, 2), np.nan)
