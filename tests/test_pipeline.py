"""The pipeline against the GoTo sandbox over real HTTP: layout, resume, faults, failures, progress.

Most tests use a small stand-in transcriber (it reads the WAV header) so they exercise the pipeline
itself quickly; ``test_real_model_end_to_end`` runs the real bundled model.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from perftel import CancelToken, WhisperSettings, create_provider, run_pipeline
from perftel.errors import TranscriptionError
from perftel.models import TranscriptionResult, TranscriptionSegment
from perftel_sandbox import start_sandbox
from perftel_sandbox.speech import MEDIA_DIR
from tests.snapshots import snapshot

DAY = "2026-11-17"


class WaveHeaderTranscriber:
    """Test double with the Transcriber interface: 'transcribes' a WAV into its duration."""

    model_name = "wave-header"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def initialize(self) -> None:
        pass

    def transcribe(
        self, path, *, recording_id=None, channel_roles=None, language=None
    ) -> TranscriptionResult:
        self.calls.append(str(path))
        try:
            with wave.open(str(path)) as w:
                seconds = w.getnframes() / w.getframerate()
        except (wave.Error, EOFError) as exc:
            raise TranscriptionError(f"{path}: not audio ({exc})", path=str(path)) from exc
        roles = channel_roles or {}
        return TranscriptionResult(
            recording_id=recording_id or Path(path).stem,
            text=f"{seconds:.1f} seconds",
            segments=[
                TranscriptionSegment(0.0, seconds, f"{seconds:.1f} seconds", channel=0, speaker=roles.get(0))
            ],
            language="en",
            duration=seconds,
            model=self.model_name,
        )


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox("goto_connect", seed=3) as sb:
        yield sb


@pytest.fixture(autouse=True)
def _fast(fast_retries):
    """Every test here uses the fast retry waits."""


@pytest.fixture
def provider(sandbox):
    sandbox.faults.reset()
    return create_provider("goto_connect", "acme", base_url=sandbox.base_url, credentials=sandbox.credentials)


def test_pipeline_writes_the_documented_layout(provider, sandbox, tmp_path):
    progress = []
    result = run_pipeline(
        provider,
        start_date=DAY,
        end_date=DAY,
        transcriber=WaveHeaderTranscriber(),
        data_dir=tmp_path,
        on_progress=lambda *a: progress.append(a),
    )
    calls_dir = tmp_path / "acme" / "calls"
    assert result.output_dir == calls_dir
    assert result.calls, "the sandbox has calls that day"
    listing = json.loads(result.metadata_file.read_text())
    assert result.metadata_file.parent == calls_dir / "metadata" and result.metadata_file.name.startswith(
        "calls_goto_connect_"
    )
    assert listing["count"] == len(result.calls) and listing["complete"] is True
    assert len(list((calls_dir / "metadata").glob("detail_*.json"))) == len(result.calls)

    recordings = [r for c in result.calls for r in c.recordings]
    processing = [r for r in recordings if sandbox.is_processing(r.id)]
    assert len(result.downloaded) == len(recordings) - len(processing)
    assert {f.item for f in result.failed} == {r.id for r in processing}
    assert all(
        "still being processed" in f.reason and f.step == "download" and f.retryable for f in result.failed
    )
    assert result.only_retryable_failures
    for path in result.downloaded:
        assert path.parent == calls_dir / "recordings" and path.name.startswith("goto_connect_")
        stem = path.stem
        assert (calls_dir / "transcriptions" / f"{stem}.json").is_file()
        assert (calls_dir / "transcriptions" / f"{stem}.txt").is_file()
    assert len(result.transcribed) == len(result.downloaded)
    saved = json.loads(next((calls_dir / "transcriptions").glob("*.json")).read_text())
    assert {
        "recording_id",
        "text",
        "segments",
        "language",
        "duration",
        "model",
        "transcribed_at",
        "call",
    } <= set(saved)

    steps = [p[0] for p in progress]
    assert steps[0] == "login" and {"fetch", "download", "transcribe"} <= set(steps)
    for step in ("download", "transcribe"):
        mine = [(c, t) for s, c, t in progress if s == step]
        assert [c for c, _ in mine] == sorted(c for c, _ in mine) and mine[-1][0] == mine[-1][1]
    assert "calls listed" in result.summary()


def test_rerun_downloads_and_transcribes_nothing_again(provider, tmp_path):
    first = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    before = snapshot(tmp_path)
    again = WaveHeaderTranscriber()
    second = run_pipeline(provider, start_date=DAY, end_date=DAY, transcriber=again, data_dir=tmp_path)
    assert second.downloaded == [] and second.transcribed == [] and again.calls == []
    assert second.skipped_downloads == len(first.downloaded)
    assert second.skipped_transcriptions == len(first.transcribed)
    assert snapshot(tmp_path) == before


def test_faults_are_survived_with_the_same_result(provider, sandbox, tmp_path):
    clean = run_pipeline(
        provider,
        start_date=DAY,
        end_date=DAY,
        transcriber=WaveHeaderTranscriber(),
        data_dir=tmp_path / "clean",
    )
    sandbox.faults.rate_limit_burst = 3
    sandbox.faults.server_errors = 2
    sandbox.faults.truncate_media = 2
    faulty = run_pipeline(
        provider,
        start_date=DAY,
        end_date=DAY,
        transcriber=WaveHeaderTranscriber(),
        data_dir=tmp_path / "faulty",
    )
    assert snapshot(tmp_path / "clean" / "acme" / "calls") == snapshot(tmp_path / "faulty" / "acme" / "calls")
    assert [f.item for f in faulty.failed] == [f.item for f in clean.failed]


def test_broken_downloads_are_reported_then_finished_by_a_rerun(provider, sandbox, tmp_path):
    sandbox.faults.truncate_media = 10_000  # every media answer is cut short
    broken = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    recordings_dir = tmp_path / "acme" / "calls" / "recordings"
    assert broken.downloaded == [] and any(
        "arrived short" in f.reason or "broke off" in f.reason for f in broken.failed
    )
    assert list(recordings_dir.iterdir()) == []  # no partial file passes for a finished one
    sandbox.faults.reset()
    fixed = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    assert fixed.downloaded and all("still being processed" in f.reason for f in fixed.failed)


def test_a_call_listed_twice_is_kept_once(provider, tmp_path, monkeypatch):
    listing = provider.iter_calls

    def twice(start, end, **kw):
        calls = list(listing(start, end, **kw))
        yield from calls + calls[:3]

    monkeypatch.setattr(provider, "iter_calls", twice)
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    ids = [c.id for c in result.calls]
    assert len(ids) > 3 and len(ids) == len(set(ids))
    handled = [p.stem for p in result.downloaded] + [f.item for f in result.failed]
    assert len(handled) == len({r.id for c in result.calls for r in c.recordings}) == len(set(handled))


def test_a_recording_two_calls_name_is_downloaded_once(provider, tmp_path):
    from dataclasses import replace

    from perftel.download import download_recordings

    calls = [c for c in provider.fetch_calls(DAY, DAY) if c.recordings]
    shared = calls[0].recordings[0]
    calls[1] = replace(calls[1], recordings=[*calls[1].recordings, shared])
    report = download_recordings(provider, calls, tmp_path, prefix="t")
    fetched = [d.recording.id for d in report.recordings] + [f.item for f in report.failures]
    assert fetched.count(shared.id) == 1 and len(fetched) == len(set(fetched))


def test_a_corrupt_recording_fails_alone(provider, tmp_path):
    run_pipeline(provider, start_date=DAY, end_date=DAY, download=True, transcribe=False, data_dir=tmp_path)
    recordings = sorted((tmp_path / "acme" / "calls" / "recordings").iterdir())
    recordings[0].write_bytes(b"not audio at all")
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=WaveHeaderTranscriber(), data_dir=tmp_path
    )
    bad = [f for f in result.failed if f.step == "transcribe"]
    assert len(bad) == 1 and "not audio" in bad[0].reason
    assert len(result.transcribed) == len(recordings) - 1
    assert not (tmp_path / "acme" / "calls" / "transcriptions" / f"{recordings[0].stem}.json").exists()


def test_cancel_stops_between_items(provider, tmp_path):
    cancel = CancelToken()

    def progress(step, current, total):
        if step == "download" and current >= 1:
            cancel.cancel()

    result = run_pipeline(
        provider,
        start_date=DAY,
        end_date=DAY,
        transcriber=WaveHeaderTranscriber(),
        data_dir=tmp_path,
        on_progress=progress,
        cancel=cancel,
        max_downloads=1,
    )
    assert result.cancelled and result.transcribed == []
    assert "cancelled" in result.summary()


def test_tenants_do_not_mix(sandbox, tmp_path):
    for company in ("acme", "globex"):
        p = create_provider(
            "goto_connect", company, base_url=sandbox.base_url, credentials=sandbox.credentials
        )
        run_pipeline(p, start_date=DAY, end_date=DAY, download=False, data_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme", "globex"]


@pytest.mark.model
def test_real_model_end_to_end(sandbox, tmp_path):
    """The bundled base model transcribes the sandbox's two-channel calls: words and speakers."""
    media = json.loads((MEDIA_DIR / "transcripts.json").read_text())
    provider = create_provider(
        "goto_connect", "acme", base_url=sandbox.base_url, credentials=sandbox.credentials
    )
    calls = provider.fetch_calls(DAY, DAY)
    recorded = [c for c in calls if c.recordings and not sandbox.is_processing(c.recordings[0].id)]
    assert recorded
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, whisper=WhisperSettings("base"), data_dir=tmp_path
    )
    assert len(result.transcribed) == len({r.recordings[0].id for r in recorded})
    english = 0
    for transcription in result.transcribed:
        reference = media[sandbox.recording_media(transcription.recording_id)]
        assert {s.speaker for s in transcription.segments} <= {"agent", "customer"}
        assert transcription.segments and transcription.duration > 10
        if reference["language"] != "en":
            continue  # espeak-ng's Portuguese voice is too robotic for language detection (see README)
        english += 1
        words = {w.strip(".,?!").lower() for s in reference["segments"] for w in s["text"].split()}
        heard = {w.strip(".,?!").lower() for w in transcription.text.split()}
        assert len(words & heard) / len(words) > 0.45, (transcription.text, reference)
        assert transcription.language == "en"
        assert {s.speaker for s in transcription.segments} == {"agent", "customer"}
    assert english >= 1


def test_whisper_settings_are_given_once(sandbox, tmp_path):
    """``whisper=`` makes the run's transcriber; with a ready one (or an executor) it is refused at once."""
    from perftel.errors import ConfigError

    with pytest.raises(ConfigError, match="once") as refused:
        run_pipeline(
            "goto_connect",
            "acme",
            start_date=DAY,
            end_date=DAY,
            base_url=sandbox.base_url,
            credentials=sandbox.credentials,
            transcriber=WaveHeaderTranscriber(),
            whisper=WhisperSettings("tiny.en"),
            data_dir=tmp_path,
        )
    assert refused.value.field == "whisper"
    assert not (tmp_path / "acme").exists()  # nothing was written


def test_whisper_settings_and_the_company_vocabulary_reach_every_call(provider, tmp_path, monkeypatch):
    """The run's transcriber is made from ``whisper=``; each call is decoded with those options plus the
    company's vocabulary (it used to be lost when the pipeline made the transcriber itself)."""
    import perftel.transcribe
    from perftel.transcribe import TranscribeOptions

    made: list[WhisperSettings] = []
    decoded: list[TranscribeOptions | None] = []

    class Recording(WaveHeaderTranscriber):
        num_workers, _whisper = 1, "loaded"

        def __init__(self, settings: WhisperSettings) -> None:
            super().__init__()
            made.append(settings)

        def transcribe(self, path, *, options=None, **kwargs) -> TranscriptionResult:
            decoded.append(options)
            return super().transcribe(path, **kwargs)

    monkeypatch.setattr(perftel.transcribe, "Transcriber", Recording)
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "settings.toml").write_text('[vocabulary]\nterms = ["Vivo Fibra"]\n', "utf-8")
    whisper = WhisperSettings("tiny.en", cpu_threads=1).with_options(beam_size=1)
    result = run_pipeline(provider, start_date=DAY, end_date=DAY, whisper=whisper, data_dir=tmp_path)
    assert result.transcribed and made == [whisper]
    assert len(decoded) == len(result.transcribed)
    assert all(o.beam_size == 1 and o.hotwords == "Vivo Fibra" for o in decoded)
