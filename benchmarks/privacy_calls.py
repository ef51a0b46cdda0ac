"""Spoken calls full of personal data, with the truth beside them (for ``bench_privacy.py``).

Each call is a two-channel WAV built like the sandbox's calls (:mod:`perftel_sandbox.make_media`:
espeak-ng voices ``pt-br`` / ``en-us``, agent left, customer right, the customer 6 dB quieter), but 16 kHz
without the telephone band: through an 8 kHz band the bundled ``base`` model returned no text at all for
the Portuguese voice (measured), which would make "nothing leaked" meaningless. The agent asks for
a card number, CPF, CNPJ, phone number or e-mail; the customer reads it out the usual ways (digit by
digit, in groups of digits, in two-digit words); both also say numbers that are not personal: an order
number, a price, a time. ``truth.json`` beside the WAVs lists, per call, the personal values (kind and
digits or address) and the non-personal numbers (their digits).

    python -m benchmarks.privacy_calls --out /tmp/privacy_calls --per-language 6
"""

from __future__ import annotations

import argparse
import array
import json
import random
import sys
import tempfile
import wave
from pathlib import Path

from perftel_sandbox.make_media import AGENT_NORM_DB, CUSTOMER_NORM_DB, synthesise_turn
from tests.privacy_cases import (
    EN_DIGITS,
    PT_DIGITS,
    card_number,
    cnpj_number,
    cpf_number,
    groups_of,
    phone_number,
    two_digit_words,
)

RATE = 16_000  # wideband: the base model returns nothing on espeak-ng's pt-br voice through an 8 kHz band


def _turn_samples(text: str, voice: str, norm_db: int, tmp: Path, index: int) -> array.array:
    """One turn, 16 kHz mono 16-bit, trimmed and normalised, no telephone band
    (:func:`perftel_sandbox.make_media.synthesise_turn`)."""
    return synthesise_turn(text, voice, norm_db, tmp, index, rate=RATE, speed=160, telephone_band=False)


VOICES = {"pt": ("pt-br", "f3", "m3"), "en": ("en-us", "f4", "m7")}
QUESTIONS = {
    "pt": {
        "card": "Qual é o número do cartão?",
        "cpf": "Qual é o seu CPF?",
        "cnpj": "E o CNPJ da empresa?",
        "phone": "Qual é o seu telefone com DDD?",
        "email": "Qual é o seu e-mail?",
    },
    "en": {
        "card": "What is the card number?",
        "cpf": "What is your CPF number?",
        "cnpj": "And the company CNPJ?",
        "phone": "What is your phone number?",
        "email": "What is your email address?",
    },
}
ANSWERS = {
    "pt": {
        "card": "O número do cartão é {}.",
        "cpf": "Meu CPF é {}.",
        "cnpj": "O CNPJ é {}.",
        "phone": "Meu telefone é {}.",
        "email": "Meu e-mail é {}.",
    },
    "en": {
        "card": "My card number is {}.",
        "cpf": "My CPF is {}.",
        "cnpj": "The CNPJ is {}.",
        "phone": "My phone number is {}.",
        "email": "My email is {}.",
    },
}
EMAILS = [
    (["joao", "silva"], ["exemplo", "com"]),
    (["maria", "souza"], ["gmail", "com"]),
    (["john", "smith"], ["example", "com"]),
    (["ana", "costa"], ["empresa", "com", "br"]),
    (["mary", "jones"], ["mail", "com"]),
    (["pedro"], ["uol", "com", "br"]),
]


def say_digits(kind: str, digits: str, language: str, rng: random.Random) -> str:
    """How a customer reads a value: digit words, written groups, or two-digit words."""
    words = PT_DIGITS if language == "pt" else EN_DIGITS
    groups = groups_of(kind, digits)
    style = rng.choice(["words", "words", "groups", "pairs"])
    if style == "groups":
        return ", ".join(groups)
    if style == "pairs":
        return ", ".join(
            " ".join(two_digit_words(g[i : i + 2], language) for i in range(0, len(g), 2))
            if len(g) % 2 == 0
            else " ".join(words[int(d)] for d in g)
            for g in groups
        )
    return ", ".join(" ".join(words[int(d)] for d in g) for g in groups)


def call_script(rng: random.Random, language: str, index: int) -> tuple[list[tuple[str, str]], dict]:
    """The turns of one call and its truth."""
    kinds = rng.sample(["card", "cpf", "cnpj", "phone", "email"], 3)
    turns = [
        (
            "agent",
            {
                "pt": "Northwind, boa tarde. Em que posso ajudar?",
                "en": "Northwind support, good afternoon. How can I help?",
            }[language],
        ),
        (
            "customer",
            {
                "pt": "Boa tarde, quero atualizar o meu cadastro.",
                "en": "Hi, I would like to update my account.",
            }[language],
        ),
    ]
    truth: dict = {"language": language, "personal": [], "other": []}
    for kind in kinds:
        turns.append(("agent", QUESTIONS[language][kind]))
        if kind == "email":
            local, domain = EMAILS[(index + rng.randrange(len(EMAILS))) % len(EMAILS)]
            dot, at = ("ponto", "arroba") if language == "pt" else ("dot", "at")
            said = f" {dot} ".join(local) + f" {at} " + f" {dot} ".join(domain)
            truth["personal"].append({"kind": kind, "local": local, "domain": domain})
        else:
            digits = (
                {"card": card_number, "cpf": cpf_number, "cnpj": cnpj_number}[kind](rng)
                if kind != "phone"
                else phone_number(rng, language)
            )
            said = say_digits(kind, digits, language, rng)
            truth["personal"].append({"kind": kind, "digits": digits})
        turns.append(("customer", ANSWERS[language][kind].format(said)))
    order = str(rng.randrange(10_000, 99_999_999))
    reais, cents = rng.randrange(20, 900), rng.choice([10, 50, 90])
    hour, minute = rng.randrange(8, 19), rng.choice([15, 30, 45])
    if language == "pt":
        turns += [
            ("customer", f"Também quero saber do pedido número {order}."),
            ("agent", f"O pedido custa {reais} reais e {cents} centavos."),
            ("agent", f"A entrega é amanhã às {hour} e {minute}."),
            ("customer", "Perfeito, obrigado."),
        ]
    else:
        turns += [
            ("customer", f"I also have a question about order number {order}."),
            ("agent", f"The order costs {reais} dollars and {cents} cents."),
            ("agent", f"The delivery is tomorrow at {hour}:{minute}."),
            ("customer", "Perfect, thank you."),
        ]
    truth["other"] = [
        {"what": "order", "digits": order},
        {"what": "price", "digits": f"{reais}{cents}"},
        {"what": "time", "digits": f"{hour}{minute}"},
    ]
    truth["turns"] = [{"role": r, "text": t} for r, t in turns]
    return turns, truth


def build(out: Path, per_language: int = 6, seed: int = 19) -> dict:
    """Write the calls and ``truth.json`` into ``out``; returns the truth (file name → entry)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    truth = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for language in ("pt", "en"):
            voice, agent_variant, customer_variant = VOICES[language]
            for index in range(per_language):
                turns, entry = call_script(rng, language, index)
                name = f"{language}_privacy_{index:02d}.wav"
                channels = [array.array("h"), array.array("h")]
                for k, (role, text) in enumerate(turns):
                    variant, norm = (
                        (agent_variant, AGENT_NORM_DB)
                        if role == "agent"
                        else (customer_variant, CUSTOMER_NORM_DB)
                    )
                    samples = _turn_samples(text, f"{voice}+{variant}", norm, tmp, k)
                    mine, other = (
                        (channels[0], channels[1]) if role == "agent" else (channels[1], channels[0])
                    )
                    pause = array.array("h", bytes(2 * int(1.0 * RATE)))
                    mine.extend(samples + pause)
                    other.extend(array.array("h", bytes(2 * (len(samples) + len(pause)))))
                interleaved = array.array("h", bytes(4 * len(channels[0])))
                interleaved[0::2], interleaved[1::2] = channels[0], channels[1]
                if sys.byteorder == "big":
                    interleaved.byteswap()
                with wave.open(str(out / name), "wb") as handle:
                    handle.setnchannels(2)
                    handle.setsampwidth(2)
                    handle.setframerate(RATE)
                    handle.writeframes(interleaved.tobytes())
                truth[name] = entry
    (out / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False), "utf-8")
    return truth


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/perftel_privacy_calls"))
    parser.add_argument("--per-language", type=int, default=6)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    print(f"{len(build(args.out, args.per_language, args.seed))} calls in {args.out}")
