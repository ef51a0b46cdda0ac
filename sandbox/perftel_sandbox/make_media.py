"""Regenerate the sandbox's committed call recordings (``sandbox/perftel_sandbox/media/``).

Six short support calls — three English (espeak-ng voice ``en-us``), three Brazilian Portuguese
(``pt-br``) — each 4–6 turns. Every file is a two-channel 8 kHz 16-bit PCM WAV: the agent on
channel 0 (left), the customer on channel 1 (right), 1–2 s pauses between turns, the other channel
silent while one speaks, the customer about 6 dB quieter, telephone band-pass 300–3400 Hz.

Each turn is synthesised with ``espeak-ng``, trimmed, resampled and band-passed with ``sox``; the
two channels are then laid out in Python, so the turn timings written to ``transcripts.json`` are
exact. Output is reproducible (no dither).

Run from the repository root::

    python -m perftel_sandbox.make_media            # writes sandbox/perftel_sandbox/media/
    python -m perftel_sandbox.make_media --out DIR

Needs ``espeak-ng`` and ``sox`` on PATH. Not imported by perftel at run time.
"""

from __future__ import annotations

import argparse
import array
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

RATE = 8000
LEAD_S = 0.3
TAIL_S = 0.3
PAUSES_S = (1.0, 1.4, 1.0, 1.6, 1.1)
AGENT_NORM_DB = -3
CUSTOMER_NORM_DB = -9

# file stem → (language, espeak voice, agent variant, customer variant, [(role, text), ...])
CALLS: dict[str, tuple[str, str, str, str, list[tuple[str, str]]]] = {
    "en_billing_question": (
        "en",
        "en-us",
        "f3",
        "m3",
        [
            ("agent", "Northwind support, this is Anna. How can I help?"),
            ("customer", "Hi, I was charged twice this month."),
            ("agent", "Sorry about that. What is the invoice number?"),
            ("customer", "Four four seven two."),
            ("agent", "I see it. I will refund the second charge today."),
        ],
    ),
    "en_password_reset": (
        "en",
        "en-us",
        "m1",
        "f2",
        [
            ("agent", "Northwind support, David speaking."),
            ("customer", "Hello, I cannot log in to my account."),
            ("agent", "Let me send you a password reset link by email."),
            ("customer", "Got it. It works now, thank you."),
        ],
    ),
    "en_delivery_delay": (
        "en",
        "en-us",
        "f4",
        "m7",
        [
            ("agent", "Good morning, Northwind deliveries."),
            ("customer", "My order was due on Monday, but nothing came."),
            ("agent", "The parcel is at the local depot."),
            ("customer", "Can it be delivered tomorrow?"),
            ("agent", "Yes, before noon."),
            ("customer", "Perfect, thanks a lot."),
        ],
    ),
    "pt_segunda_via_boleto": (
        "pt",
        "pt-br",
        "f3",
        "m3",
        [
            ("agent", "Northwind, boa tarde, aqui é a Juliana."),
            ("customer", "Boa tarde, preciso da segunda via do boleto."),
            ("agent", "Claro. Qual é o seu CPF?"),
            ("customer", "Sim, um dois três, quatro cinco seis."),
            ("agent", "Pronto, enviei o boleto por e-mail."),
        ],
    ),
    "pt_internet_lenta": (
        "pt",
        "pt-br",
        "m1",
        "f2",
        [
            ("agent", "Suporte técnico Northwind, meu nome é Carlos."),
            ("customer", "Oi, a minha internet está muito lenta."),
            ("agent", "Vou reiniciar o seu modem. Um momento."),
            ("customer", "Agora está funcionando bem, obrigada."),
        ],
    ),
    "pt_cancelamento": (
        "pt",
        "pt-br",
        "f4",
        "m7",
        [
            ("agent", "Northwind, bom dia. Em que posso ajudar?"),
            ("customer", "Bom dia, eu quero cancelar a minha assinatura."),
            ("agent", "Posso oferecer vinte por cento de desconto."),
            ("customer", "Não, obrigado. Quero cancelar."),
            ("agent", "Tudo bem, o cancelamento foi registrado."),
        ],
    ),
}


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def synthesise_turn(
    text: str,
    voice: str,
    norm_db: int,
    tmp: Path,
    index: int,
    *,
    rate: int = RATE,
    speed: int = 180,
    telephone_band: bool = True,
) -> array.array:
    """One spoken turn: espeak-ng ``voice`` at ``speed`` words per minute, resampled by sox to ``rate`` Hz mono
    16-bit, leading and trailing silence trimmed, band-passed to 300-3400 Hz when ``telephone_band``, peak
    normalised to ``norm_db`` dBFS. Returns the samples (native byte order); work files go in ``tmp``.

    The one synthesiser of generated calls: the sandbox's media here, ``tests/conversation_calls.py`` and
    ``benchmarks/privacy_calls.py``. Raises CalledProcessError when espeak-ng or sox fails.
    """
    raw, band = tmp / f"raw{index}.wav", tmp / f"band{index}.wav"
    _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text])
    trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
    _run(
        ["sox", "-D", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(band), *trim]
        + (["sinc", "300-3400"] if telephone_band else [])
        + ["norm", str(norm_db)]
    )
    with wave.open(str(band), "rb") as handle:
        samples = array.array("h", handle.readframes(handle.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def build_call(stem: str, out_dir: Path, tmp: Path) -> dict:
    """Write ``<stem>.wav`` and return its transcript entry."""
    language, voice, agent_variant, customer_variant, turns = CALLS[stem]
    pieces: list[tuple[int, array.array]] = []
    for i, (role, text) in enumerate(turns):
        variant = agent_variant if role == "agent" else customer_variant
        norm = AGENT_NORM_DB if role == "agent" else CUSTOMER_NORM_DB
        pieces.append(
            (0 if role == "agent" else 1, synthesise_turn(text, f"{voice}+{variant}", norm, tmp, i))
        )

    total = int(LEAD_S * RATE) + sum(len(s) for _, s in pieces)
    total += sum(int(PAUSES_S[i % len(PAUSES_S)] * RATE) for i in range(len(pieces) - 1)) + int(TAIL_S * RATE)
    channels = [array.array("h", bytes(2 * total)), array.array("h", bytes(2 * total))]
    cursor = int(LEAD_S * RATE)
    segments = []
    for i, ((channel, samples), (role, text)) in enumerate(zip(pieces, turns, strict=True)):
        channels[channel][cursor : cursor + len(samples)] = samples
        segments.append(
            {
                "channel": channel,
                "role": role,
                "start_s": round(cursor / RATE, 3),
                "end_s": round((cursor + len(samples)) / RATE, 3),
                "text": text,
            }
        )
        cursor += len(samples)
        if i < len(pieces) - 1:
            cursor += int(PAUSES_S[i % len(PAUSES_S)] * RATE)

    interleaved = array.array("h", bytes(4 * total))
    interleaved[0::2], interleaved[1::2] = channels[0], channels[1]
    if sys.byteorder == "big":
        interleaved.byteswap()
    with wave.open(str(out_dir / f"{stem}.wav"), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(interleaved.tobytes())
    return {
        "language": language,
        "duration_s": round(total / RATE, 3),
        "channels": {"0": "agent", "1": "customer"},
        "segments": segments,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m perftel_sandbox.make_media [--out DIR]``: regenerate the media files; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "media")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    transcripts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for stem in CALLS:
            transcripts[f"{stem}.wav"] = build_call(stem, args.out, Path(tmp))
            print(f"{stem}.wav  {transcripts[f'{stem}.wav']['duration_s']:.1f} s")
    (args.out / "transcripts.json").write_text(
        json.dumps(transcripts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
