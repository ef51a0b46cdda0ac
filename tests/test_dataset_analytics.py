"""The conversation tables of the dataset: call_metrics, pii_counts, tracker_hits, and the SQL scorecard."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from perftel import create_provider, open_dataset, run_pipeline
from perftel.analytics import MONO_NOTE, call_metrics, scorecard
from perftel.analytics.tables import attach_tracker_hits
from perftel.cli import main
from perftel.models import TranscriptionResult, TranscriptionSegment
from perftel.storage import CompanyStorage
from perftel_sandbox import start_sandbox
from tests.dataset_helpers import T0, add_call, make_call
from tests.test_pipeline import DAY, WaveHeaderTranscriber

TRACKERS = """
[trackers.greeting]
speaker = "agent"
phrases = ["bom dia"]
"""


class AudioPathTranscriber(WaveHeaderTranscriber):
    """The stand-in, keeping the audio's path on the result as faster-whisper's transcriber does."""

    def transcribe(self, path, **kwargs) -> TranscriptionResult:
        result = super().transcribe(path, **kwargs)
        result.audio_path = str(path)
        return result


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox("goto_connect", seed=3) as sb:
        yield sb


def test_a_pipeline_run_fills_call_metrics_and_pii_counts(sandbox, fast_retries, tmp_path):
    provider = create_provider(
        "goto_connect", "acme", base_url=sandbox.base_url, credentials=sandbox.credentials
    )
    result = run_pipeline(
        provider, start_date=DAY, end_date=DAY, transcriber=AudioPathTranscriber(), data_dir=tmp_path
    )
    assert result.transcribed
    files = sorted((tmp_path / "acme" / "calls" / "transcriptions").glob("*.json"))
    stored = [json.loads(f.read_text()) for f in files]
    assert all(d["metrics"]["snapped"] for d in stored)  # the audio was at hand: edges snapped to speech
    with open_dataset("acme", tmp_path, update=False) as ds:
        metrics = ds.sql("SELECT * FROM call_metrics ORDER BY recording_id").df()
        assert sorted(metrics.recording_id) == sorted(t.recording_id for t in result.transcribed)
        by_id = {d["recording_id"]: d["metrics"] for d in stored}
        for row in metrics.itertuples():
            assert row.talk_seconds == by_id[row.recording_id]["talk_seconds"]
            assert row.snapped
        pii = ds.sql("SELECT kind, sum(count) AS n FROM pii_counts GROUP BY kind").df()
        expected: dict[str, int] = {}
        for d in stored:
            for kind, n in d["pii_counts"].items():
                expected[kind] = expected.get(kind, 0) + n
        assert dict(zip(pii.kind, pii.n, strict=True)) == {k: v for k, v in expected.items()}
        assert set(ds.sql("SELECT * FROM pii_counts LIMIT 0").columns) == {
            "company_id",
            "recording_id",
            "call_id",
            "kind",
            "count",
        }


def _transcript(call, segments, *, channels: int, duration: float = 60.0) -> TranscriptionResult:
    return TranscriptionResult(
        recording_id=call.recordings[0].id,
        text=" ".join(s.text for s in segments),
        segments=segments,
        language="pt",
        duration=duration,
        model="base",
        channels=channels,
    )


def test_index_computes_metrics_without_audio_empty_and_mono(tmp_path):
    storage = CompanyStorage("acme", tmp_path)
    storage.ensure()
    empty, mono = make_call(1), make_call(2)
    for call in (empty, mono):
        storage.save_call(call)
    storage.save_transcription(_transcript(empty, [], channels=2), prefix="goto_connect", call=empty)
    segs = [TranscriptionSegment(5.0, 15.0, "alô bom dia"), TranscriptionSegment(20.0, 30.0, "tudo bem")]
    storage.save_transcription(_transcript(mono, segs, channels=1), prefix="goto_connect", call=mono)
    assert main(["index", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    with open_dataset("acme", tmp_path, update=False) as ds:
        rows = ds.sql("SELECT * FROM call_metrics ORDER BY call_id").df().set_index("call_id")
    assert rows.loc["call-1", "talk_seconds"] == 0.0
    assert rows.loc["call-1", "silence_seconds"] == 60.0 and rows.loc["call-1", "silence_share"] == 1.0
    assert rows.loc["call-2", "speaker_metrics_note"] == MONO_NOTE
    assert pd.isna(rows.loc["call-2", "agent_talk_seconds"]) and rows.loc["call-2", "talk_seconds"] == 20.0
    assert not rows["snapped"].any()  # no audio: from the segments as written


def test_tenants_apart(tmp_path):
    add_call(CompanyStorage("acme", tmp_path), 1, [("agent", "bom dia"), ("customer", "oi")])
    add_call(CompanyStorage("beta", tmp_path), 2, [("agent", "olá"), ("customer", "oi")])
    with open_dataset("acme", tmp_path) as a, open_dataset("beta", tmp_path) as b:
        assert a.sql("SELECT call_id FROM call_metrics").df().call_id.tolist() == ["call-1"]
        assert b.sql("SELECT call_id FROM call_metrics").df().call_id.tolist() == ["call-2"]
        assert set(a.sql("SELECT company_id FROM call_metrics").df().company_id) == {"acme"}


def test_tracker_edit_changes_the_hits_after_reopen(tmp_path):
    storage = CompanyStorage("acme", tmp_path)
    add_call(storage, 1, [("agent", "bom dia tudo bem"), ("customer", "quero cancelar")], words=True)
    (tmp_path / "acme" / "trackers.toml").write_text(TRACKERS, encoding="utf-8")
    assert main(["index", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    with open_dataset("acme", tmp_path, update=False) as ds:
        hits = attach_tracker_hits(ds)
        assert hits.tracker.tolist() == ["greeting"] and hits.start_seconds.tolist() == [0.0]
        assert ds.sql("SELECT count(*) FROM tracker_hits").fetchall() == [(1,)]
    (tmp_path / "acme" / "trackers.toml").write_text(
        TRACKERS + '\n[trackers.churn]\nphrases = ["cancelar"]\n', encoding="utf-8"
    )
    assert main(["index", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    with open_dataset("acme", tmp_path, update=False) as ds:
        hits = attach_tracker_hits(ds)
        assert sorted(hits.tracker) == ["churn", "greeting"]
        churn = hits[hits.tracker == "churn"].iloc[0]
        assert churn.call_id == "call-1" and churn.speaker == "customer" and churn.start_seconds == 5.5
        assert ds.scorecard()["rate_churn"].tolist() == [1.0]


def test_sql_scorecard_equals_the_pandas_scorecard(tmp_path):
    storage = CompanyStorage("acme", tmp_path)
    storage.ensure()
    (tmp_path / "acme" / "trackers.toml").write_text(TRACKERS, encoding="utf-8")
    lines = [
        [("agent", "bom dia"), ("customer", "oi"), ("agent", "pois não")],
        [("customer", "alô"), ("agent", "boa tarde"), ("customer", "quero ajuda"), ("agent", "claro")],
        [("agent", "bom dia senhor"), ("customer", "bom dia")],
    ]
    calls = []
    for n in range(9):
        # 02:30 UTC is the previous local day in São Paulo: days and weeks are local
        start = T0.replace(hour=2, minute=30) + timedelta(days=n % 4, hours=(n % 3) * 6)
        calls.append(
            add_call(storage, n, lines[n % 3], started=start, agent=["Ana", "Bruno"][n % 2], words=True)
        )
    from perftel.analytics import parse_trackers
    from perftel.storage import CompanyStorage as _S

    frames = []
    hit_rows = []
    trackers = parse_trackers(TRACKERS)
    for result in _S("acme", tmp_path).load_transcriptions():
        call = next(c for c in calls if c.recordings[0].id == result.recording_id)
        row = call_metrics(
            result.segments, result.duration, call_id=call.id, channels=result.channels
        ).as_row()
        row.update(agent=call.participants[0].name, started_at=call.started_at)
        frames.append(row)
        hit_rows += [h.as_row() for h in trackers.find(result.segments, call_id=call.id, channels=2)]
    metrics = pd.DataFrame(frames)
    hits = pd.DataFrame(hit_rows)
    assert len(hits)
    with open_dataset("acme", tmp_path, tz="America/Sao_Paulo") as ds:
        for by, period in (("agent", None), ("day", "day"), ("week", "week")):
            got = ds.scorecard(by=by)
            want = scorecard(metrics, hits, period=period, timezone="America/Sao_Paulo")
            if period:
                got["period"] = pd.to_datetime(got["period"]).dt.date
            assert list(got.columns) == list(want.columns)
            pd.testing.assert_frame_equal(
                got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False, atol=1e-9
            )
        first_day = ds.scorecard("2026-03-01", "2026-03-01", by="day")
        assert set(first_day["period"].astype(str)) == {"2026-03-01"}


def test_load_conversations_reads_the_dataset_and_matches_the_files(tmp_path):
    from perftel.notebook import conversations as cv

    storage = CompanyStorage("acme", tmp_path)
    for n in range(4):
        add_call(
            storage,
            n,
            [("agent", "bom dia"), ("customer", "quero cancelar"), ("agent", "claro")],
            words=n % 2 == 0,
        )
    mono = make_call(9)
    storage.save_call(mono)
    segs = [TranscriptionSegment(1.0, 3.0, "alô bom dia")]
    storage.save_transcription(_transcript(mono, segs, channels=1), prefix="goto_connect", call=mono)
    (tmp_path / "acme" / "trackers.toml").write_text(TRACKERS, encoding="utf-8")
    files = cv.load_conversations("acme", tmp_path, use_dataset=False)
    assert not (tmp_path / "acme" / "dataset").exists()  # no dataset: computed from the files
    open_dataset("acme", tmp_path).close()
    from_dataset = cv.load_conversations("acme", tmp_path)
    for name in ("calls", "segments", "call_metrics", "tracker_hits"):
        got, want = getattr(from_dataset, name), getattr(files, name)
        assert list(got.columns) == list(want.columns), name
        pd.testing.assert_frame_equal(
            got.astype(object).where(got.notna(), None),
            want.astype(object).where(want.notna(), None),
            check_dtype=False,
            obj=name,
        )
    assert len(from_dataset.tracker_hits) == 5  # four two-channel greetings and the mono one
