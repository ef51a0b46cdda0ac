"""Find personal data in a transcript: payment cards, CPF, CNPJ, phone numbers and e-mail addresses.

Detection runs per speaker turn: a speaker's segments that follow each other (another speaker's short
"uhum" in between does not break a turn; a pause over :data:`TURN_GAP_SECONDS` does) are read as one text,
so digits split over two segments or words are one number. Spoken numbers become digits first
(:mod:`perftel.privacy.numbers`). A run of digits may hold punctuation ("123.456.789-09"), spoken
separators ("ponto", "traço", "barra", "dash") and segment boundaries between its groups.

Each run of digits is decided in this order (rules from the issue, "Personal data stays out"):

1. **Context** — the nearest cue word before the number in the turn (else in the other speaker's last
   words, e.g. the agent's "qual o seu CPF?"; else just after it): "cartão", "card number", "CPF",
   "CNPJ", "meu telefone", "e-mail", … A positive cue makes a run of ≥ :data:`MIN_CONTEXT_DIGITS` digits
   of a plausible length that kind even when its checksum fails (Whisper drops or garbles digits:
   a 16-digit card came back as 15 digits). A negative cue ("pedido", "protocolo", "order", …) and a
   unit just after the number ("reais", "horas") keep a number that only a weak check would call
   personal.
2. **Checksums** — card: 13–19 digits, Luhn-valid (``stdnum.luhn``, ISO/IEC 7812), starting with a
   payment-network digit 2–6; CPF: 11 digits, ``stdnum.br.cpf``; CNPJ: 14 digits, ``stdnum.br.cnpj``;
   phone: ``phonenumbers.is_valid_number`` with the company's country as the default region.
3. A number with neither stays (order and protocol numbers, prices, times).

A run too long for one value is searched for the longest valid pieces, left to right.
E-mail addresses are found written ("joao.silva@exemplo.com") or spoken ("joao ponto silva arroba
exemplo ponto com", "john dot smith at example dot com").

:func:`find_personal_data` returns :class:`Finding` objects that point into the segments' texts; the
values themselves never leave this module except as spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from perftel.privacy.numbers import Token, mark_numbers, tokenize

KINDS = ("card", "cpf", "cnpj", "phone", "email")
TURN_GAP_SECONDS = 10.0
PROMPT_SECONDS = 20.0  # another speaker's words this recent can give the context (a question)
MIN_CONTEXT_DIGITS = 6
#: digits a value of each kind may have after transcription garbled it (context only)
CONTEXT_LENGTHS = {
    "card": (MIN_CONTEXT_DIGITS, 22),
    "cpf": (MIN_CONTEXT_DIGITS, 14),
    "cnpj": (MIN_CONTEXT_DIGITS, 17),
    "phone": (MIN_CONTEXT_DIGITS, 15),
}
_BACK_WORDS = 12
_FORWARD_WORDS = 6

# cue phrases (folded words) → kind; "neg" marks numbers that are not personal
_CUES: dict[str, list[str]] = {
    "card": [
        "cartao",
        "card",
        "credito",
        "debito",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "elo",
        "hipercard",
        "cvv",
        "pan",
    ],
    "cpf": ["cpf", "c p f", "ce pe efe", "cadastro de pessoa fisica", "social security", "ssn"],
    "cnpj": ["cnpj", "c n p j", "cnp"],
    "phone": [
        "telefone",
        "celular",
        "fone",
        "whatsapp",
        "zap",
        "ddd",
        "phone",
        "mobile",
        "cell",
        "cellphone",
        "meu numero",
        "my number",
        "ligar no",
        "call me",
        "contato",
        "telephone",
        "numero para contato",
    ],
    "email": ["email", "e mail", "mail", "correio eletronico", "endereco eletronico"],
    "neg": [
        "pedido",
        "protocolo",
        "order",
        "ordem",
        "ticket",
        "chamado",
        "referencia",
        "reference",
        "nota fiscal",
        "invoice",
        "fatura",
        "boleto",
        "barcode",
        "barras",
        "rastreio",
        "rastreamento",
        "tracking",
        "codigo",
        "code",
        "matricula",
        "contrato",
        "contract",
        "account",
        "conta",
        "cep",
        "zip",
        "serie",
        "serial",
        "modelo",
        "model",
        "reais",
        "real",
        "dolares",
        "dollars",
        "euros",
        "preco",
        "price",
        "valor",
        "custa",
        "costs",
        "total",
        "horas",
        "hours",
        "minutos",
        "minutes",
        "dia",
        "day",
        "ano",
        "year",
    ],
}
_CUE_TABLE = sorted(
    ((tuple(p.split()), kind) for kind, phrases in _CUES.items() for p in phrases),
    key=lambda item: -len(item[0]),
)
_UNITS_AFTER = {
    "reais",
    "real",
    "centavos",
    "dolares",
    "dollars",
    "bucks",
    "cents",
    "euros",
    "horas",
    "hours",
    "minutos",
    "minutes",
    "segundos",
    "seconds",
    "dias",
    "days",
    "anos",
    "years",
    "por",
    "percent",
    "%",
    "h",
    "am",
    "pm",
    "km",
    "kg",
    "metros",
    "parcelas",
    "vezes",
}
_SEP_PUNCT = {".", "-", "/", ",", "–", "—", "(", ")", "+", "*", "#", "_"}
_SEP_WORDS = {"ponto", "traco", "hifen", "barra", "dash", "hyphen", "tracinho", "mais", "plus"}
_AT_STRONG = {"@", "arroba"}
_DOT = {".", "ponto", "dot"}
_LOCAL_SEP = _DOT | {"_", "-", "underline", "underscore", "traco", "hifen", "dash", "hyphen"}
_TLDS = {
    "com",
    "br",
    "net",
    "org",
    "io",
    "gov",
    "edu",
    "co",
    "uk",
    "pt",
    "me",
    "info",
    "biz",
    "app",
    "dev",
    "us",
    "ai",
    "mil",
    "online",
    "tech",
    "email",
    "de",
    "es",
    "fr",
    "it",
    "mx",
    "ar",
}


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


def find_personal_data(
    utterances: Sequence[Utterance],
    *,
    language: str | None = None,
    region: str | None = None,
    kinds: Iterable[str] = KINDS,
) -> list[Finding]:
    """Every personal value of ``kinds`` in ``utterances`` (a transcript's segments, in any order).

    ``language``: ``"pt"``/``"en"`` (else both languages' number words are read); ``region``: ISO 3166
    default region for phone numbers (None: only numbers with a country code are checked as phones,
    context still applies). Returns findings in text order; spans never overlap.
    """
    wanted = set(kinds)
    order = sorted(range(len(utterances)), key=lambda i: (utterances[i].start, i))
    findings: list[Finding] = []
    talk = _Conversation(utterances, order)
    for turn in _turns(utterances, order):
        tokens: list[Token] = []
        for index in turn:
            tokens.extend(tokenize(utterances[index].text, index))
        mark_numbers(tokens, language)
        used: set[int] = set()
        if "email" in wanted:
            for first, last in _emails(tokens, language):
                first = _after_email_cue(tokens, first)
                findings.append(Finding("email", _spans(tokens, first, last), "pattern"))
                used.update(range(first, last + 1))
        for finding in _numbers(tokens, used, talk, language, region):
            if finding.kind in wanted:
                findings.append(finding)
    findings.sort(key=lambda f: (f.spans[0].seg, f.spans[0].start))
    return findings


# -- turns and context ---------------------------------------------------------------------------
def _turns(utterances: Sequence[Utterance], order: list[int]) -> list[list[int]]:
    """Segment indices grouped in speaker turns (a speaker's consecutive segments, close in time)."""
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


class _Conversation:
    """Folded words of the conversation before a point: a turn's own words and the other speakers'
    recent segments (a question like "qual o seu CPF?"), in the order they were said."""

    def __init__(self, utterances: Sequence[Utterance], order: list[int]) -> None:
        self.utterances = utterances
        self.order = order
        self._words: dict[int, list[str]] = {}

    def words(self, index: int) -> list[str]:
        if index not in self._words:
            self._words[index] = [t.norm for t in tokenize(self.utterances[index].text) if t.kind == "word"]
        return self._words[index]

    def before(self, tokens: list[Token], first: int) -> list[str]:
        """Words said before token ``first`` of a turn (``tokens``), oldest first."""
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


_CNPJ_HEARD = re.compile(r"c[nm][pbdtk][a-z]?")  # Whisper's "CNP", "CNPK", "CMTJ", "CMDK" for CNPJ


def _cue_at(words: list[str], end: int) -> str | None:
    """The cue kind of a phrase ending at ``words[end]``, if any."""
    if 0 <= end < len(words) and _CNPJ_HEARD.fullmatch(words[end]):
        return "cnpj"
    for phrase, kind in _CUE_TABLE:
        n = len(phrase)
        if end - n + 1 >= 0 and tuple(words[end - n + 1 : end + 1]) == phrase:
            return kind
    return None


def _context(tokens: list[Token], first: int, last: int, talk: _Conversation) -> str | None:
    """The nearest cue before the run (in the conversation), else just after it: a kind, "neg" or None."""
    before = talk.before(tokens, first)
    for k in range(len(before) - 1, max(-1, len(before) - 1 - _BACK_WORDS), -1):
        cue = _cue_at(before, k)
        if cue:
            return cue
    after = [t.norm for t in tokens[last + 1 :] if t.kind == "word"][:_FORWARD_WORDS]
    for k in range(len(after)):
        cue = _cue_at(after, k)
        if cue and cue != "neg":
            return cue
    return None


def _unit_after(tokens: list[Token], last: int) -> bool:
    """A price or time: the run is followed by a unit ("reais", "horas", "%")."""
    for t in tokens[last + 1 : last + 3]:
        if t.norm in _UNITS_AFTER:
            return True
        if t.kind == "word":
            return False
    return False


# -- numbers -------------------------------------------------------------------------------------
def _phone_valid(digits: str, region: str | None) -> bool:
    import phonenumbers

    if not 8 <= len(digits) <= 15:
        return False
    attempts = [(digits, region)] if region else []
    attempts.append(("+" + digits, None))
    for text, default in attempts:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(text, default)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def checksum_kinds(digits: str, region: str | None = None) -> list[str]:
    """The kinds whose check ``digits`` passes, strongest first (CNPJ, CPF, card, phone)."""
    from stdnum import luhn
    from stdnum.br import cnpj, cpf

    kinds = []
    if len(digits) == 14 and cnpj.is_valid(digits):
        kinds.append("cnpj")
    if len(digits) == 11 and cpf.is_valid(digits):
        kinds.append("cpf")
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits):
        kinds.append("card")
    if _phone_valid(digits, region):
        kinds.append("phone")
    return kinds


def classify(
    digits: str, cue: str | None, *, region: str | None = None, unit_after: bool = False
) -> str | None:
    """The kind of a run of ``digits`` given the nearest ``cue`` (a kind, ``"neg"`` or None); None: not personal."""
    valid = checksum_kinds(digits, region)
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


_PHONE_SHAPES = ([2, 5, 4], [2, 4, 4], [2, 9], [2, 8], [1, 3, 3, 4], [3, 3, 4], [1, 2, 5, 4], [2, 2, 5, 4])


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


def _numbers(
    tokens: list[Token], used: set[int], talk: _Conversation, language: str | None, region: str | None
) -> list[Finding]:
    out: list[Finding] = []
    for run in _runs(tokens, used):
        cue = _context(tokens, run[0].first, run[-1].last, talk)
        i = 0
        while i < len(run):
            taken = False
            for j in range(len(run) - 1, i - 1, -1):
                digits = "".join(g.digits for g in run[i : j + 1])
                if len(digits) < MIN_CONTEXT_DIGITS:
                    break
                if len(digits) > 22:
                    continue
                kind = classify(digits, cue, region=region, unit_after=_unit_after(tokens, run[j].last))
                if kind == "cpf" and cue != "cpf" and _shape(run[i : j + 1]) in _PHONE_SHAPES:
                    kind = "phone" if "phone" in checksum_kinds(digits, region) else kind
                if kind:
                    by = "checksum" if kind in checksum_kinds(digits, region) else "context"
                    first = run[i].first
                    if first > 0 and tokens[first - 1].text in ("(", "+"):
                        first -= 1
                    out.append(Finding(kind, _spans(tokens, first, run[j].last), by, digits))
                    i, taken = j + 1, True
                    break
            if not taken:
                i += 1
    return out


def _spans(tokens: list[Token], first: int, last: int) -> list[Span]:
    spans: dict[int, Span] = {}
    for t in tokens[first : last + 1]:
        s = spans.get(t.seg)
        spans[t.seg] = (
            Span(t.seg, t.start, t.end)
            if s is None
            else Span(t.seg, min(s.start, t.start), max(s.end, t.end))
        )
    return list(spans.values())


# -- e-mail --------------------------------------------------------------------------------------
def _is_label(t: Token) -> bool:
    return t.kind in ("word", "num") and t.norm not in _DOT


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
        labels = [tokens[end].norm]
        while end + 2 < len(tokens) and _dot_link(tokens, end + 1) and _is_label(tokens[end + 2]):
            end += 2
            labels.append(tokens[end].norm)
        while len(labels) > 1 and labels[-1] not in _TLDS:  # "exemplo.com. My card…": back to the domain
            labels.pop()
            end -= 2
        if not strong and (len(labels) < 2 or labels[-1] not in _TLDS):
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
            elif tokens[start].kind == "num" and prev.kind == "word" and _cue_at([prev.norm], 0) is None:
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
        end = best = k
        while end + 2 < len(tokens) and _dot_link(tokens, end + 1) and _is_label(tokens[end + 2]):
            end += 2
            if tokens[end].norm in _TLDS:
                best = end
        end = best
        if end > k and not taken & set(range(k, end + 1)):
            out.append((k, end))
            k = end + 1
        else:
            k += 1
    return out


_CUE_FILLERS = {"is", "e", "eh", "address", "endereco", "eletronico", ":", "-", ","}


def _after_email_cue(tokens: list[Token], first: int, window: int = 8) -> int:
    """Where an address said after "my email is" really starts: everything between the cue and the
    address found belongs to it (Whisper turns "john dot smith at …" into "dot dot smith and …")."""
    for c in range(first - 1, max(-1, first - 1 - window), -1):
        if tokens[c].norm in ("email", "mail"):
            start = c + 1
            while start < first and tokens[start].norm in _CUE_FILLERS:
                start += 1
            return min(start, first)
    return first


def _dot_link(tokens: list[Token], i: int) -> bool:
    """Token ``i`` is the dot of an address: "ponto"/"dot", or a "." with no space on either side."""
    t = tokens[i]
    if t.norm not in _DOT:
        return False
    return t.kind != "punct" or (
        0 < i < len(tokens) - 1 and _touching(tokens[i - 1], t) and _touching(t, tokens[i + 1])
    )


def _touching(a: Token, b: Token) -> bool:
    return a.seg == b.seg and a.end == b.start


def _email_cue(tokens: list[Token], at: int, window: int = 8) -> bool:
    words = [t.norm for t in tokens[max(0, at - window) : at] if t.kind == "word"]
    return any(_cue_at(words, k) == "email" for k in range(len(words)))
