"""What personal-data detection reads and returns: :class:`Utterance` in, :class:`Finding` (with its
:class:`Span` pointers into the segments' texts) out, and the :data:`KINDS` of personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perftel.privacy.numbers import Token

#: the kinds of personal data found: payment card numbers, CPF and CNPJ (Brazil's person and company
#: tax ids), phone numbers, e-mail addresses
KINDS = ("card", "cpf", "cnpj", "phone", "email")


@dataclass(frozen=True)
class Span:
    """Characters ``[start, end)`` of segment ``seg``'s text (``seg`` −1: the transcript's text itself)."""

    seg: int
    start: int
    end: int


@dataclass
class Finding:
    """One personal value: its ``kind`` (one of :data:`KINDS`), where it is (one span per segment it
    crosses), and ``by`` — ``"checksum"``, ``"context"`` or ``"pattern"`` (e-mail)."""

    kind: str
    spans: list[Span]
    by: str
    digits: str = field(default="", repr=False)  # the value's digits: in memory only, never written


@dataclass(frozen=True)
class Utterance:
    """What detection needs of a segment: its text, speaker and times (seconds from the call's start)."""

    text: str
    speaker: str | None = None
    start: float = 0.0
    end: float = 0.0


def token_spans(tokens: list[Token], first: int, last: int) -> list[Span]:
    """The spans tokens ``first`` … ``last`` (inclusive) cover: one per segment, from its first token's
    start to its last token's end, in the order the segments first appear."""
    spans: dict[int, Span] = {}
    for t in tokens[first : last + 1]:
        s = spans.get(t.seg)
        spans[t.seg] = (
            Span(t.seg, t.start, t.end)
            if s is None
            else Span(t.seg, min(s.start, t.start), max(s.end, t.end))
        )
    return list(spans.values())
