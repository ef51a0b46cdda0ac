"""Transcription on a Dask cluster (LocalCluster with worker processes) gives the local executor's results."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from perftel import create_provider, run_pipeline
from perftel.errors import ConfigError, TranscriptionError
from perftel.executors import DaskExecutor, LocalExecutor, TranscriptionJob, transcribe_frame
from perftel.progress import CancelToken
from perftel.transcribe import Transcriber, WhisperSettings
from perftel_sandbox import start_sandbox
from tests.transcripts import WORD_RATIO, assert_nearly_same, word_ratio

pytestmark = pytest.mark.model
MODEL = "tiny.en"


@pytest.fixture(scope="module")
def client():
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def files(audio_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    names = ["en_jfk_inaugural.flac", "en_fleurs_003.ogg", "en_stereo_2ch_librispeech.wav"]
    for name in names:
        shutil.copy(audio_dir / name, folder / name)
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00WAVEnot really")
    return folder, names


def jobs_for(folder, names):
    return [TranscriptionJob(str(folder / n), n, {0: "agent", 1: "customer"}) for n in names]


def test_dask_gives_the_local_results(client, files):
    folder, names = files
    local = {
        j.recording_id: r
        for j, r in LocalExecutor(Transcriber(WhisperSettings(MODEL))).run(
            jobs_for(folder, names), cancel=CancelToken()
        )
    }
    executor = DaskExecutor(client, settings=WhisperSettings(MODEL, "cpu", "int8"))
    executor.check()
    remote = {j.recording_id: r for j, r in executor.run(jobs_for(folder, names), cancel=CancelToken())}
    assert set(remote) == set(names)
    for (
        name
    ) in names:  # model output is not bit-reproducible across processes: near-equality (tests/transcripts.py)
        assert_nearly_same(remote[name], local[name])
    assert "ask not what your country" in remote["en_jfk_inaugural.flac"].text.lower()


def test_audio_travels_as_bytes_without_shared_storage(client, files):
    folder, names = files
    executor = DaskExecutor(client, settings=WhisperSettings(MODEL, "cpu", "int8"), shared_storage=False)
    ((job, result),) = list(executor.run(jobs_for(folder, names[:1]), cancel=CancelToken()))
    assert "ask not what your country" in result.text.lower() and result.audio_path == str(folder / names[0])


def test_a_failing_task_is_reported_not_dropped(client, files):
    folder, names = files
    executor = DaskExecutor(client, settings=WhisperSettings(MODEL, "cpu", "int8"), retries=1)
    outcomes = dict(
        (j.recording_id, r)
        for j, r in executor.run(jobs_for(folder, ["broken.wav", names[1]]), cancel=CancelToken())
    )
    assert isinstance(outcomes["broken.wav"], TranscriptionError) and "broken.wav" in str(
        outcomes["broken.wav"]
    )
    assert "cabbage" in outcomes[names[1]].text.lower()


def test_pipeline_on_dask_matches_local(client, tmp_path):
    with start_sandbox("goto_connect", seed=3) as sb:
        provider = create_provider("goto_connect", "acme", base_url=sb.base_url, credentials=sb.credentials)
        progress = []
        remote = run_pipeline(
            provider,
            start_date="2026-11-17",
            end_date="2026-11-17",
            data_dir=tmp_path / "dask",
            # one thread per call on both sides: int8 results depend on the thread layout, compare like with like
            executor=DaskExecutor(client, settings=WhisperSettings(MODEL, "cpu", "int8", cpu_threads=1)),
            on_progress=lambda *a: progress.append(a),
        )
        local = run_pipeline(
            provider,
            start_date="2026-11-17",
            end_date="2026-11-17",
            data_dir=tmp_path / "local",
            whisper=WhisperSettings(MODEL, cpu_threads=1),
        )
    assert remote.transcribed and len(remote.transcribed) == len(local.transcribed)
    by_id = {r.recording_id: r for r in local.transcribed}
    english = [r for r in remote.transcribed if sb.recording_media(r.recording_id).startswith("en_")]
    assert english
    for result in english:
        assert_nearly_same(result, by_id[result.recording_id])
    done = [c for s, c, t in progress if s == "transcribe"]
    assert done[-1] == len(remote.transcribed)
    assert sorted(
        p.name for p in (tmp_path / "dask" / "acme" / "calls" / "transcriptions").iterdir()
    ) == sorted(p.name for p in (tmp_path / "local" / "acme" / "calls" / "transcriptions").iterdir())


def test_unreachable_scheduler_fails_before_any_work():
    with pytest.raises(ConfigError, match="Cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", settings=WhisperSettings(MODEL), connect_timeout=2)


def test_workers_without_the_model_are_named(client, tmp_path):
    with pytest.raises(ConfigError, match="no-such-model"):  # not a model at all: refused before the cluster
        WhisperSettings(str(tmp_path / "no-such-model"))
    empty = tmp_path / "empty-model"  # a folder, but no weights in it: only loading it on a worker fails
    empty.mkdir()
    executor = DaskExecutor(client, settings=WhisperSettings(str(empty)))
    with pytest.raises(ConfigError, match="Dask worker tcp://"):
        executor.check()


def test_transcribe_frame_with_map_partitions(files):
    import dask.dataframe as dd

    folder, names = files
    frame = pd.DataFrame({"path": [str(folder / n) for n in [names[0], "broken.wav"]]})
    plain = transcribe_frame(frame, settings=WhisperSettings(MODEL))
    assert list(plain.columns) == ["path", "text", "language", "duration", "segments", "error"]
    assert "ask not" in plain.text[0].lower() and "broken.wav" in plain.error[1] and pd.isna(plain.text[1])
    meta = transcribe_frame(frame.iloc[:0], settings=WhisperSettings(MODEL))
    lazy = dd.from_pandas(frame, npartitions=2).map_partitions(
        transcribe_frame, settings=WhisperSettings(MODEL), meta=meta
    )
    assert word_ratio(lazy.compute(scheduler="sync").text.tolist()[0], plain.text[0]) >= WORD_RATIO


def test_concurrent_local_executor_matches_one_at_a_time(files):
    folder, names = files
    todo = jobs_for(folder, names + ["broken.wav"])
    serial = list(
        LocalExecutor(Transcriber(WhisperSettings(MODEL, cpu_threads=2)), workers=1).run(
            todo, cancel=CancelToken()
        )
    )
    concurrent = LocalExecutor(Transcriber(WhisperSettings(MODEL)), workers=2, threads=1)
    assert concurrent.transcriber.num_workers == 2
    together = list(concurrent.run(todo, cancel=CancelToken()))
    assert [j.recording_id for j, _ in together] == [j.recording_id for j, _ in serial]  # job order kept
    for (_, one), (_, two) in zip(serial, together, strict=True):
        if isinstance(one, TranscriptionError):
            assert isinstance(two, TranscriptionError) and "broken.wav" in str(two)
        else:
            assert_nearly_same(one, two)
