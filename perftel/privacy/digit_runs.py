"""Card, CPF, CNPJ and phone numbers in a speaker turn: runs of digits and the kind of each.

A run is number tokens (digits written or spoken, see :mod:`perftel.privacy.numbers`) joined only by
separators: punctuation ("123.456.789-09"), spoken ones ("ponto", "traço", "barra", "dash") and segment
boundaries. Each run is decided by :func:`classify`, in this order (rules from the issue, "Personal data
stays out"):

1. **Context** (:mod:`perftel.privacy.cues`) — a positive cue makes a run of ≥ :data:`MIN_CONTEXT_DIGITS`
   digits of a plausible length (:data:`CONTEXT_LENGTHS`) that kind even when its checksum fails (Whisper
   drops or garbles digits: a 16-digit card came back as 15 digits). A negative cue ("pedido",
   "protocolo", …) or a unit just after the number ("reais", "horas") keeps a number that only a weak
   check (Luhn, phone) would call personal.
2. **Checksums** (:mod:`perftel.privacy.checksums`) — the strongest kind whose check the digits pass.
3. A number with neither stays (order and protocol numbers, prices, times).

A run too long for one value is searched for the longest valid pieces, left to right.
"""

from __future__ import annotations

from dataclasses import dataclass

from perftel.privacy.checksums import checksum_kinds
from perftel.privacy.cues import followed_by_unit, number_context
from perftel.privacy.findings import Finding, token_spans
from perftel.privacy.numbers import Token
from perftel.privacy.speaker_turns import Conversation

#: a run needs at least this many digits to be personal by context alone
MIN_CONTEXT_DIGITS = 6
#: the longest run searched for a value, in digits
MAX_DIGITS = 22
#: digits a value of each kind may have after transcription garbled it (context only)
CONTEXT_LENGTHS = {
    "card": (MIN_CONTEXT_DIGITS, MAX_DIGITS),
    "cpf": (MIN_CONTEXT_DIGITS, 14),
    "cnpj": (MIN_CONTEXT_DIGITS, 17),
    "phone": (MIN_CONTEXT_DIGITS, 15),
}
#: digits per group of Brazilian and North American phone numbers as said ("11 98765-4321": [2, 5, 4])
PHONE_SHAPES = ([2, 5, 4], [2, 4, 4], [2, 9], [2, 8], [1, 3, 3, 4], [3, 3, 4], [1, 2, 5, 4], [2, 2, 5, 4])
_SEP_PUNCT = {".", "-", "/", ",", "–", "—", "(", ")", "+", "*", "#", "_"}
_SEP_WORDS = {"ponto", "traco", "hifen", "barra", "dash", "hyphen", "tracinho", "mais", "plus"}


def classify(
    digits: str, cue: str | None, *, region: str | None = None, unit_after: bool = False
) -> str | None:
    """The kind of a run of ``digits`` given the nearest ``cue`` (a kind, ``"neg"`` or None) and whether a
    unit follows it; None: not personal. ``region``: ISO 3166 default region for phone numbers."""
    return _decide(digits, cue, checksum_kinds(digits, region), unit_after)


def _decide(digits: str, cue: str | None, valid: list[str], unit_after: bool) -> str | None:
    """:func:`classify` given the kinds whose checksum ``digits`` pass (``valid``, strongest first)."""
    if cue in CONTEXT_LENGTHS:
        if cue in valid:
            return cue
        low, high = CONTEXT_LENGTHS[cue]
        if low <= len(digits) <= high and not unit_after and not (valid and valid[0] in ("cpf", "cnpj")):
            return cue
    if cue == "neg" or unit_after:
        valid = [k for k in valid if k in ("cpf", "cnpj")]  # two check digits; Luhn and phone rules are weak
    return valid[0] if valid else None


@dataclass
class _Group:
    digits: str
    first: int
    last: int
    boundary: bool = False  # a separator (or a break between written digit groups) comes before it


def _shape(groups: list[_Group]) -> list[int]:
    """Digits between separators, e.g. [3, 3, 3, 2] for "123.456.789-09"."""
    shape: list[int] = []
    for k, g in enumerate(groups):
        if k == 0 or g.boundary:
            shape.append(0)
        shape[-1] += len(g.digits)
    return shape


def _runs(tokens: list[Token], used: set[int]) -> list[list[_Group]]:
    """Runs of number groups joined only by separators (punctuation, "ponto", "traço", segment ends)."""
    runs: list[list[_Group]] = []
    current: list[_Group] = []
    gap = 0
    for k, t in enumerate(tokens):
        if k in used:
            t_kind = "stop"
        elif t.kind == "num":
            t_kind = "num"
        elif t.kind == "punct" and t.text in _SEP_PUNCT or t.kind == "word" and t.norm in _SEP_WORDS:
            t_kind = "sep"
        else:
            t_kind = "stop"
        if t_kind == "num":
            if current and current[-1].last == k - 1 and t.group >= 0 and tokens[k - 1].group == t.group:
                current[-1].digits += t.digits or ""
                current[-1].last = k
            else:
                written = t.text.isdigit() and bool(current) and tokens[current[-1].last].text.isdigit()
                current.append(_Group(t.digits or "", k, k, boundary=bool(gap) or written))
            gap = 0
        elif t_kind == "sep" and current and gap < 2:
            gap += 1
        else:
            if current:
                runs.append(current)
            current, gap = [], 0
    if current:
        runs.append(current)
    return runs


def find_numbers(
    tokens: list[Token], used: set[int], talk: Conversation, region: str | None
) -> list[Finding]:
    """Findings of kind card, CPF, CNPJ or phone in a turn's ``tokens`` (numbers marked by
    :func:`~perftel.privacy.numbers.mark_numbers`), skipping token indices in ``used`` (e-mail
    addresses); ``talk`` gives the context before the turn; ``region`` as in :func:`classify`. In order.
    """
    out: list[Finding] = []
    for run in _runs(tokens, used):
        cue = number_context(tokens, run[0].first, run[-1].last, talk)
        i = 0
        while i < len(run):
            taken = False
            for j in range(len(run) - 1, i - 1, -1):
                digits = "".join(g.digits for g in run[i : j + 1])
                if len(digits) < MIN_CONTEXT_DIGITS:
                    break
                if len(digits) > MAX_DIGITS:
                    continue
                valid = checksum_kinds(digits, region)
                kind = _decide(digits, cue, valid, followed_by_unit(tokens, run[j].last))
                if kind == "cpf" and cue != "cpf" and _shape(run[i : j + 1]) in PHONE_SHAPES:
                    kind = "phone" if "phone" in valid else kind
                if kind:
                    by = "checksum" if kind in valid else "context"
                    first = run[i].first
                    if first > 0 and tokens[first - 1].text in ("(", "+"):
                        first -= 1
                    out.append(Finding(kind, token_spans(tokens, first, run[j].last), by, digits))
                    i, taken = j + 1, True
                    break
            if not taken:
                i += 1
    return out
