"""Find personal data in a transcript: payment cards, CPF, CNPJ, phone numbers and e-mail addresses.

Detection runs per speaker turn (:mod:`perftel.privacy.speaker_turns`): a speaker's segments that follow
each other are read as one text, so digits split over two segments or words are one number. Spoken
numbers become digits first (:mod:`perftel.privacy.numbers`). Then the detectors:

* e-mail addresses, written or spoken (:mod:`perftel.privacy.emails`);
* card, CPF, CNPJ and phone numbers (:mod:`perftel.privacy.digit_runs`): each run of digits is decided by
  its context cue (:mod:`perftel.privacy.cues`, "cartão", "CPF", "meu telefone", or "pedido",
  "protocolo" for numbers that are not personal), else by its checksum
  (:mod:`perftel.privacy.checksums`: Luhn, CPF/CNPJ check digits, phonenumbers), else it stays.

:func:`find_personal_data` returns :class:`Finding` objects (:mod:`perftel.privacy.findings`) that point
into the segments' texts; the values themselves never leave detection except as spans. This module is
the entry point and re-exports the names the detectors define.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from perftel.privacy.checksums import checksum_kinds
from perftel.privacy.digit_runs import CONTEXT_LENGTHS, MIN_CONTEXT_DIGITS, classify, find_numbers
from perftel.privacy.emails import find_emails
from perftel.privacy.findings import KINDS, Finding, Span, Utterance, token_spans
from perftel.privacy.numbers import Token, mark_numbers, tokenize
from perftel.privacy.speaker_turns import PROMPT_SECONDS, TURN_GAP_SECONDS, Conversation, speaker_turns

__all__ = [
    "CONTEXT_LENGTHS",
    "KINDS",
    "MIN_CONTEXT_DIGITS",
    "PROMPT_SECONDS",
    "TURN_GAP_SECONDS",
    "Finding",
    "Span",
    "Utterance",
    "checksum_kinds",
    "classify",
    "find_personal_data",
]


def find_personal_data(
    utterances: Sequence[Utterance],
    *,
    language: str | None = None,
    region: str | None = None,
    kinds: Iterable[str] = KINDS,
) -> list[Finding]:
    """Every personal value of ``kinds`` (a subset of :data:`KINDS`) in ``utterances`` (a transcript's
    segments, in any order; :class:`Finding` spans index into this sequence).

    ``language``: ``"pt"``/``"en"`` (else both languages' number words are read); ``region``: ISO 3166
    default region for phone numbers (None: only numbers with a country code are checked as phones,
    context still applies). Returns findings in text order; spans never overlap. Raises nothing on
    empty input.
    """
    wanted = set(kinds)
    order = sorted(range(len(utterances)), key=lambda i: (utterances[i].start, i))
    findings: list[Finding] = []
    talk = Conversation(utterances, order)
    for turn in speaker_turns(utterances, order):
        tokens: list[Token] = []
        for index in turn:
            tokens.extend(tokenize(utterances[index].text, index))
        mark_numbers(tokens, language)
        used: set[int] = set()
        if "email" in wanted:
            for first, last in find_emails(tokens, language):
                findings.append(Finding("email", token_spans(tokens, first, last), "pattern"))
                used.update(range(first, last + 1))
        findings.extend(f for f in find_numbers(tokens, used, talk, region) if f.kind in wanted)
    findings.sort(key=lambda f: (f.spans[0].seg, f.spans[0].start))
    return findings
