"""The privacy policy at the disk: transcripts written redacted, nothing leaks, ``perftel redact``, audio."""

from __future__ import annotations

import json
import logging
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from perftel import create_provider, run_pipeline
from perftel.cli import main
from perftel.errors import ConfigError
from perftel.files import write_json_atomic
from perftel.models import TranscriptionResult, TranscriptionSegment, Word
from perftel.privacy.audio import placeholder_spans, silence_recording
from perftel.storage import CompanyStorage, write_transcription
from perftel_sandbox import start_sandbox

DAY = "2026-11-17"
# (as said in the call, the digits a scan must never find)
VALUES = {
    "cpf": ("111.444.777-35", "11144477735"),
    "card": ("4111 1111 1111 1111", "4111111111111111"),
    "cnpj": ("11.222.333/0001-81", "11222333000181"),
    "phone": ("(11) 98765-4321", "11987654321"),
    "email": ("joao.silva@exemplo.com", "joao.silva@exemplo.com"),
}


def _segments(seconds: float) -> list[TranscriptionSegment]:
    step = max(seconds, 1.0) / 8
    lines = [
        ("agent", "Qual o seu CPF, por favor?"),
        ("customer", f"é {VALUES['cpf'][0]}"),
        ("customer", f"o número do cartão é {VALUES['card'][0]}"),
        ("customer", f"o CNPJ da loja é {VALUES['cnpj'][0]}"),
        ("customer", f"meu telefone é {VALUES['phone'][0]}"),
        ("customer", f"meu e-mail é {VALUES['email'][0]}"),
        ("agent", "o pedido 48213 chega às 14:30 e custa R$ 129,90"),
    ]
    out = []
    for k, (speaker, text) in enumerate(lines):
        start = round(k * step, 3)
        pieces = text.split(" ")
        width = step * 0.9 / len(pieces)
        words = [
            Word(round(start + i * width, 3), round(start + (i + 1) * width, 3), " " + p, 0.9)
            for i, p in enumerate(pieces)
        ]
        out.append(
            TranscriptionSegment(
                start, round(start + step * 0.9, 3), text, channel=None, speaker=speaker, words=words
            )
        )
    return out


class PiiTranscriber:
    """Stand-in with the Transcriber interface whose every call is full of personal values."""

    model_name = "pii-stand-in"

    def initialize(self) -> None:
        pass

    def transcribe(
        self, path, *, recording_id=None, channel_roles=None, language=None
    ) -> TranscriptionResult:
        import av

        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            seconds = (
                float(stream.duration * stream.time_base)
                if stream.duration
                else float(container.duration or 0) / 1e6
            )
        logging.getLogger("perftel.test").info("transcribed %s", Path(path).name)
        segments = _segments(seconds)
        return TranscriptionResult(
            recording_id=recording_id or Path(path).stem,
            text=" ".join(s.text for s in segments),
            segments=segments,
            language="pt",
            duration=seconds,
            model=self.model_name,
            audio_path=str(path),
        )


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox("goto_connect", seed=3) as sb:
        yield sb


@pytest.fixture
def provider(sandbox, fast_retries):
    sandbox.faults.reset()
    return create_provider("goto_connect", "acme", base_url=sandbox.base_url, credentials=sandbox.credentials)


def _settings(data_dir: Path, text: str) -> None:
    (data_dir / "acme").mkdir(parents=True, exist_ok=True)
    (data_dir / "acme" / "settings.toml").write_text('country = "BR"\n' + text, "utf-8")


def _leaks(root: Path, extra: str = "") -> list[str]:
    """Files (or the log) holding any personal value, in any of its written forms."""
    needles = {form for said, digits in VALUES.values() for form in (said, digits)}
    needles |= {"98765-4321", "4111 1111", "joao.silva"}
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "ignore")
            found += [f"{path.name}: {n}" for n in needles if n in text]
    found += [f"log: {n}" for n in needles if n in extra]
    return found


def test_nothing_leaks_from_a_pipeline_run(provider, tmp_path, caplog):
    _settings(tmp_path, "")  # no [privacy] table: the default policy (every kind)
    with caplog.at_level(logging.DEBUG):
        result = run_pipeline(
            provider, start_date=DAY, end_date=DAY, transcriber=PiiTranscriber(), data_dir=tmp_path
        )
    assert result.transcribed, "the sandbox has recordings that day"
    written = list((tmp_path / "acme" / "calls" / "transcriptions").glob("*.json"))
    assert len(written) == len(result.transcribed)
    assert _leaks(tmp_path, caplog.text + result.summary()) == []
    for path in written:
        data = json.loads(path.read_text("utf-8"))
        assert data["pii_counts"] == {"card": 1, "cpf": 1, "cnpj": 1, "phone": 1, "email": 1}
        assert "[CPF]" in data["text"] and "[CARD]" in data["text"] and "[EMAIL]" in data["text"]
        assert "48213" in data["text"] and "14:30" in data["text"]  # not personal: still readable
        assert "[PHONE]" in path.with_suffix(".txt").read_text("utf-8")
    # what the run hands back to a notebook is redacted as well
    assert all("[CARD]" in t.text and "4111" not in t.text for t in result.transcribed)


def test_policy_with_an_unknown_kind_writes_nothing(provider, tmp_path):
    _settings(tmp_path, '[privacy]\nkinds = ["card", "passport"]\n')
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=PiiTranscriber(), data_dir=tmp_path
    )
    assert result.failed and any("unknown kind 'passport'" in f.reason for f in result.failed)
    assert any("Valid kinds: card, cpf, cnpj, phone, email" in f.reason for f in result.failed)
    assert list((tmp_path / "acme" / "calls" / "transcriptions").glob("*")) == []


def _recording(path: Path, seconds: float = 4.0, rate: int = 8000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def _result_for(audio: Path, seconds: float = 4.0) -> TranscriptionResult:
    segments = _segments(seconds)
    return TranscriptionResult(
        audio.stem,
        " ".join(s.text for s in segments),
        segments,
        "pt",
        seconds,
        "stand-in",
        audio_path=str(audio),
    )


def test_audio_policy_replaces_the_recording_with_a_silenced_copy(tmp_path):
    _settings(tmp_path, "[privacy]\naudio = true\n")
    storage = CompanyStorage("acme", tmp_path).ensure()
    original = storage.recordings_dir / "goto_connect_r1.wav"
    _recording(original, seconds=16.0)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(original), str(original.with_suffix(".mp3"))], check=True
    )
    original.unlink()
    mp3 = original.with_suffix(".mp3")
    result = _result_for(mp3, 16.0)
    json_path, _ = storage.save_transcription(result, prefix="goto_connect")
    data = json.loads(json_path.read_text("utf-8"))
    assert data["audio_redacted"] is True and data["audio_path"].endswith("goto_connect_r1.wav")
    assert not mp3.exists()  # removed once the copy was verified
    copy = Path(data["audio_path"])
    with wave.open(str(copy)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert abs(len(samples) / rate - 16.0) < 0.1
    spans = placeholder_spans(TranscriptionResult.from_dict(data))
    assert len(spans) >= 4
    for start, end in spans:
        assert not samples[int(start * rate) + 1 : int(end * rate) - 1].any()  # silenced
    first = spans[0][0]
    assert np.abs(samples[: int(first * rate) - 10]).max() > 10000  # the agent's question is kept


def test_silencing_keeps_the_original_when_it_cannot_read_it(tmp_path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"not audio at all" * 100)
    with pytest.raises(Exception, match="redacted copy of broken.mp3"):
        silence_recording(bad, [(0.0, 1.0)])
    assert bad.exists() and list(tmp_path.iterdir()) == [bad]


def test_redact_command_on_transcripts_already_on_disk_is_idempotent(tmp_path, capsys):
    storage = CompanyStorage("acme", tmp_path).ensure()
    old = _result_for(tmp_path / "missing.wav")
    path = storage.transcriptions_dir / "goto_connect_r1.json"
    write_json_atomic(path, {**old.to_dict(), "call": {"id": "c1"}})  # written before the policy existed
    path.with_suffix(".txt").write_text(old.text, "utf-8")
    _settings(tmp_path, '[privacy]\nkinds = ["cpf", "card"]\n')
    assert main(["redact", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    assert "1 rewritten" in capsys.readouterr().out
    data = json.loads(path.read_text("utf-8"))
    assert data["pii_counts"] == {"card": 1, "cpf": 1} and data["call"] == {"id": "c1"}
    assert "[CPF]" in data["text"] and "[CARD]" in data["text"] and VALUES["phone"][0] in data["text"]
    assert "4111" not in path.with_suffix(".txt").read_text("utf-8")
    before = path.read_bytes()
    assert main(["redact", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    assert "0 rewritten" in capsys.readouterr().out and path.read_bytes() == before
    # widening the policy redacts the rest and adds to the counts
    _settings(tmp_path, "")
    assert main(["redact", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    data = json.loads(path.read_text("utf-8"))
    assert data["pii_counts"] == {"card": 1, "cpf": 1, "cnpj": 1, "phone": 1, "email": 1}
    assert _leaks(tmp_path) == []


def test_policy_off_writes_as_transcribed(tmp_path):
    _settings(tmp_path, "[privacy]\nenabled = false\n")
    storage = CompanyStorage("acme", tmp_path).ensure()
    json_path, _ = storage.save_transcription(_result_for(tmp_path / "x.wav"), prefix="p")
    data = json.loads(json_path.read_text("utf-8"))
    assert data["redacted_kinds"] == [] and data["pii_counts"] == {} and VALUES["cpf"][0] in data["text"]


def test_write_outside_a_company_folder_uses_the_default_policy(tmp_path):
    json_path, txt_path = write_transcription(
        _result_for(tmp_path / "x.wav"), tmp_path / "x.json", tmp_path / "x.txt"
    )
    assert _leaks(tmp_path) == []
    with pytest.raises(ConfigError):
        _settings(tmp_path / "d", '[privacy]\nkinds = "card"\n')
        storage = CompanyStorage("acme", tmp_path / "d").ensure()
        storage.save_transcription(_result_for(tmp_path / "x.wav"), prefix="p")


def test_redact_command_silences_recordings_already_on_disk(tmp_path, capsys):
    storage = CompanyStorage("acme", tmp_path).ensure()
    audio = _recording(storage.recordings_dir / "goto_connect_r2.wav", seconds=16.0)
    old = _result_for(audio, 16.0)
    path = storage.transcriptions_dir / "goto_connect_r2.json"
    write_json_atomic(path, old.to_dict())
    _settings(tmp_path, "[privacy]\naudio = true\n")
    assert main(["redact", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    assert "recordings silenced: 1" in capsys.readouterr().out
    data = json.loads(path.read_text("utf-8"))
    assert data["audio_redacted"] is True and Path(data["audio_path"]) == audio
    with wave.open(str(audio)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    start, end = placeholder_spans(TranscriptionResult.from_dict(data))[0]
    assert not samples[int(start * rate) + 1 : int(end * rate) - 1].any()
    assert main(["redact", "--company", "acme", "--data-dir", str(tmp_path)]) == 0  # again: nothing to do
    assert "0 rewritten" in capsys.readouterr().out
