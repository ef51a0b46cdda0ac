"""Tokens of a transcript and spoken numbers as digits, Portuguese and English.

:func:`tokenize` splits a text into word, digit and punctuation tokens that remember their character
offsets, so whatever is found can be cut out of the original text. :func:`mark_numbers` gives every
token that is (part of) a number its digits:

* digits as written: ``"4512"`` → ``"4512"``;
* number words, through ``text2num``'s :func:`text_to_num.alpha2digit` for the compound forms
  ("cento e vinte e três" → ``"123"``, "forty five" → ``"45"``);
* what ``alpha2digit`` leaves out, filled here: single digit words read one by one are digits of their
  own (so a run can be split later), "meia" (Brazilian six, in phone numbers), English "oh"/"o" for zero
  and "double"/"triple" next to digits, and Whisper's "não me" for a "nove" said between digits.

Standard library plus ``text2num``; no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"\d+|[^\W\d_]+|[^\w\s]|_")

#: single digit words of both languages (accents stripped, lower case)
DIGIT_WORDS = {
    "zero": "0",
    "um": "1",
    "uma": "1",
    "dois": "2",
    "duas": "2",
    "tres": "3",
    "quatro": "4",
    "cinco": "5",
    "seis": "6",
    "meia": "6",
    "sete": "7",
    "oito": "8",
    "nove": "9",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "oh": "0",
}
#: words that make compound numbers (handed to text2num)
COMPOUND_WORDS = {
    "pt": {
        "dez",
        "onze",
        "doze",
        "treze",
        "catorze",
        "quatorze",
        "quinze",
        "dezesseis",
        "dezasseis",
        "dezessete",
        "dezassete",
        "dezoito",
        "dezenove",
        "dezanove",
        "vinte",
        "trinta",
        "quarenta",
        "cinquenta",
        "sessenta",
        "setenta",
        "oitenta",
        "noventa",
        "cem",
        "cento",
        "duzentos",
        "duzentas",
        "trezentos",
        "trezentas",
        "quatrocentos",
        "quatrocentas",
        "quinhentos",
        "quinhentas",
        "seiscentos",
        "seiscentas",
        "setecentos",
        "setecentas",
        "oitocentos",
        "oitocentas",
        "novecentos",
        "novecentas",
        "mil",
    },
    "en": {
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
    },
}
_CONNECTORS = {"pt": {"e"}, "en": {"and"}}
_MULTIPLIERS = {"mil": "pt", "thousand": "en", "hundred": "en"}
_PT_WORDS = ["zero", "um", "dois", "tres", "quatro", "cinco", "seis", "sete", "oito", "nove"]
_EN_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
# digit words that are also ordinary words: digits only next to other number tokens
_WEAK = {"um", "uma", "one", "oh", "meia"}
_REPEAT = {"double": 2, "triple": 3}


def fold(text: str) -> str:
    """Lower case without accents: ``"Cartão"`` → ``"cartao"``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Token:
    """One token of a segment's text.

    ``seg`` is the segment's index in the transcript, ``start``/``end`` character offsets in that
    segment's text, ``norm`` the folded text, ``kind`` ``"num"`` (digits, or a number word),
    ``"word"`` or ``"punct"``. ``digits`` is set on number tokens: the digits this token adds to a
    number (``""`` for a token that only continues a compound number, like the "e" of "vinte e um").
    """

    text: str
    norm: str
    kind: str
    seg: int
    start: int
    end: int
    digits: str | None = None
    group: int = -1  # tokens of one compound number share a group id (their digits are on the first)


def tokenize(text: str, seg: int = 0) -> list[Token]:
    """Tokens of ``text`` (whitespace dropped), each with its character offsets."""
    out = []
    for m in _TOKEN.finditer(text):
        piece = m.group()
        norm = fold(piece)
        kind = "num" if piece.isdigit() else "word" if piece[0].isalpha() else "punct"
        out.append(Token(piece, norm, kind, seg, m.start(), m.end(), digits=piece if kind == "num" else None))
    for k, t in enumerate(out):  # digits glued to letters ("a1b2c3", "x123456") are a code, not a number
        if t.kind == "num" and any(
            0 <= j < len(out) and out[j].kind == "word" and (out[j].end == t.start or out[j].start == t.end)
            for j in (k - 1, k + 1)
        ):
            t.kind, t.digits = "word", None
    return out


def _languages(language: str | None) -> tuple[str, ...]:
    code = (language or "").split("-")[0].lower()
    return (code,) if code in COMPOUND_WORDS else ("pt", "en")


def mark_numbers(tokens: list[Token], language: str | None = None) -> list[Token]:
    """Give number words their digits, in place; returns ``tokens``.

    ``language`` (``"pt"``, ``"en"``; anything else or None: both) decides which words are numbers.
    """
    langs = _languages(language)
    compound = set().union(*(COMPOUND_WORDS[code] for code in langs))
    connectors = set().union(*(_CONNECTORS[code] for code in langs))
    for k, t in enumerate(tokens[:-1]):  # Whisper's "5 mil quinhentos…": the digit joins the words
        nxt = tokens[k + 1]
        if t.kind == "num" and len(t.text) == 1 and nxt.norm in _MULTIPLIERS and nxt.seg == t.seg:
            t.kind, t.digits = "word", None
            t.norm = (_PT_WORDS if _MULTIPLIERS[nxt.norm] == "pt" else _EN_WORDS)[int(t.text)]
    if "pt" in langs:
        _split_hundreds(tokens)
    group = 0
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.kind != "word" or not (tok.norm in DIGIT_WORDS or tok.norm in compound):
            i += 1
            continue
        # a run of number words (connectors only between two number words)
        j = i
        while j + 1 < n:
            nxt = tokens[j + 1]
            if nxt.kind == "glue" or nxt.kind == "word" and (nxt.norm in DIGIT_WORDS or nxt.norm in compound):
                j += 1
            elif (
                nxt.text == "-"
                and j + 2 < n
                and tokens[j + 2].norm in DIGIT_WORDS
                and tokens[j].norm in compound
            ):
                j += 2  # "sixty-four"
            elif (
                nxt.kind == "word"
                and nxt.norm in connectors
                and j + 2 < n
                and tokens[j + 2].kind == "word"
                and tokens[j + 2].norm in compound | set(DIGIT_WORDS)
                and tokens[j].norm in compound
            ):
                j += 2
            else:
                break
        run = tokens[i : j + 1]
        if any(t.norm in compound for t in run):
            _compound(run, langs, group)
            group += 1
        else:
            for t in run:
                t.kind, t.digits, t.group = "num", DIGIT_WORDS[t.norm], group
                group += 1
        i = j + 1
    _weak_words(tokens)
    _fill_gaps(tokens, langs)
    return tokens


_HUNDREDS = {
    "dos": "duzentos",
    "dois": "duzentos",
    "duas": "duzentas",
    "tres": "trezentos",
    "quatro": "quatrocentos",
    "cinco": "quinhentos",
    "seis": "seiscentos",
    "sete": "setecentos",
    "oito": "oitocentos",
    "nove": "novecentos",
}


def _split_hundreds(tokens: list[Token]) -> None:
    """Whisper splits Portuguese hundreds: "dos centos", "quatro centos" (= duzentos, quatrocentos);
    a lone "centos" is "cento". The digit word takes the hundreds word, "centos" only glues."""
    for k, t in enumerate(tokens):
        if t.kind != "word" or t.norm not in ("centos", "centas"):
            continue
        prev = tokens[k - 1] if k > 0 else None
        if prev is not None and prev.kind == "word" and prev.norm in _HUNDREDS and prev.seg == t.seg:
            prev.norm = t.norm = _HUNDREDS[prev.norm]
            t.kind = "glue"  # part of the run, left out of the phrase
        else:
            t.norm = "cento"


def _compound(run: list[Token], langs: tuple[str, ...], group: int) -> None:
    from text_to_num import alpha2digit

    phrase = " ".join(t.norm for t in run if t.text != "-" and t.kind != "glue")
    lang = (
        "en"
        if langs == ("en",) or (len(langs) > 1 and any(t.norm in COMPOUND_WORDS["en"] for t in run))
        else "pt"
    )
    digits = "".join(re.findall(r"\d", alpha2digit(phrase, lang, threshold=0)))
    if not digits:
        return
    for k, t in enumerate(run):
        t.kind, t.group = "num", group
        t.digits = digits if k == 0 else ""


def _is_num(tokens: list[Token], k: int, *, step: int = 0) -> bool:
    """Token ``k`` is a number; with ``step`` (±1), punctuation in between is skipped in that direction."""
    while step and 0 <= k < len(tokens) and tokens[k].kind == "punct":
        k += step
    return 0 <= k < len(tokens) and tokens[k].kind == "num"


def _weak_words(tokens: list[Token]) -> None:
    """A lone "um"/"one"/"meia"/"oh" is a word, not a digit (it stays one only beside another number)."""
    for k, t in enumerate(tokens):
        if (
            t.kind == "num"
            and t.norm in _WEAK
            and not (_is_num(tokens, k - 1, step=-1) or _is_num(tokens, k + 1, step=1))
        ):
            t.kind, t.digits = "word", None


def _fill_gaps(tokens: list[Token], langs: tuple[str, ...]) -> None:
    """English "o"/"double"/"triple", Whisper's "não me" (nove), between or beside digits."""
    for k, t in enumerate(tokens):
        if t.kind != "word":
            continue
        if "en" in langs and t.norm == "o" and _is_num(tokens, k - 1) and _is_num(tokens, k + 1):
            t.kind, t.digits = "num", "0"
        elif t.norm in _REPEAT and _is_num(tokens, k + 1) and tokens[k + 1].digits:
            nxt = tokens[k + 1]  # "double seven": the next token's first digit, once more
            t.kind, t.digits = "num", nxt.digits[0] * (_REPEAT[t.norm] - 1)
        elif (
            "pt" in langs
            and t.norm == "nao"
            and k + 1 < len(tokens)
            and tokens[k + 1].norm == "me"
            and _is_num(tokens, k - 1, step=-1)
            and _is_num(tokens, k + 2, step=1)
        ):
            t.kind, t.digits = "num", "9"
            tokens[k + 1].kind, tokens[k + 1].digits = "num", ""
