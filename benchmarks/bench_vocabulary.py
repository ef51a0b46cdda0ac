"""Company vocabulary: term recall and WER with and without it, same calls, same model, one run.

    .venv/bin/python benchmarks/bench_vocabulary.py            # 4 calls per language, writes RESULTS.md section
    .venv/bin/python benchmarks/bench_vocabulary.py --quick    # 2 calls per language, prints only

Calls are generated with espeak-ng (agent and customer voices, two channels, customer 9 dB quieter,
1.5-4 s pauses, telephone band 8 kHz mu-law with sox) from scripts that use a made-up company's product
names, plans and places. perftel transcribes every call (language pinned) three ways: without a
vocabulary, with the terms as ``hotwords``, and with them as ``initial_prompt``. Term recall counts each
term occurrence of the reference found in the transcript (case, accents and punctuation ignored); WER is
pooled over words with Whisper's normalisers (``perftel.evaluate.error_counts``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calls import RATE, peak_to, telephone  # noqa: E402

from perftel.evaluate import error_counts  # noqa: E402
from perftel.transcribe import TranscribeOptions, Transcriber, WhisperSettings  # noqa: E402

HERE = Path(__file__).resolve().parent
MARKER = "\n# Company vocabulary"

TERMS = {
    "en": ["Northwind Prime", "FiberMax", "Zentrix", "QuickPay", "SureLink Plus", "Contoso Care", "Tailspin"],
    "pt": [
        "Vivo Fibra",
        "Plano Controle",
        "Zaptel Max",
        "Portabilidade",
        "Boleto Fácil",
        "Ribeirão Preto",
        "Claro Flex",
    ],
}
# (agent line, customer line) pairs; calls take turns from these in a seeded order
SCRIPTS = {
    "en": [
        (
            "Thank you for calling Northwind Prime support, how can I help?",
            "Hi, my FiberMax router keeps dropping.",
        ),
        (
            "Is it the Zentrix model or the older one?",
            "It is the Zentrix, and I pay with QuickPay every month.",
        ),
        ("I can move you to SureLink Plus at no extra cost.", "Does SureLink Plus include Contoso Care?"),
        (
            "Yes, Contoso Care is included with the Northwind Prime plan.",
            "Great, and can I keep my Tailspin account?",
        ),
        (
            "Your Tailspin account stays, and QuickPay will bill the new plan.",
            "Then please switch me to FiberMax.",
        ),
    ],
    "pt": [
        ("Obrigado por ligar para a Zaptel Max, em que posso ajudar?", "Quero saber do Plano Controle."),
        (
            "O Plano Controle vem com Vivo Fibra de trezentos megas.",
            "Eu moro em Ribeirão Preto, tem cobertura?",
        ),
        ("Em Ribeirão Preto temos Vivo Fibra em todos os bairros.", "E posso pagar com Boleto Fácil?"),
        ("Sim, o Boleto Fácil chega todo mês no seu email.", "Quero fazer a Portabilidade do meu número."),
        (
            "A Portabilidade leva três dias e o Claro Flex é cancelado.",
            "Então pode ativar a Zaptel Max para mim.",
        ),
    ],
}
VOICES = {"en": ("en-us+f3", "en-us+m3"), "pt": ("pt-br+f3", "pt-br+m3")}


def fold(text: str) -> str:
    """Lowercase, accents off, punctuation to spaces, single spaces (for term matching)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def term_hits(reference: str, hypothesis: str, terms: list[str]) -> tuple[int, int]:
    """(term occurrences in the reference, how many of them the hypothesis has)."""
    ref, hyp = f" {fold(reference)} ", f" {fold(hypothesis)} "
    total = found = 0
    for term in terms:
        needle = f" {fold(term)} "
        want = ref.count(needle)
        total += want
        found += min(want, hyp.count(needle))
    return total, found


def speak(text: str, voice: str, tmp: Path) -> np.ndarray:
    raw, out = tmp / "raw.wav", tmp / "out.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "165", "-w", str(raw), text], check=True, capture_output=True
    )
    subprocess.run(["sox", "-q", "-D", str(raw), "-r", str(RATE), "-c", "1", str(out)], check=True)
    with wave.open(str(out)) as handle:
        samples = (
            np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768
        )
    return samples


def build(language: str, seed: int, folder: Path) -> tuple[Path, str]:
    """A two-channel call of the 5 script pairs in a seeded order; returns (path, reference)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(SCRIPTS[language]))[:3]
    turns = [line for index in order for line in SCRIPTS[language][index]]
    cursor = int(rng.uniform(0.5, 1.5) * RATE)
    placed = []
    with tempfile.TemporaryDirectory() as tmp:
        for turn, text in enumerate(turns):
            clip = peak_to(
                speak(text, VOICES[language][turn % 2], Path(tmp)), -3.0 if turn % 2 == 0 else -12.0
            )
            placed.append((turn % 2, cursor, clip))
            cursor += len(clip) + int(rng.uniform(1.5, 4.0) * RATE)
    sides = [rng.normal(0, 10 ** (-70 / 20), cursor).astype(np.float32) for _ in range(2)]
    for side, start, clip in placed:
        sides[side][start : start + len(clip)] += clip
    path = telephone(sides, folder / f"vocab_{language}_s{seed}.wav")
    return path, " ".join(turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 calls per language, no RESULTS.md")
    parser.add_argument("--calls", type=int, default=None, help="calls per language (default 4)")
    parser.add_argument("--model", default="base")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    count = args.calls or (2 if args.quick else 4)
    started = time.perf_counter()
    transcriber = Transcriber(WhisperSettings(args.model, "cpu", "int8"))
    transcriber.initialize()
    systems = {"none": {}, "hotwords": {"hotwords": None}, "initial_prompt": {"initial_prompt": None}}
    totals: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for language in ("en", "pt"):
            prompt = ", ".join(TERMS[language])
            for seed in range(1, count + 1):
                path, reference = build(language, seed, Path(tmp))
                for system, fields in systems.items():
                    options = replace(TranscribeOptions(), **{name: prompt for name in fields})
                    t0 = time.perf_counter()
                    result = transcriber.transcribe(path, language=language, options=options)
                    elapsed = time.perf_counter() - t0
                    words, errors, _, _ = error_counts(reference, result.text, language)
                    terms, found = term_hits(reference, result.text, TERMS[language])
                    row = totals.setdefault((language, system), [0, 0, 0, 0, 0.0])
                    for i, value in enumerate((words, errors, terms, found, elapsed)):
                        row[i] += value
                    print(
                        f"{language} s{seed} {system:15s} WER {errors / words:.3f} terms {found}/{terms} "
                        f"{elapsed:.1f}s",
                        flush=True,
                    )
    lines = [
        "",
        "# Company vocabulary: term recall and WER",
        "",
        f"Generated by `benchmarks/bench_vocabulary.py{' --quick' if args.quick else ''}` in "
        f"{(time.perf_counter() - started) / 60:.1f} min on the shared 2-core machine (other helpers' jobs "
        f"running; times are indicative only). Model: bundled `{args.model}`, int8. {count} generated two-channel "
        "calls per language (espeak-ng agent/customer voices, customer 9 dB quieter, 6 turns, telephone band "
        "8 kHz mu-law), scripts full of a made-up company's products, plans and places; the vocabulary is those "
        f"{len(TERMS['en'])} terms per language. Language pinned.",
        "",
        "| language | vocabulary as | WER | term recall | decode time × none |",
        "|---|---|---|---|---|",
    ]
    for language in ("en", "pt"):
        for system in systems:
            words, errors, terms, found, seconds = totals[(language, system)]
            lines.append(
                f"| {language} | {system} | {errors / words:.3f} | {found}/{terms} = {found / terms:.2f} | "
                f"{seconds / totals[(language, 'none')][4]:.2f} |"
            )
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.quick:
        text = args.results.read_text(encoding="utf-8")
        if MARKER in text:  # replace our section up to the next top-level heading
            head, rest = text.split(MARKER, 1)
            tail = rest[rest.find("\n# ") :] if "\n# " in rest else ""
            text = head.rstrip("\n") + "\n" + section + tail
        else:
            text = text.rstrip("\n") + "\n" + section
        args.results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
