"""Speaker turns and what was said before a point, for personal-data detection.

A turn is a speaker's segments that follow each other: another speaker's short "uhum" in between does
not break it, a pause over :data:`TURN_GAP_SECONDS` does. A turn is read as one text, so digits split
over two segments are one number. :class:`Conversation` gives the words said before a number, the other
speakers' recent ones included (the agent's "qual o seu CPF?"), where its context cue is looked for.
"""

from __future__ import annotations

from collections.abc import Sequence

from perftel.privacy.findings import Utterance
from perftel.privacy.numbers import Token, tokenize

#: a pause longer than this (seconds) between a speaker's segments starts a new turn
TURN_GAP_SECONDS = 10.0
#: another speaker's words this recent (seconds before the turn's segment starts) can give the context
PROMPT_SECONDS = 20.0


def speaker_turns(utterances: Sequence[Utterance], order: list[int]) -> list[list[int]]:
    """Segment indices grouped in speaker turns, in the order of their first segment.

    ``order``: the indices of ``utterances`` sorted by start time.
    """
    open_turns: dict[str | None, list[int]] = {}
    turns: list[list[int]] = []
    for index in order:
        u = utterances[index]
        current = open_turns.get(u.speaker)
        if current is not None and u.start - utterances[current[-1]].end <= TURN_GAP_SECONDS:
            current.append(index)
        else:
            current = [index]
            open_turns[u.speaker] = current
            turns.append(current)
    return turns


class Conversation:
    """Folded words of the conversation before a point: a turn's own words and the other speakers'
    recent segments (a question like "qual o seu CPF?"), in the order they were said.

    ``utterances``: the transcript's segments; ``order``: their indices sorted by start time.
    """

    def __init__(self, utterances: Sequence[Utterance], order: list[int]) -> None:
        self.utterances = utterances
        self.order = order
        self._words: dict[int, list[str]] = {}

    def words(self, index: int) -> list[str]:
        """The folded words (no digits or punctuation) of segment ``index``, cached."""
        if index not in self._words:
            self._words[index] = [t.norm for t in tokenize(self.utterances[index].text) if t.kind == "word"]
        return self._words[index]

    def before(self, tokens: list[Token], first: int) -> list[str]:
        """Folded words said before token ``first`` of a turn (``tokens``), oldest first: the turn's own,
        and those of other speakers' segments that start earlier and end at most :data:`PROMPT_SECONDS`
        before the token's segment starts."""
        seg = tokens[first].seg
        me = self.utterances[seg]
        pieces: list[tuple[float, int, list[str]]] = []
        own: dict[int, list[str]] = {}
        for t in tokens[:first]:
            if t.kind == "word":
                own.setdefault(t.seg, []).append(t.norm)
        for index, words in own.items():
            pieces.append((self.utterances[index].start, index, words))
        for index in self.order:
            u = self.utterances[index]
            if u.start >= me.start:
                break
            if u.speaker != me.speaker and me.start - u.end <= PROMPT_SECONDS:
                pieces.append((u.start, index, self.words(index)))
        return [w for _, _, words in sorted(pieces, key=lambda p: (p[0], p[1])) for w in words]
