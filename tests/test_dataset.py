"""The dataset: tables from the JSON files, incremental update, bad input, search, aggregates, export."""

from __future__ import annotations

import json
import os
import unicodedata
from datetime import date, datetime, timezone

import pandas as pd
import pyarrow as pa
import pytest

import perftel
from perftel.dataset import compact, index, open_dataset, schema, search_text, update_dataset
from perftel.errors import ConfigError
from perftel.storage import CompanyStorage
from tests.dataset_helpers import add_call

SP = "America/Sao_Paulo"
LINES = [
    ("agent", "Bom dia, em que posso ajudar?"),
    ("customer", "Quero informações sobre a minha conta, por favor."),
    ("agent", "Claro. O desconto é de 50% no plano_basico; contato amanhã."),
]


@pytest.fixture
def storage(tmp_path):
    return CompanyStorage("acme", tmp_path).ensure()


def _ds(storage, **kwargs):
    return open_dataset(storage.company_id, storage.data_dir, tz=kwargs.pop("tz", SP), **kwargs)


def test_tables_carry_the_files_in_field_terms(storage):
    add_call(storage, 0, LINES, words=True)
    add_call(storage, 1, None, answered=False)
    with _ds(storage) as ds:
        calls = ds.calls()
        assert list(calls.call_id) == ["call-0", "call-1"]
        first = calls.iloc[0]
        assert (
            first.company_id == "acme" and first.provider == "goto_connect" and first.direction == "INBOUND"
        )
        assert first.start_utc == pd.Timestamp("2026-03-01 12:00", tz="UTC")
        assert first.start_local == pd.Timestamp("2026-03-01 09:00") and first.timezone == SP  # UTC-3
        assert first.duration_seconds == 240.0 and first.answered and not calls.iloc[1].answered
        assert first.from_number == "+5511999990000" and first.agents == "Ana"
        assert set(ds.sql("SELECT role FROM participants").df().role) == {"agent", "customer"}
        rec = ds.sql("SELECT * FROM recordings WHERE call_id = 'call-0'").df().iloc[0]
        assert (
            rec.recording_id == "rec-0"
            and rec.channels == 2
            and json.loads(rec.channel_roles)["1"] == "customer"
        )
        tr = ds.transcripts().iloc[0]
        assert (tr.recording_id, tr.call_id, tr.language, tr.model) == ("rec-0", "call-0", "pt", "base")
        assert tr.language_probability == 0.97 and tr.audio_seconds == 240.0 and tr.processing_seconds == 12.5
        assert tr.segment_count == 3 and tr.word_count == sum(len(t.split()) for _, t in LINES)
        segs = ds.segments()
        assert list(segs.segment_index) == [0, 1, 2] and list(segs.speaker) == ["agent", "customer", "agent"]
        assert segs.start_seconds.tolist() == [0.0, 5.0, 10.0] and segs.talk_seconds.tolist() == [4.0] * 3
        assert (segs.company_id == "acme").all() and segs.text[1] == LINES[1][1]
        words = ds.sql("SELECT * FROM words ORDER BY segment_index, word_index").df()
        assert len(words) == tr.word_count and words.word[0] == "Bom" and (words.call_id == "call-0").all()
        for table in ds.tables:
            assert "company_id" in ds.sql(f"SELECT * FROM {table} LIMIT 0").columns


def test_calls_dates_are_local_days_and_filters_are_columns(storage):
    # 02:30 UTC on 2 March is still 1 March in São Paulo (UTC-3).
    add_call(storage, 0, None, started=datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc))
    add_call(storage, 1, None, started=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc), answered=False)
    with _ds(storage) as ds:
        assert list(ds.calls("2026-03-01", "2026-03-01").call_id) == ["call-0"]
        assert list(ds.calls(date(2026, 3, 2), date(2026, 3, 2)).call_id) == ["call-1"]
        assert list(ds.calls(pd.Timestamp("2026-03-02")).call_id) == ["call-1"]
        assert list(ds.calls(end="2026-03-01").call_id) == ["call-0"]
        assert list(ds.calls(answered=False).call_id) == ["call-1"]
        assert list(ds.calls(call_id=["call-0", "nope"]).call_id) == ["call-0"]
        with pytest.raises(ConfigError, match="no column"):
            ds.calls(colour="red")
        with pytest.raises(ConfigError):
            ds.calls("2026-03-05", "2026-03-01")
    with _ds(storage, tz="UTC") as ds:
        assert list(ds.calls("2026-03-02", "2026-03-02").call_id) == ["call-0", "call-1"]


def test_the_company_time_zone_comes_from_its_settings(storage, monkeypatch):
    from perftel.company import save_setting

    monkeypatch.delenv("PERFTEL_TIMEZONE", raising=False)
    add_call(storage, 0, None, started=datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc))
    save_setting("acme", "timezone", SP, storage.data_dir)
    with open_dataset("acme", storage.data_dir) as ds:
        assert ds.tz.key == SP
        assert ds.calls().start_local[0] == pd.Timestamp("2026-03-01 23:30")
        assert len(ds.calls("2026-03-01", "2026-03-01")) == 1
    monkeypatch.setenv("PERFTEL_TIMEZONE", "UTC")
    with open_dataset("acme", storage.data_dir) as ds:
        assert ds.tz.key == "UTC" and ds.calls("2026-03-01", "2026-03-01").empty


def test_aggregates_for_charts(storage):
    add_call(
        storage, 0, LINES, started=datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc)
    )  # local 1 March 23:30
    add_call(storage, 1, LINES, started=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc), agent="Bia")
    add_call(storage, 2, None, started=datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc), answered=False)
    with _ds(storage) as ds:
        per_day = ds.calls_per_day()
        assert [d.isoformat() for d in pd.to_datetime(per_day.day).dt.date] == ["2026-03-01", "2026-03-02"]
        assert per_day.calls.tolist() == [1, 2] and per_day.missed.tolist() == [0, 1]
        assert per_day.answered_share.tolist() == [1.0, 0.5]
        per_hour = ds.calls_per_hour()
        assert len(per_hour) == 24 and per_hour.set_index("hour").calls[23] == 1 and per_hour.calls.sum() == 3
        share = ds.answered_share().set_index("direction")
        assert share.calls["ALL"] == 3 and share.answered_share["ALL"] == pytest.approx(2 / 3)
        stats = ds.duration_stats().set_index("direction")
        assert stats.calls["ALL"] == 2 and stats.median_seconds["ALL"] == 240.0
        talk = ds.talk_seconds_per_agent().set_index("agent")
        assert set(talk.index) == {"Ana", "Bia"}
        assert talk.agent_talk_seconds["Ana"] == 8.0 and talk.customer_talk_seconds["Ana"] == 4.0
        assert talk.talk_to_listen["Bia"] == 2.0
        assert ds.calls_per_day("2026-03-02", "2026-03-02").calls.tolist() == [2]


def test_update_follows_new_changed_and_deleted_files(storage):
    add_call(storage, 0, LINES)
    add_call(storage, 1, LINES)
    first = update_dataset("acme", storage.data_dir)
    assert first.rebuilt and first.added == 4
    again = update_dataset("acme", storage.data_dir)
    assert (again.added, again.changed, again.deleted, again.unchanged, again.parts_written) == (
        0,
        0,
        0,
        4,
        0,
    )

    add_call(storage, 2, LINES)
    add_call(storage, 1, [("agent", "Texto novo")])  # the same call transcribed again: rows replaced
    json_path = storage.transcription_paths("goto_connect", "rec-0")[0]
    json_path.unlink()  # a deleted transcription
    report = update_dataset("acme", storage.data_dir)
    # call-1's detail was saved again with the same bytes: recognised, not re-indexed
    assert (report.added, report.changed, report.deleted, report.unchanged) == (2, 1, 1, 2)
    with _ds(storage) as ds:
        assert sorted(ds.transcripts().recording_id) == ["rec-1", "rec-2"]
        assert ds.segments(recording_id="rec-1").text.tolist() == ["Texto novo"]
        assert sorted(ds.calls().call_id) == ["call-0", "call-1", "call-2"]  # the call itself is still there
        assert ds.search("informacoes").recording_id.tolist() == ["rec-2"]


def test_rebuild_gives_what_the_updates_gave(storage):
    for n in range(6):
        add_call(storage, n, LINES)
        update_dataset("acme", storage.data_dir)
    storage.transcription_paths("goto_connect", "rec-3")[0].unlink()
    update_dataset("acme", storage.data_dir)
    with _ds(storage) as ds:
        before = {t: ds.sql(f"SELECT * EXCLUDE (company_id) FROM {t} ORDER BY ALL").df() for t in ds.tables}
    report = update_dataset("acme", storage.data_dir, rebuild=True)
    assert report.rebuilt and report.added == 11
    with _ds(storage) as ds:
        for table, frame in before.items():
            pd.testing.assert_frame_equal(
                ds.sql(f"SELECT * EXCLUDE (company_id) FROM {table} ORDER BY ALL").df(), frame
            )


def test_compaction_keeps_few_parts_and_retired_parts_go_after_the_grace(storage, monkeypatch):
    for n in range(20):
        add_call(storage, n, LINES)
        update_dataset("acme", storage.data_dir)
    root = index.dataset_dir(storage)
    manifest = index.read_manifest(root)
    assert len(manifest["parts"]) < 8, manifest["parts"]
    assert sum(p["sources"] for p in manifest["parts"]) == 40
    retired = {r["id"] for r in manifest["retired"]}
    assert retired and all(
        (root / "parts" / r).is_dir() for r in retired
    )  # a reader on the old manifest still works
    monkeypatch.setattr(compact, "RETIRED_GRACE_SECONDS", 0.0)
    update_dataset("acme", storage.data_dir)
    assert not any((root / "parts" / r).exists() for r in retired)
    with _ds(storage) as ds:
        assert ds.sql("SELECT count(*) FROM segments").fetchall()[0][0] == 60


def test_mostly_dead_part_is_rewritten(storage):
    for n in range(8):
        add_call(storage, n, LINES)
    update_dataset("acme", storage.data_dir)
    for n in range(5):  # 5 of the part's 16 files: more than a quarter dead
        storage.transcription_paths("goto_connect", f"rec-{n}")[0].unlink()
    report = update_dataset("acme", storage.data_dir)
    manifest = index.read_manifest(index.dataset_dir(storage))
    assert report.parts_merged == 1 and not manifest["dead"]
    with _ds(storage) as ds:
        assert ds.sql("SELECT count(*) FROM transcripts").fetchall()[0][0] == 3


def test_corrupt_json_is_skipped_and_named(storage):
    add_call(storage, 0, LINES)
    (storage.transcriptions_dir / "goto_connect_half.json").write_text('{"recording_id": "x", "segm')
    (storage.metadata_dir / "detail_bad.json").write_text('{"id": "no provider"}')
    (storage.transcriptions_dir / ".goto_connect_tmp.json.part").write_text(
        "{"
    )  # a writer's temp file: ignored
    report = update_dataset("acme", storage.data_dir)
    skipped = dict(report.skipped)
    assert set(skipped) == {"calls/transcriptions/goto_connect_half.json", "calls/metadata/detail_bad.json"}
    assert "goto_connect_half.json" in report.summary()
    with _ds(storage) as ds:
        assert ds.calls().call_id.tolist() == ["call-0"] and len(ds.segments()) == 3


def test_a_big_update_reads_in_worker_processes_with_the_same_result(storage, monkeypatch):
    for n in range(12):
        add_call(storage, n, LINES, words=n % 2 == 0)
    (storage.transcriptions_dir / "goto_connect_half.json").write_text("{")
    serial = update_dataset("acme", storage.data_dir, rebuild=True)
    with _ds(storage) as ds:
        before = {t: ds.sql(f"SELECT * FROM {t} ORDER BY ALL").df() for t in ds.tables}
    monkeypatch.setattr(index, "PARALLEL_MIN_FILES", 4)
    parallel = update_dataset("acme", storage.data_dir, rebuild=True)
    assert parallel.parts_written >= 2 and parallel.added == serial.added == 24
    assert parallel.skipped == serial.skipped and len(parallel.skipped) == 1
    with _ds(storage) as ds:
        for table, frame in before.items():
            pd.testing.assert_frame_equal(ds.sql(f"SELECT * FROM {table} ORDER BY ALL").df(), frame)


def test_worker_processes_are_kept_for_chunk_after_chunk(storage, monkeypatch, caplog):
    from perftel.dataset import worker

    for n in range(12):
        add_call(storage, n, LINES, words=n % 2 == 0)
    serial = update_dataset("acme", storage.data_dir, rebuild=True)
    with _ds(storage) as ds:
        before = {t: ds.sql(f"SELECT * FROM {t} ORDER BY ALL").df() for t in ds.tables}
    started = []
    real_init = worker._Worker.__init__

    def counting_init(self, *args):
        started.append(self)
        real_init(self, *args)

    monkeypatch.setattr(worker._Worker, "__init__", counting_init)
    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(index, "PARALLEL_MIN_FILES", 4)
    monkeypatch.setattr(index, "PART_MAX_SOURCES", 5)  # 24 files: 5 chunks for 2 processes
    caplog.set_level("INFO", logger="perftel.dataset")
    parallel = update_dataset("acme", storage.data_dir, rebuild=True)
    assert parallel.parts_written == 5 and parallel.added == serial.added == 24
    assert len(started) == 2 and not any(w.broken for w in started)
    assert all(w.proc.returncode == 0 for w in started)
    assert "could not index" not in caplog.text
    with _ds(storage) as ds:
        for table, frame in before.items():
            pd.testing.assert_frame_equal(ds.sql(f"SELECT * FROM {table} ORDER BY ALL").df(), frame)


@pytest.mark.parametrize("damage", ["garbage", "version", "missing part", "tables"])
def test_a_broken_store_is_rebuilt_with_a_message(storage, damage):
    add_call(storage, 0, LINES)
    update_dataset("acme", storage.data_dir)
    root = index.dataset_dir(storage)
    manifest = json.loads((root / "manifest.json").read_text())
    if damage == "garbage":
        (root / "manifest.json").write_text("{not json")
    elif damage == "version":
        (root / "manifest.json").write_text(json.dumps({**manifest, "version": 999}))
    elif damage == "tables":
        (root / "manifest.json").write_text(json.dumps({**manifest, "tables": ["calls"]}))
    else:
        (root / "parts" / manifest["parts"][0]["id"] / "segments.parquet").unlink()
    with pytest.raises(perftel.StorageError):
        index.read_manifest(root)
    report = update_dataset("acme", storage.data_dir)
    assert report.rebuilt and report.messages and "Rebuilding" in report.messages[0]
    with _ds(storage, update=False) as ds:
        assert len(ds.segments()) == 3


def test_open_builds_a_missing_store_and_never_writes_with_update_false(storage):
    add_call(storage, 0, LINES)
    with _ds(storage, update=False) as ds:
        assert ds.calls().empty and ds.segments().empty  # typed, empty tables
        assert "start_local" in ds.calls().columns
    assert not (index.dataset_dir(storage) / "manifest.json").exists()
    with _ds(storage) as ds:
        assert len(ds.calls()) == 1


def test_reader_follows_updates(storage):
    add_call(storage, 0, LINES)
    with _ds(storage) as ds:
        assert len(ds.calls()) == 1
        add_call(storage, 1, LINES)
        update_dataset("acme", storage.data_dir)
        assert len(ds.calls()) == 2 and len(ds.search("conta")) == 2


# -- search -------------------------------------------------------------------------------------------
def test_search_text_normal_form():
    assert search_text("Informações, já!") == " informacoes ja "
    assert search_text(unicodedata.normalize("NFD", "INFORMAÇÕES")) == " informacoes "
    assert search_text("  ...  ") == ""


def test_search_is_accent_case_and_form_insensitive(storage):
    add_call(storage, 0, LINES)
    add_call(storage, 1, [("customer", unicodedata.normalize("NFD", "Preciso de INFORMAÇÕES já"))])
    with _ds(storage) as ds:
        for query in [
            "informacoes",
            "INFORMAÇÕES",
            unicodedata.normalize("NFD", "informações"),
            unicodedata.normalize("NFC", "Informações"),
        ]:
            assert sorted(ds.search(query).call_id) == ["call-0", "call-1"], query
        hit = ds.search("informacoes", speaker="customer").set_index("call_id").loc["call-0"]
        assert hit.text == LINES[1][1] and hit.speaker == "customer" and hit.start_seconds == 5.0
        assert hit.context_before == LINES[0][1] and hit.context_after == LINES[2][1]
        assert hit.call_start_local == pd.Timestamp("2026-03-01 09:00")
        assert ds.search("informacoes", speaker="agent").empty


def test_search_whole_words_and_phrases(storage):
    add_call(storage, 0, LINES)
    with _ds(storage) as ds:
        assert len(ds.search("conta")) == 1
        assert ds.search("cont").empty and ds.search("contat").empty  # whole words only
        assert len(ds.search('"minha conta"')) == 1
        assert ds.search('"conta minha"').empty  # a phrase keeps its order
        assert len(ds.search('"sobre a minha" informacoes')) == 1
        assert ds.search('"minha conta" desconto').empty  # every term in the same segment
        assert len(ds.search('"minha conta')) == 1  # an unbalanced quote: the words as they are


def test_search_takes_sql_characters_literally(storage):
    add_call(storage, 0, LINES)
    add_call(storage, 1, [("agent", "O valor é 500 reais")])
    with _ds(storage) as ds:
        assert ds.search("50%").call_id.tolist() == ["call-0"]  # not a LIKE wildcard: 500 does not match
        assert ds.search("plano_basico").call_id.tolist() == ["call-0"]
        assert ds.search("plano_b").empty  # _ is not "any character"
        assert ds.search("'; DROP TABLE calls; --").empty
        assert ds.search("calls'; --").empty
        assert len(ds.calls()) == 2
        with pytest.raises(ConfigError):
            ds.search("%")


def test_search_dates_are_local_days(storage):
    add_call(storage, 0, LINES, started=datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc))
    add_call(storage, 1, LINES, started=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))
    with _ds(storage) as ds:
        assert ds.search("conta", start="2026-03-01", end="2026-03-01").call_id.tolist() == ["call-0"]
        assert ds.search("conta", start="2026-03-02").call_id.tolist() == ["call-1"]
        assert ds.search("conta").call_id.tolist() == ["call-1", "call-0"]  # newest first
        assert ds.segments("2026-03-02", "2026-03-02").call_id.unique().tolist() == ["call-1"]
        assert ds.transcripts("2026-03-01", "2026-03-01").call_id.tolist() == ["call-0"]


# -- registry -----------------------------------------------------------------------------------------
def test_another_module_adds_a_per_transcript_table(storage, monkeypatch, caplog):
    caplog.set_level("INFO", logger="perftel.dataset")
    monkeypatch.setattr(schema, "_TRANSCRIPT_TABLES", dict(schema._TRANSCRIPT_TABLES))
    add_call(storage, 0, LINES)
    add_call(storage, 1, [("agent", "Tudo bem? Posso ajudar?")])
    add_call(storage, 2, None)
    update_dataset("acme", storage.data_dir)

    def question_counts(data, ctx):
        return [
            {
                "recording_id": ctx.recording_id,
                "call_id": ctx.call_id,
                "questions": sum(s["text"].count("?") for s in data["segments"]),
            }
        ]

    schema.register_transcript_table(
        "question_counts",
        pa.schema([("recording_id", pa.string()), ("call_id", pa.string()), ("questions", pa.int32())]),
        question_counts,
    )
    monkeypatch.setattr(index, "PARALLEL_MIN_FILES", 1)  # two chunks; workers lack this table: done here
    report = update_dataset("acme", storage.data_dir)
    assert report.rebuilt and report.added == 5  # the store predates the table
    assert "indexing it in this process" in caplog.text
    with _ds(storage) as ds:
        rows = ds.sql(
            "SELECT company_id, call_id, questions FROM question_counts ORDER BY call_id"
        ).fetchall()
        assert rows == [("acme", "call-0", 1), ("acme", "call-1", 2)]
    with pytest.raises(ValueError):
        schema.register_transcript_table("segments", pa.schema([]), question_counts)


# -- export and CLI -----------------------------------------------------------------------------------
def test_export_parquet_partitioned_by_company_and_month_reads_in_dask(storage, tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    add_call(storage, 0, LINES, started=datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc))  # local: February
    add_call(storage, 1, LINES, started=datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc))
    out = tmp_path / "export"
    with _ds(storage) as ds:
        ds.export(out)
        ds.export(out)  # again: replaces, never duplicates
    assert (out / "calls" / "company_id=acme" / "month=2026-02").is_dir()
    assert (out / "segments" / "company_id=acme" / "month=2026-03").is_dir()
    calls = dd.read_parquet(str(out / "calls")).compute()
    assert sorted(calls.call_id) == ["call-0", "call-1"]
    assert sorted(calls.month.astype(str)) == ["2026-02", "2026-03"]
    segments = dd.read_parquet(str(out / "segments")).compute()
    assert len(segments) == 6 and set(segments.company_id.astype(str)) == {"acme"}


def test_cli_index_and_export(storage, tmp_path, capsys):
    from perftel.cli import main

    add_call(storage, 0, LINES)
    assert main(["index", "--company", "acme", "--data-dir", str(storage.data_dir)]) == 0
    assert "2 new" in capsys.readouterr().out
    assert main(["index", "--company", "acme", "--data-dir", str(storage.data_dir), "--rebuild"]) == 0
    assert "rebuilt" in capsys.readouterr().out
    out = tmp_path / "csv"
    assert (
        main(
            [
                "export",
                "--company",
                "acme",
                "--data-dir",
                str(storage.data_dir),
                "--format",
                "csv",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    files = list((out / "calls").rglob("*.csv"))
    assert len(files) == 1 and "call-0" in files[0].read_text()
    (storage.transcriptions_dir / "goto_connect_bad.json").write_text("{")
    assert main(["index", "--company", "acme", "--data-dir", str(storage.data_dir)]) == 1
    assert "goto_connect_bad.json" in capsys.readouterr().out


def test_public_names(storage):
    add_call(storage, 0, LINES)
    with perftel.open_dataset("acme", storage.data_dir) as ds:
        assert isinstance(ds, perftel.Dataset) and ds.tz.key == os.environ.get("PERFTEL_TIMEZONE", "UTC")
