"""Context cues: the words around a number that say what it is ("cartão", "CPF", "meu telefone",
"e-mail") or that it is not personal ("pedido", "protocolo", "reais", "horas").

Phrases are folded words (lower case, accents stripped, see :func:`perftel.privacy.numbers.fold`). The
nearest cue before a number — in its turn, else in the other speaker's recent words, e.g. the agent's
"qual o seu CPF?" — decides, else the first positive cue just after it (:func:`number_context`). A unit
right after a number (:func:`followed_by_unit`) marks a price or a time.
"""

from __future__ import annotations

import re

from perftel.privacy.numbers import Token
from perftel.privacy.speaker_turns import Conversation

#: how many words before a number (in the conversation) and after it (in the turn) are searched for a cue
BACK_WORDS = 12
FORWARD_WORDS = 6


def phrases(text: str) -> list[str]:
    """The comma-separated phrases of ``text``, stripped, in order (how the word lists here are written)."""
    return [phrase.strip() for phrase in text.split(",")]


#: cue phrases → the kind they announce; "neg" marks numbers that are not personal
CUES: dict[str, list[str]] = {
    "card": phrases(
        "cartao, card, credito, debito, credit, debit, visa, mastercard, amex, elo, hipercard, cvv, pan"
    ),
    "cpf": phrases("cpf, c p f, ce pe efe, cadastro de pessoa fisica, social security, ssn"),
    "cnpj": phrases("cnpj, c n p j, cnp"),
    "phone": phrases(
        "telefone, celular, fone, whatsapp, zap, ddd, phone, mobile, cell, cellphone, meu numero, my number, "
        "ligar no, call me, contato, telephone, numero para contato"
    ),
    "email": phrases("email, e mail, mail, correio eletronico, endereco eletronico"),
    "neg": phrases(
        "pedido, protocolo, order, ordem, ticket, chamado, referencia, reference, nota fiscal, invoice, "
        "fatura, boleto, barcode, barras, rastreio, rastreamento, tracking, codigo, code, matricula, "
        "contrato, contract, account, conta, cep, zip, serie, serial, modelo, model, reais, real, dolares, "
        "dollars, euros, preco, price, valor, custa, costs, total, horas, hours, minutos, minutes, dia, day, "
        "ano, year"
    ),
}
_CUE_TABLE = sorted(
    ((tuple(p.split()), kind) for kind, listed in CUES.items() for p in listed),
    key=lambda item: -len(item[0]),
)
#: words right after a number that make it a price, a time, a share or a count
UNITS_AFTER = set(
    phrases(
        "reais, real, centavos, dolares, dollars, bucks, cents, euros, horas, hours, minutos, minutes, "
        "segundos, seconds, dias, days, anos, years, por, percent, %, h, am, pm, km, kg, metros, parcelas, "
        "vezes"
    )
)
_CNPJ_HEARD = re.compile(r"c[nm][pbdtk][a-z]?")  # Whisper's "CNP", "CNPK", "CMTJ", "CMDK" for CNPJ


def cue_at(words: list[str], end: int) -> str | None:
    """The cue kind (a key of :data:`CUES`) of a phrase ending at ``words[end]``, the longest first; None."""
    if 0 <= end < len(words) and _CNPJ_HEARD.fullmatch(words[end]):
        return "cnpj"
    for phrase, kind in _CUE_TABLE:
        n = len(phrase)
        if end - n + 1 >= 0 and tuple(words[end - n + 1 : end + 1]) == phrase:
            return kind
    return None


def number_context(tokens: list[Token], first: int, last: int, talk: Conversation) -> str | None:
    """The cue of a number at tokens ``first`` … ``last`` of a turn: the nearest cue in the
    :data:`BACK_WORDS` words said before it (in the conversation ``talk``), else the first positive cue in
    the :data:`FORWARD_WORDS` words after it. A kind, ``"neg"`` or None."""
    before = talk.before(tokens, first)
    for k in range(len(before) - 1, max(-1, len(before) - 1 - BACK_WORDS), -1):
        cue = cue_at(before, k)
        if cue:
            return cue
    after = [t.norm for t in tokens[last + 1 :] if t.kind == "word"][:FORWARD_WORDS]
    for k in range(len(after)):
        cue = cue_at(after, k)
        if cue and cue != "neg":
            return cue
    return None


def followed_by_unit(tokens: list[Token], last: int) -> bool:
    """True when token ``last`` ends a price or time: one of the next two tokens is a unit of
    :data:`UNITS_AFTER` ("reais", "horas", "%"), with no other word before it."""
    for t in tokens[last + 1 : last + 3]:
        if t.norm in UNITS_AFTER:
            return True
        if t.kind == "word":
            return False
    return False
