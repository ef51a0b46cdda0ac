"""The model-size evaluation API, on the real bundled models."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from perftel.errors import ConfigError
from perftel.evaluate import (
    COLUMNS,
    SUMMARY_COLUMNS,
    Sample,
    error_counts,
    evaluate_models,
    load_manifest,
    normalize_text,
    summarize,
)


def test_load_manifest(audio_dir: Path) -> None:
    samples = load_manifest(audio_dir / "MANIFEST.tsv")
    by_name = {s.path.name: s for s in samples}
    assert len(samples) == len(by_name) == 13  # the stereo file's two rows are one sample
    assert by_name["pt_fleurs_002.ogg"].language == "pt" and by_name["en_jfk_inaugural.flac"].language == "en"
    assert by_name["pt_fleurs_002.ogg"].path == audio_dir / "pt_fleurs_002.ogg"
    stereo = by_name["en_stereo_2ch_librispeech.wav"].reference
    assert stereo.startswith("He began a confused complaint") and stereo.endswith(
        "The horizon seems extremely distant."
    )
    pt = load_manifest(audio_dir / "MANIFEST.tsv", languages=["pt-BR"], limit=2)
    assert [s.path.name for s in pt] == ["pt_fleurs_000.ogg", "pt_fleurs_001.ogg"]
    assert all(s.language == "en" for s in load_manifest(audio_dir / "MANIFEST.tsv", languages=["en"]))


def test_normalisers_follow_whisper() -> None:
    assert normalize_text("Mr. Smith paid twenty-five dollars, colour!", "en") == normalize_text(
        "mister smith paid $25 color", "en"
    )
    assert (
        normalize_text("Construída pelos egípcios, no século 3 a.C.", "pt")
        == "construída pelos egípcios no século 3 a c"
    )
    assert error_counts("a grande pirâmide", "A grande Pirâmide!", "pt") == (3, 0, 17, 0)
    assert error_counts("the horizon seems distant", "the horizon seems", "en")[:2] == (4, 1)


@pytest.mark.model
def test_evaluate_models_on_bundled_models(audio_dir: Path, model_cache: Path) -> None:
    manifest = {s.path.name: s for s in load_manifest(audio_dir / "MANIFEST.tsv")}
    samples = [manifest[n] for n in ("en_fleurs_001.ogg", "en_fleurs_004.ogg", "pt_fleurs_002.ogg")]
    progress: list[tuple[str, int, int]] = []
    results = evaluate_models(samples, ("tiny.en", "base"), on_progress=lambda *a: progress.append(a))
    assert list(results.columns) == COLUMNS and len(results) == 6
    assert progress == [(m, i, 3) for m in ("tiny.en", "base") for i in (1, 2, 3)]
    tiny = results[results.model == "tiny.en"].set_index("file")
    assert (
        math.isnan(tiny.loc["pt_fleurs_002.ogg", "wer"])
        and "English-only" in tiny.loc["pt_fleurs_002.ogg", "note"]
    )
    english = tiny.loc[["en_fleurs_001.ogg", "en_fleurs_004.ogg"]]
    assert (english.wer < 0.25).all() and (english.cer < 0.2).all() and (english.note == "").all()
    base = results[results.model == "base"].set_index("file")
    assert base.wer.notna().all() and base.loc["pt_fleurs_002.ogg", "wer"] < 0.6
    assert "controle do carro" in base.loc["pt_fleurs_002.ogg", "hypothesis"].lower()
    assert (results.audio_seconds.dropna() > 4).all() and (results.rtf.dropna() > 0).all()
    assert (results.load_seconds > 0).all() and results.peak_memory_mb.between(100, 1500).all()

    summary = summarize(results)
    assert list(summary.columns) == SUMMARY_COLUMNS and list(summary.model) == ["tiny.en", "base"]
    row = summary.set_index("model").loc["tiny.en"]
    assert row.files == 2
    assert row.wer == pytest.approx(english.word_errors.sum() / english.words.sum())
    assert row.rtf == pytest.approx(english.processing_seconds.sum() / english.audio_seconds.sum())


def test_summarize_pools_over_words() -> None:
    rows = pd.DataFrame(
        [
            {
                "model": "m",
                "wer": 0.5,
                "words": 2,
                "word_errors": 1,
                "chars": 10,
                "char_errors": 1,
                "audio_seconds": 10.0,
                "processing_seconds": 1.0,
                "load_seconds": 1.0,
                "peak_memory_mb": 300.0,
            },
            {
                "model": "m",
                "wer": 0.0,
                "words": 8,
                "word_errors": 0,
                "chars": 40,
                "char_errors": 0,
                "audio_seconds": 30.0,
                "processing_seconds": 1.0,
                "load_seconds": 1.0,
                "peak_memory_mb": 300.0,
            },
        ]
    )
    row = summarize(rows).iloc[0]
    assert (row.files, row.wer, row.cer, row.rtf) == (2, 0.1, 0.02, 0.05)


def test_missing_model_is_reported(tmp_path: Path, model_cache: Path) -> None:
    sample = Sample(tmp_path / "x.wav", "hello", "en")
    with pytest.raises(ConfigError, match="no-such-model"):  # not a model: refused before any process starts
        evaluate_models([sample], ["tiny.en", str(tmp_path / "no-such-model")])
    empty = tmp_path / "empty-model"  # a folder without weights: its process fails to load it
    empty.mkdir()
    with pytest.raises(RuntimeError, match="empty-model"):
        evaluate_models([sample], [str(empty)])
