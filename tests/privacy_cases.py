"""A text evaluation set for personal-data detection, generated with its truth (deterministic by seed).

Each :class:`Case` is a short exchange (segments with speakers) in Portuguese or English where a customer
gives personal values in the shapes Whisper writes them: digits (plain, grouped, with separators), number
words (digit by digit, or in two-digit groups), mixed, split over two segments (sometimes with the agent's
"uhum" between), with or without a cue word, and garbled (one digit lost, with a cue). Decoys are numbers
that are not personal: order and protocol numbers, prices, times, and numbers that fail their checksum.

``truth`` lists ``(segment, start, end, kind)`` character spans. Also used by the spoken-call generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stdnum import luhn
from stdnum.br import cnpj, cpf

PT_DIGITS = ["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove"]
EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
PT_TEENS = [
    "dez",
    "onze",
    "doze",
    "treze",
    "catorze",
    "quinze",
    "dezesseis",
    "dezessete",
    "dezoito",
    "dezenove",
]
EN_TEENS = [
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
]
PT_TENS = ["", "", "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "setenta", "oitenta", "noventa"]
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

CUES = {
    "pt": {
        "card": ["o número do cartão é", "meu cartão de crédito é", "o cartão é"],
        "cpf": ["meu CPF é", "o CPF é", "CPF"],
        "cnpj": ["o CNPJ da empresa é", "CNPJ"],
        "phone": ["meu telefone é", "meu celular é", "pode ligar no telefone"],
        "email": ["meu e-mail é", "o email é"],
    },
    "en": {
        "card": ["my card number is", "the credit card is", "card number"],
        "cpf": ["my CPF is", "the CPF is"],
        "cnpj": ["the company CNPJ is", "CNPJ"],
        "phone": ["my phone number is", "you can call me at", "my cell is"],
        "email": ["my email is", "the email address is"],
    },
}
NAMES = [
    "joao",
    "maria",
    "ana",
    "pedro",
    "lucas",
    "julia",
    "john",
    "mary",
    "smith",
    "silva",
    "souza",
    "costa",
]
DOMAINS = [
    ("exemplo", "com"),
    ("gmail", "com"),
    ("empresa", "com", "br"),
    ("example", "org"),
    ("uol", "com", "br"),
]


@dataclass
class Case:
    language: str
    segments: list[tuple[str, str]]  # (text, speaker)
    truth: list[tuple[int, int, int, str]] = field(default_factory=list)
    decoys: list[str] = field(default_factory=list)  # digits of the non-personal numbers in the case
    values: list[tuple[str, str]] = field(default_factory=list)  # (kind, value digits or address)


# -- values --------------------------------------------------------------------------------------
def card_number(rng: random.Random) -> str:
    length = rng.choice([16, 16, 16, 15, 13, 19])
    prefix = {
        16: rng.choice(["4", "51", "52", "55", "6011", "636368"]),
        15: rng.choice(["34", "37"]),
        13: "4",
        19: "4",
    }[length]
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def cpf_number(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(9))
    return body + cpf._calc_check_digits(body)  # stdnum keeps it private


def cnpj_number(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8)) + "0001"
    return body + cnpj.calc_check_digits(body)


def phone_number(rng: random.Random, language: str) -> str:
    if language == "pt":
        ddd = rng.choice(["11", "21", "31", "41", "48", "51", "61", "71", "81", "85"])
        return ddd + "9" + "".join(rng.choice("0123456789") for _ in range(8))
    area = rng.choice(["212", "415", "646", "312", "617"])
    return "1" + area + rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(6))


def email_address(rng: random.Random) -> tuple[str, list[str], tuple[str, ...]]:
    local = rng.sample(NAMES, rng.choice([1, 2]))
    return ".".join(local) + "@" + ".".join(domain := rng.choice(DOMAINS)), local, domain


# -- renderings ----------------------------------------------------------------------------------
def groups_of(kind: str, digits: str) -> list[str]:
    """The usual spoken/written groups of a value."""
    if kind == "cpf":
        return [digits[:3], digits[3:6], digits[6:9], digits[9:]]
    if kind == "cnpj":
        return [digits[:2], digits[2:5], digits[5:8], digits[8:12], digits[12:]]
    if kind == "phone" and len(digits) == 11 and digits[0] != "1":
        return [digits[:2], digits[2:7], digits[7:]]
    if kind == "phone":
        return [digits[0], digits[1:4], digits[4:7], digits[7:]]
    return [digits[i : i + 4] for i in range(0, len(digits), 4)]


def written(kind: str, digits: str, rng: random.Random) -> list[str]:
    """Written forms, one string per group boundary choice (groups joined in one string)."""
    g = groups_of(kind, digits)
    style = rng.choice(["plain", "spaces", "separators"])
    if style == "plain":
        return [digits]
    if style == "spaces":
        return g
    if kind == "cpf":
        return [f"{g[0]}.{g[1]}.{g[2]}-{g[3]}"]
    if kind == "cnpj":
        return [f"{g[0]}.{g[1]}.{g[2]}/{g[3]}-{g[4]}"]
    if kind == "phone" and len(g) == 3:
        return [f"({g[0]}) {g[1]}-{g[2]}"]
    return ["-".join(g)]


def two_digit_words(pair: str, language: str) -> str:
    digits, teens, tens = (
        (PT_DIGITS, PT_TEENS, PT_TENS) if language == "pt" else (EN_DIGITS, EN_TEENS, EN_TENS)
    )
    if pair[0] == "0":
        return f"{digits[0]} {digits[int(pair[1])]}"
    if pair[0] == "1":
        return teens[int(pair[1])]
    if pair[1] == "0":
        return tens[int(pair[0])]
    joiner = " e " if language == "pt" else "-" if rng_hyphen(pair) else " "
    return tens[int(pair[0])] + joiner + digits[int(pair[1])]


def rng_hyphen(pair: str) -> bool:
    return int(pair) % 2 == 0


def spoken_group(group: str, language: str, style: str) -> str:
    words = PT_DIGITS if language == "pt" else EN_DIGITS
    if style == "pairs" and len(group) % 2 == 0:
        return " ".join(two_digit_words(group[i : i + 2], language) for i in range(0, len(group), 2))
    return " ".join(words[int(d)] for d in group)


def spoken(kind: str, digits: str, language: str, rng: random.Random) -> list[str]:
    style = rng.choice(["digits", "digits", "pairs"])
    sep = rng.choice([", ", " ", ", "])
    g = groups_of(kind, digits)
    return [
        spoken_group(x, language, style) + (sep.strip() if i < len(g) - 1 else "") for i, x in enumerate(g)
    ]


def mixed(kind: str, digits: str, language: str, rng: random.Random) -> list[str]:
    g = groups_of(kind, digits)
    return [x if rng.random() < 0.5 else spoken_group(x, language, "digits") for x in g]


def spoken_email(local: list[str], domain: tuple[str, ...], language: str) -> str:
    dot, at = ("ponto", "arroba") if language == "pt" else ("dot", "at")
    return f" {dot} ".join(local) + f" {at} " + f" {dot} ".join(domain)


# -- cases ---------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, language: str) -> None:
        self.case = Case(language, [])
        self.parts: list[str] = []
        self.speaker = "customer"

    def say(self, text: str) -> None:
        self.parts.append(text)

    def value(self, text: str, kind: str) -> None:
        start = len(" ".join([*self.parts, ""])) if self.parts else 0
        self.parts.append(text)
        self.case.truth.append((len(self.case.segments), start, start + len(text), kind))

    def flush(self, speaker: str | None = None) -> None:
        if self.parts:
            self.case.segments.append((" ".join(self.parts), speaker or self.speaker))
        self.parts = []


def value_case(rng: random.Random, language: str, kind: str) -> Case:
    """A customer gives one value of ``kind``."""
    b = _Builder(language)
    agent_q = {"pt": "Pode me informar, por favor?", "en": "Could you tell me that, please?"}[language]
    b.case.segments.append((agent_q, "agent"))
    if kind == "email":
        address, local, domain = email_address(rng)
        b.case.values.append((kind, address))
        b.say(rng.choice(CUES[language]["email"]))
        b.value(address if rng.random() < 0.4 else spoken_email(local, domain, language), kind)
        b.flush()
        return b.case
    digits = {"card": card_number, "cpf": cpf_number, "cnpj": cnpj_number}.get(kind)
    digits = digits(rng) if digits else phone_number(rng, language)
    b.case.values.append((kind, digits))
    form = rng.choice(["written", "spoken", "mixed"])
    garbled = kind != "phone" and rng.random() < 0.15
    cue = garbled or rng.random() < 0.8
    if garbled:  # Whisper lost a digit: only the cue can tell
        cut = rng.randrange(len(digits))
        digits = digits[:cut] + digits[cut + 1 :]
    pieces = {
        "written": lambda: written(kind, digits, rng),
        "spoken": lambda: spoken(kind, digits, language, rng),
        "mixed": lambda: mixed(kind, digits, language, rng),
    }[form]()
    if garbled:
        pieces = [digits] if form == "written" else pieces
    if cue:
        b.say(rng.choice(CUES[language][kind]))
    split = len(pieces) > 1 and rng.random() < 0.35
    if split:
        at = rng.randrange(1, len(pieces))
        b.value(" ".join(pieces[:at]), kind)
        b.flush()
        if rng.random() < 0.5:
            b.case.segments.append(("uhum" if language == "pt" else "uh-huh", "agent"))
        b.value(" ".join(pieces[at:]), kind)
    else:
        b.value(" ".join(pieces), kind)
    b.flush()
    return b.case


def decoy_case(rng: random.Random, language: str) -> Case:
    """Numbers that are not personal."""
    b = _Builder(language)
    pick = rng.choice(["order", "protocol", "price", "time", "bad_cpf", "bad_card", "quantity"])
    if pick == "order":
        number = "".join(rng.choice("0123456789") for _ in range(rng.choice([6, 8, 10, 12])))
        b.say({"pt": "o número do pedido é", "en": "the order number is"}[language])
        b.say(number if rng.random() < 0.5 else spoken_group(number, language, "digits"))
    elif pick == "protocol":
        number = "2026" + "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 12, 16])))
        b.say({"pt": "anota o protocolo", "en": "your ticket reference is"}[language])
        b.say(number)
    elif pick == "price":
        reais, cents = rng.randrange(10, 5000), rng.randrange(0, 100)
        number = f"{reais}{cents:02d}"
        b.say(
            {
                "pt": f"o total ficou R$ {reais:,},{cents:02d}".replace(",", "X")
                .replace(".", ",")
                .replace("X", "."),
                "en": f"the total is ${reais:,}.{cents:02d}",
            }[language]
        )
    elif pick == "time":
        hour, minute = rng.randrange(7, 20), rng.choice([0, 15, 30, 45])
        number = f"{hour}{minute:02d}"
        b.say(
            {
                "pt": f"o técnico chega às {hour}:{minute:02d} no dia 12/05",
                "en": f"the technician arrives at {hour}:{minute:02d} on 05/12",
            }[language]
        )
    elif pick == "bad_cpf":  # eleven digits that fail the CPF check and start like no mobile number
        while True:
            number = (
                rng.choice("12345")
                + rng.choice("12345678")
                + "".join(rng.choice("012345678") for _ in range(9))
            )
            if not cpf.is_valid(number):
                break
        b.say({"pt": "o código de barras termina em", "en": "the barcode ends with"}[language])
        b.say(number)
    elif pick == "bad_card":  # sixteen digits that fail Luhn, no cue
        while True:
            number = "".join(rng.choice("0123456789") for _ in range(16))
            if not luhn.is_valid(number):
                break
        b.say({"pt": "a referência é", "en": "the reference is"}[language])
        b.say(" ".join(number[i : i + 4] for i in range(0, 16, 4)))
    else:
        number = str(rng.randrange(2, 40))
        b.say({"pt": f"quero {number} unidades, obrigado", "en": f"I want {number} units, thanks"}[language])
    b.case.decoys.append(number)
    b.flush()
    return b.case


def text_set(seed: int = 19, per_kind: int = 120, decoys: int = 200) -> list[Case]:
    """``per_kind`` cases per kind and language, plus ``decoys`` decoy cases per language."""
    rng = random.Random(seed)
    cases = []
    for language in ("pt", "en"):
        for kind in ("card", "cpf", "cnpj", "phone", "email"):
            cases.extend(value_case(rng, language, kind) for _ in range(per_kind))
        cases.extend(decoy_case(rng, language) for _ in range(decoys))
    return cases


def score(cases: list[Case], *, region: str = "BR") -> dict[str, dict[str, float]]:
    """Per kind: true positives, false positives, false negatives, recall and precision over ``cases``.

    A finding counts as found when it overlaps a truth span of the same kind; a finding overlapping none
    is a false positive; a truth span no finding of its kind overlaps is a miss.
    """
    from perftel.privacy import KINDS, Utterance, find_personal_data

    tally = {kind: {"tp": 0, "fp": 0, "fn": 0} for kind in KINDS}
    for case in cases:
        utterances = [
            Utterance(text, speaker, 2.0 * i, 2.0 * i + 1.5)
            for i, (text, speaker) in enumerate(case.segments)
        ]
        findings = find_personal_data(utterances, language=case.language, region=region)
        hit: set[int] = set()
        for f in findings:
            matched = [
                k
                for k, (seg, start, end, kind) in enumerate(case.truth)
                if kind == f.kind and any(s.seg == seg and s.start < end and s.end > start for s in f.spans)
            ]
            if matched:
                hit.update(matched)
            else:
                tally[f.kind]["fp"] += 1
        # a value split over segments has one truth span per piece: count it once
        values: dict[str, list[int]] = {}
        for k, (_seg, _, _, kind) in enumerate(case.truth):
            values.setdefault(kind, []).append(k)
        for kind, indices in values.items():
            if any(k in hit for k in indices):
                tally[kind]["tp"] += 1
            else:
                tally[kind]["fn"] += 1
    for row in tally.values():
        row["recall"] = row["tp"] / max(1, row["tp"] + row["fn"])
        row["precision"] = row["tp"] / max(1, row["tp"] + row["fp"])
    return tally
