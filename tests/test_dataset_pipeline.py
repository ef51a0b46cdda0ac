"""The pipeline updates the dataset at the end of every run; a failing update never loses the run."""

from __future__ import annotations

import pytest

from perftel import create_provider, open_dataset, run_pipeline
from perftel.dataset import index
from perftel.errors import StorageError
from perftel_sandbox import start_sandbox
from tests.test_pipeline import DAY, WaveHeaderTranscriber


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox("goto_connect", seed=3) as sb:
        yield sb


@pytest.fixture
def provider(sandbox, fast_retries):
    sandbox.faults.reset()
    return create_provider("goto_connect", "acme", base_url=sandbox.base_url, credentials=sandbox.credentials)


def test_a_run_leaves_the_dataset_up_to_date(provider, tmp_path):
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    assert result.calls and result.transcribed
    assert not [f for f in result.failed if f.step == "index"]
    with open_dataset("acme", tmp_path, update=False) as ds:
        assert sorted(ds.calls().call_id) == sorted(c.id for c in result.calls)
        assert sorted(ds.transcripts().recording_id) == sorted(t.recording_id for t in result.transcribed)
        assert len(ds.segments()) == sum(len(t.segments) for t in result.transcribed)


def test_a_failing_update_is_reported_and_the_files_stay(provider, tmp_path, monkeypatch):
    def broken(storage, **kwargs):
        raise StorageError("disk full")

    monkeypatch.setattr(index, "update", broken)
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    failures = [f for f in result.failed if f.step == "index"]
    assert len(failures) == 1 and "disk full" in failures[0].reason and "perftel index" in failures[0].reason
    assert result.transcribed and len(
        list((tmp_path / "acme" / "calls" / "transcriptions").glob("*.json"))
    ) == len(result.transcribed)
    monkeypatch.undo()
    with open_dataset("acme", tmp_path) as ds:  # the next open (or run) builds it from the files
        assert len(ds.transcripts()) == len(result.transcribed)


def test_a_corrupt_store_is_rebuilt_by_the_next_run(provider, tmp_path):
    run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    (tmp_path / "acme" / "dataset" / "manifest.json").write_text("\x00garbage")
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    assert not [f for f in result.failed if f.step == "index"]
    with open_dataset("acme", tmp_path, update=False) as ds:
        assert len(ds.calls()) == len(result.calls)
