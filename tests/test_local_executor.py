"""The local executor runs several calls at once on one model: same results, job order, failures, cancel.

The model is a recording stand-in (tests/fake_whisper.py); VAD, levelling and packing are real.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from perftel.errors import ConfigError, TranscriptionError
from perftel.executors import LocalExecutor, TranscriptionJob
from perftel.progress import CancelToken
from perftel.transcribe import Transcriber, WhisperSettings
from tests.fake_whisper import FakeWhisper
from tests.transcripts import assert_nearly_same

NAMES = ["en_jfk_inaugural.flac", "en_fleurs_003.ogg", "en_stereo_2ch_librispeech.wav", "pt_fleurs_001.ogg"]


@pytest.fixture(scope="module")
def folder(audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("calls")
    for name in NAMES:
        shutil.copy(audio_dir / name, folder / name)
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00WAVEnot really")
    return folder


def jobs(folder: Path, names: list[str]) -> list[TranscriptionJob]:
    return [TranscriptionJob(str(folder / n), n, {0: "agent", 1: "customer"}, "en") for n in names]


def executor(workers: int, whisper: FakeWhisper | None = None) -> LocalExecutor:
    run = LocalExecutor(Transcriber(WhisperSettings("base")), workers=workers, threads=1)
    run.transcriber._whisper = whisper or FakeWhisper()  # no model load: check() keeps it
    return run


class MeetingWhisper(FakeWhisper):
    """Its first two calls wait for each other: passes only when two calls are inside the model at once."""

    def __init__(self) -> None:
        super().__init__()
        self.barrier = threading.Barrier(2, timeout=60)
        self.met = 0

    def transcribe(self, audio, language=None, **kwargs):  # noqa: ANN001, ANN201
        with self.lock:
            first_two = self.met < 2
            self.met += 1
        if first_two:
            self.barrier.wait()  # BrokenBarrierError (a failed call) if the executor ran calls one by one
        return super().transcribe(audio, language, **kwargs)


def test_concurrent_gives_the_serial_results_in_job_order(folder: Path) -> None:
    names = NAMES + ["broken.wav"] + NAMES
    serial = list(executor(1).run(jobs(folder, names), cancel=CancelToken()))
    many = executor(2)
    assert many.workers == 2 and many.transcriber.num_workers == 2 and many.transcriber.cpu_threads == 1
    concurrent = list(many.run(jobs(folder, names), cancel=CancelToken()))
    assert [job.recording_id for job, _ in concurrent] == names  # job order, every job once
    for (_, mine), (_, theirs) in zip(serial, concurrent, strict=True):
        if isinstance(mine, TranscriptionError):
            assert isinstance(theirs, TranscriptionError) and str(theirs) == str(mine)
        else:
            assert_nearly_same(mine, theirs)
            assert mine.decoding["encoder_windows"] == theirs.decoding["encoder_windows"]


def test_calls_really_run_at_the_same_time(folder: Path) -> None:
    run = executor(2, MeetingWhisper())
    outcomes = [outcome for _, outcome in run.run(jobs(folder, NAMES), cancel=CancelToken())]
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes


def test_cancel_starts_no_new_call(folder: Path) -> None:
    whisper = FakeWhisper()
    run = executor(2, whisper)
    token = CancelToken()
    names = NAMES * 3
    seen = []
    for job, _ in run.run(jobs(folder, names), cancel=token):
        seen.append(job.recording_id)
        token.cancel()
    # at most the calls queued when cancel came (2 × workers) are finished; the rest never start
    assert 1 <= len(seen) <= 4 and seen == names[: len(seen)]


def test_a_failing_model_call_is_reported_for_that_call_only(folder: Path) -> None:
    from dataclasses import replace

    from perftel.transcribe import TranscribeOptions

    run = executor(2, FakeWhisper(fail_on="boom"))
    todo = jobs(folder, NAMES)
    todo[1] = replace(todo[1], options=TranscribeOptions(hotwords="boom"))
    outcomes = dict((job.recording_id, outcome) for job, outcome in run.run(todo, cancel=CancelToken()))
    assert isinstance(outcomes[NAMES[1]], TranscriptionError) and "fake model failure" in str(
        outcomes[NAMES[1]]
    )
    assert all(not isinstance(outcomes[n], Exception) for n in NAMES if n != NAMES[1])


def test_stopping_early_leaves_queued_calls_unstarted(folder: Path) -> None:
    every = FakeWhisper()
    list(executor(1, every).run(jobs(folder, NAMES * 4), cancel=CancelToken()))
    whisper = FakeWhisper()
    results = executor(2, whisper).run(jobs(folder, NAMES * 4), cancel=CancelToken())
    next(results)
    results.close()  # the reader stops (e.g. an exception in the pipeline)
    assert 0 < len(whisper.calls) < len(every.calls)


def test_workers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from perftel.config import transcription_concurrency

    monkeypatch.delenv("PERFTEL_TRANSCRIBE_WORKERS", raising=False)
    assert transcription_concurrency(2) == (2, 1)
    assert transcription_concurrency(1) == (1, 1)
    assert transcription_concurrency(16) == (4, 4)
    monkeypatch.setenv("PERFTEL_TRANSCRIBE_WORKERS", "1")
    assert transcription_concurrency(2) == (1, 2)
    assert LocalExecutor(Transcriber(WhisperSettings("base"))).workers == 1
    monkeypatch.setenv("PERFTEL_TRANSCRIBE_WORKERS", "lots")
    with pytest.raises(ConfigError, match="PERFTEL_TRANSCRIBE_WORKERS"):
        transcription_concurrency(2)


def test_a_loaded_transcriber_is_used_as_it_is() -> None:
    transcriber = Transcriber(WhisperSettings("base", cpu_threads=2))
    transcriber._whisper = FakeWhisper()
    run = LocalExecutor(transcriber, workers=2)
    assert run.transcriber is transcriber and run.workers == 1
