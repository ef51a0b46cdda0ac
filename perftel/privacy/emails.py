"""E-mail addresses in a speaker turn, written ("joao.silva@exemplo.com") or spoken ("joao ponto silva
arroba exemplo ponto com", "john dot smith at example dot com").

An address is a local part, "@"/"arroba" (in English also "at", when the domain ends in a known
top-level domain), and a domain of labels joined by dots. After an e-mail cue ("my email is") a dotted
name ending in a top-level domain is an address whose "@" Whisper lost, and the words between the cue and
the address belong to it.
"""

from __future__ import annotations

from perftel.privacy.cues import cue_at, phrases
from perftel.privacy.numbers import Token

_AT_STRONG = {"@", "arroba"}
_DOT = {".", "ponto", "dot"}
_LOCAL_SEP = _DOT | {"_", "-", "underline", "underscore", "traco", "hifen", "dash", "hyphen"}
#: top-level domains an address may end in (the last label of a spoken domain must be one)
TLDS = set(
    phrases(
        "com, br, net, org, io, gov, edu, co, uk, pt, me, info, biz, app, dev, us, ai, mil, online, tech, "
        "email, de, es, fr, it, mx, ar"
    )
)
_CUE_FILLERS = {"is", "e", "eh", "address", "endereco", "eletronico", ":", "-", ","}
_CUE_WINDOW = 8  # tokens before an address searched for an e-mail cue


def find_emails(tokens: list[Token], language: str | None) -> list[tuple[int, int]]:
    """Token ranges ``(first, last)`` (inclusive) of the e-mail addresses in a turn's ``tokens``, each
    starting after a preceding "my email is". ``language``: "en…" or None also reads "at" for "@"."""
    return [(_after_email_cue(tokens, first), last) for first, last in _emails(tokens, language)]


def _is_label(t: Token) -> bool:
    return t.kind in ("word", "num") and t.norm not in _DOT


def _touching(a: Token, b: Token) -> bool:
    return a.seg == b.seg and a.end == b.start


def _dot_link(tokens: list[Token], i: int) -> bool:
    """Token ``i`` is the dot of an address: "ponto"/"dot", or a "." with no space on either side."""
    t = tokens[i]
    if t.norm not in _DOT:
        return False
    return t.kind != "punct" or (
        0 < i < len(tokens) - 1 and _touching(tokens[i - 1], t) and _touching(t, tokens[i + 1])
    )


def _email_cue(tokens: list[Token], at: int) -> bool:
    words = [t.norm for t in tokens[max(0, at - _CUE_WINDOW) : at] if t.kind == "word"]
    return any(cue_at(words, k) == "email" for k in range(len(words)))


def _domain_end(tokens: list[Token], end: int) -> int:
    """The last token of a dotted name starting at label ``end``: label (dot label)*."""
    while end + 2 < len(tokens) and _dot_link(tokens, end + 1) and _is_label(tokens[end + 2]):
        end += 2
    return end


def _emails(tokens: list[Token], language: str | None) -> list[tuple[int, int]]:
    """Token ranges (first, last) of e-mail addresses, written or spoken."""
    english = (language or "en").startswith("en") or not language
    found: list[tuple[int, int]] = []
    k = 0
    while k < len(tokens):
        t = tokens[k]
        strong = t.norm in _AT_STRONG
        if not (strong or (english and t.norm == "at")) or k == 0 or not _is_label(tokens[k - 1]):
            k += 1
            continue
        # domain: label (dot label)*
        end = k + 1
        if end >= len(tokens) or not _is_label(tokens[end]):
            k += 1
            continue
        last = _domain_end(tokens, end)
        labels = [tokens[i].norm for i in range(end, last + 1, 2)]
        end = last
        while len(labels) > 1 and labels[-1] not in TLDS:  # "exemplo.com. My card…": back to the domain
            labels.pop()
            end -= 2
        if not strong and (len(labels) < 2 or labels[-1] not in TLDS):
            k += 1
            continue
        if strong and len(labels) < 2 and not _email_cue(tokens, k):
            k += 1
            continue
        # local part: label ((sep) label)* backwards, digits included
        start = k - 1
        while start - 1 >= 0:
            prev = tokens[start - 1]
            if prev.kind == "num" or (_touching(prev, tokens[start]) and _is_label(prev)):
                start -= 1
            elif prev.norm in _LOCAL_SEP and start - 2 >= 0 and _is_label(tokens[start - 2]):
                start -= 2
            elif tokens[start].kind == "num" and prev.kind == "word" and cue_at([prev.norm], 0) is None:
                start -= 1  # "joao um dois três arroba …": the name before spoken digits
                break
            else:
                break
        found.append((start, end))
        k = end + 1
    return found + _addresses_without_at(tokens, found)


def _addresses_without_at(tokens: list[Token], found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """After an e-mail cue, a dotted name ending in a top-level domain is an address whose "@" Whisper
    lost ("my email is maria.souzaatgmail.com")."""
    taken = {k for first, last in found for k in range(first, last + 1)}
    out = []
    k = 0
    while k < len(tokens):
        if k in taken or not _is_label(tokens[k]) or not _email_cue(tokens, k):
            k += 1
            continue
        last = _domain_end(tokens, k)
        end = max((i for i in range(k, last + 1, 2) if i > k and tokens[i].norm in TLDS), default=k)
        if end > k and not taken & set(range(k, end + 1)):
            out.append((k, end))
            k = end + 1
        else:
            k += 1
    return out


def _after_email_cue(tokens: list[Token], first: int) -> int:
    """Where an address said after "my email is" really starts: everything between the cue and the
    address found belongs to it (Whisper turns "john dot smith at …" into "dot dot smith and …")."""
    for c in range(first - 1, max(-1, first - 1 - _CUE_WINDOW), -1):
        if tokens[c].norm in ("email", "mail"):
            start = c + 1
            while start < first and tokens[start].norm in _CUE_FILLERS:
                start += 1
            return min(start, first)
    return first
