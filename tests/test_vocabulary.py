"""Company vocabulary: read from the settings file, checked, and given to Whisper as hotwords."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from perftel import vocabulary
from perftel.transcribe import TranscribeOptions, Transcriber, WhisperSettings
from perftel.vocabulary import MAX_PROMPT_TOKENS, Vocabulary, VocabularyWarning, company_vocabulary
from tests.fake_whisper import FakeWhisper


def settings(tmp_path: Path, text: str, company: str = "acme") -> Path:
    folder = tmp_path / company
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.toml").write_text(text, encoding="utf-8")
    return folder


def speech_file(tmp_path: Path, audio_dir: Path) -> Path:
    from faster_whisper import decode_audio

    from tests.test_transcribe import write_wav

    clip = decode_audio(str(audio_dir / "en_fleurs_000.ogg"))
    silence = np.zeros(16_000 * 2, dtype=np.float32)
    return write_wav(tmp_path / "call.wav", [np.concatenate([silence, clip * 0.5, silence])])


def fake_transcriber(
    options: TranscribeOptions | None = None, whisper: FakeWhisper | None = None
) -> Transcriber:
    transcriber = Transcriber(WhisperSettings("base", options=options))
    transcriber._whisper = whisper or FakeWhisper()  # initialize() keeps a model that is already there
    return transcriber


def test_terms_inline_and_from_file_in_order_without_duplicates(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PERFTEL_TIMEZONE", raising=False)
    folder = settings(
        tmp_path, '[vocabulary]\nterms = ["Vivo Fibra", "Plano Controle"]\nfile = "vocabulary.txt"\n'
    )
    (folder / "vocabulary.txt").write_text(
        "# produtos\nVivo Fibra\n\n  Vivo   Turbo \nPortabilidade\n", encoding="utf-8"
    )
    found, problem = company_vocabulary("acme", tmp_path)
    assert problem is None
    assert found.terms == ("Vivo Fibra", "Plano Controle", "Vivo Turbo", "Portabilidade")
    assert found.prompt == "Vivo Fibra, Plano Controle, Vivo Turbo, Portabilidade"
    assert "vocabulary.txt" in found.source


def test_no_vocabulary_section_means_none_and_no_warning(tmp_path: Path) -> None:
    settings(tmp_path, 'timezone = "America/Sao_Paulo"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert company_vocabulary("acme", tmp_path) == (None, None)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "is empty"),
        (b"\n# only a comment\n  \n", "is empty"),
        ("Aten\u00e7\u00e3o".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_vocabulary_file_is_named_and_left_out(tmp_path: Path, content: bytes, says: str) -> None:
    folder = settings(tmp_path, '[vocabulary]\nfile = "termos.txt"\n')
    (folder / "termos.txt").write_bytes(content)
    with pytest.warns(VocabularyWarning, match=says) as caught:
        found, problem = company_vocabulary("acme", tmp_path)
    assert found is None and says in problem
    assert str(folder / "termos.txt") in str(caught[0].message)


def test_missing_vocabulary_file_is_named(tmp_path: Path) -> None:
    settings(tmp_path, '[vocabulary]\nfile = "nope.txt"\n')
    with pytest.warns(VocabularyWarning, match="nope.txt does not exist"):
        assert company_vocabulary("acme", tmp_path)[0] is None


def test_estimate_never_undercounts_the_real_tokenizer(model_cache: Path) -> None:
    from tokenizers import Tokenizer

    from perftel.whisper_models import resolve_model

    tokenizer = Tokenizer.from_file(str(Path(resolve_model("tiny.en")) / "tokenizer.json"))
    for text in [
        "Vivo Fibra, Plano Controle, Portabilidade",
        "Atenção: São Paulo, Ribeirão Preto, CPF, LGPD",
        "GoTo Connect, Aircall, RingCentral, Twilio, chargeback, upsell",
    ]:
        real = len(tokenizer.encode(" " + text, add_special_tokens=False).ids)
        assert vocabulary.estimate_tokens(text) >= real, text


def test_length_check_uses_the_model_tokenizer() -> None:
    fits = Vocabulary(tuple(f"t{i}" for i in range(MAX_PROMPT_TOKENS)), "x.txt")
    assert vocabulary.check_length(fits, lambda text: len(text.split())) is None
    long = Vocabulary(tuple(f"t{i}" for i in range(MAX_PROMPT_TOKENS + 1)), "x.txt")
    problem = vocabulary.check_length(long, lambda text: len(text.split()))
    assert "x.txt" in problem and "too long" in problem and str(MAX_PROMPT_TOKENS) in problem


def test_vocabulary_reaches_every_whisper_call(tmp_path: Path, audio_dir: Path) -> None:
    whisper = FakeWhisper()
    options = TranscribeOptions(hotwords="Vivo Fibra, Plano Controle", vocabulary_source="acme terms")
    result = fake_transcriber(options, whisper).transcribe(speech_file(tmp_path, audio_dir), language="pt")
    assert whisper.calls and all(call["hotwords"] == "Vivo Fibra, Plano Controle" for call in whisper.calls)
    assert result.decoding["vocabulary"] == "acme terms"
    assert result.decoding["encoder_windows"] == len(whisper.calls)


def test_per_call_options_do_not_change_the_transcriber(tmp_path: Path, audio_dir: Path) -> None:
    whisper = FakeWhisper()
    transcriber = fake_transcriber(None, whisper)
    path = speech_file(tmp_path, audio_dir)
    transcriber.transcribe(path, language="en", options=TranscribeOptions(hotwords="Plano Controle"))
    transcriber.transcribe(path, language="en")
    assert whisper.calls[0]["hotwords"] == "Plano Controle" and whisper.calls[-1]["hotwords"] is None
    assert transcriber.options.hotwords is None


def test_too_long_vocabulary_is_warned_and_transcription_goes_on(tmp_path: Path, audio_dir: Path) -> None:
    whisper = FakeWhisper()  # its tokenizer counts words
    terms = ", ".join(f"term{i}" for i in range(MAX_PROMPT_TOKENS + 5))
    options = TranscribeOptions(hotwords=terms, vocabulary_source="data/acme/vocabulary.txt")
    with pytest.warns(VocabularyWarning, match="data/acme/vocabulary.txt is too long"):
        result = fake_transcriber(options, whisper).transcribe(
            speech_file(tmp_path, audio_dir), language="en"
        )
    assert result.segments, "transcription went on"
    assert all(call["hotwords"] is None for call in whisper.calls)
    assert "too long" in result.decoding["vocabulary_problem"] and "vocabulary" not in result.decoding


def test_pipeline_passes_the_company_vocabulary(tmp_path: Path, monkeypatch) -> None:
    from perftel.pipeline import _company_options

    settings(tmp_path, '[vocabulary]\nterms = ["Vivo Fibra"]\n')
    options = _company_options("acme", tmp_path, None, None, None)
    assert options.hotwords == "Vivo Fibra" and "terms" in options.vocabulary_source
    mine = TranscribeOptions(beam_size=1)
    assert _company_options("acme", tmp_path, mine, None, None).beam_size == 1
    assert _company_options("acme", tmp_path, TranscribeOptions(hotwords="own"), None, None).hotwords == "own"
    settings(tmp_path, '[vocabulary]\nfile = "empty.txt"\n')
    (tmp_path / "acme" / "empty.txt").write_text("", encoding="utf-8")
    with pytest.warns(VocabularyWarning):
        options = _company_options("acme", tmp_path, None, None, None)
    assert options.hotwords is None and "empty" in options.vocabulary_problem


def test_the_prompt_read_back_is_dropped_real_mentions_kept() -> None:
    prompt = "Vivo Fibra, Plano Controle, Zaptel Max, Portabilidade, Boleto Fácil, Ribeirão Preto, Claro Flex"
    echo = ["Eu", "moro", "em", "Kimé,", "Portabilidade,", "Boleto", "Fácil,", "Ribeirão", "Preto,"]
    assert vocabulary.prompt_echo(echo, prompt) == {4, 5, 6, 7, 8}
    said = ["quero", "o", "Plano", "Controle", "com", "Vivo", "Fibra", "e", "Portabilidade"]
    assert vocabulary.prompt_echo(said, prompt) == set()
    assert vocabulary.prompt_echo(["vivo", "fibra", "plano", "controle"], prompt) == set()  # two terms: kept


def test_transcripts_do_not_keep_the_prompt_read_back(tmp_path: Path, audio_dir: Path) -> None:
    from types import SimpleNamespace

    class Echo(FakeWhisper):
        def transcribe(self, audio, language=None, **kwargs):  # noqa: ANN001, ANN201
            found, info = super().transcribe(audio, language, **kwargs)
            out = []
            for segment in found:
                end = segment.words[-1].end
                extra = [
                    SimpleNamespace(start=end, end=end, word=f" {t},", probability=0.5)
                    for t in ("A", "B", "C")
                ]
                out.append(SimpleNamespace(**{**vars(segment), "words": segment.words + extra}))
            return iter(out), info

    transcriber = fake_transcriber(TranscribeOptions(hotwords="A, B, C, D"), Echo())
    text = transcriber.transcribe(speech_file(tmp_path, audio_dir), language="en").text
    assert text and "A," not in text and "C," not in text
