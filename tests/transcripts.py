"""What "the same transcript" means for model output: near-equality, never bit-equality.

CTranslate2's multi-threaded int8 inference is not bit-reproducible (two processes, or one process on a
loaded machine, can end a segment at 10.48 s once and 10.50 s the next time, or pick another marginal beam),
so tests compare transcripts of the same audio with tolerances: the words nearly the same, the same language
and speakers, and each speaker's speech starting and ending within half a second.
"""

from __future__ import annotations

import difflib
import re

#: words that must match, as a share of both transcripts (difflib ratio over word lists)
WORD_RATIO = 0.85
#: seconds a speaker's first start or last end may move between two runs
TIME_TOLERANCE = 0.5


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def word_ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


def assert_nearly_same(a, b, *, ratio: float = WORD_RATIO, seconds: float = TIME_TOLERANCE) -> None:
    """Assert that two TranscriptionResults of the same audio agree within model-output tolerances."""
    assert a.language == b.language, (a.language, b.language)
    assert word_ratio(a.text, b.text) >= ratio, (a.text, b.text)
    speakers = {s.speaker for s in a.segments}
    assert speakers == {s.speaker for s in b.segments}
    for speaker in speakers:
        mine = [s for s in a.segments if s.speaker == speaker]
        theirs = [s for s in b.segments if s.speaker == speaker]
        text_a, text_b = (" ".join(s.text for s in group) for group in (mine, theirs))
        assert word_ratio(text_a, text_b) >= ratio, (speaker, text_a, text_b)
        assert abs(mine[0].start - theirs[0].start) <= seconds, (speaker, mine[0], theirs[0])
        assert abs(mine[-1].end - theirs[-1].end) <= seconds, (speaker, mine[-1], theirs[-1])
