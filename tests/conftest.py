"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# transcription fixtures

AUDIO_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "audio"


@pytest.fixture(scope="session")
def audio_dir() -> Path:
    """The shared reference recordings (<repo>/../shared/audio, described in its MANIFEST.tsv)."""
    if not (AUDIO_DIR / "MANIFEST.tsv").is_file():
        pytest.fail(
            f"Reference audio is missing: expected {AUDIO_DIR}/MANIFEST.tsv (the repo's ../shared/audio)."
        )
    return AUDIO_DIR


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """PERFTEL_MODEL_CACHE pointed at a fresh folder for the session, so tests never touch ~/.cache."""
    path = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERFTEL_MODEL_CACHE", str(path))
        yield path


# HTTP fixtures


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same retry policy with millisecond waits: fault tests are about outcomes, not sleeping."""
    import functools

    import perftel.http.client as client

    monkeypatch.setattr(
        client, "RetryPolicy", functools.partial(client.RetryPolicy, backoff=0.01, max_backoff=0.05)
    )


@pytest.fixture(autouse=True)
def _fake_whisper_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``tests.fake_whisper.FakeWhisper`` answers batched decoding itself (no faster-whisper pipeline);
    a real model goes through faster-whisper's ``BatchedInferencePipeline`` as in production."""
    from perftel import decoding

    real = decoding.run_batched

    def run_batched(whisper, audio, **kwargs):  # noqa: ANN001, ANN202
        if hasattr(whisper, "transcribe_batched"):
            return whisper.transcribe_batched(audio, **kwargs)
        return real(whisper, audio, **kwargs)

    monkeypatch.setattr(decoding, "run_batched", run_batched)
