"""Conversation views (perftel.notebook.conversations): timeline lanes, bars, overlap/dead-air/tracker
marks agreeing with the metrics, mono and empty calls, scorecard formatting, player, loader. No model."""

from __future__ import annotations

import wave
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from perftel.analytics import MONO_NOTE, call_metrics_frame, example_text, parse_trackers
from perftel.models import (
    CallMetadata,
    Direction,
    Participant,
    Recording,
    TranscriptionResult,
    TranscriptionSegment,
    Word,
)
from perftel.notebook import conversations as cv
from perftel.storage import CompanyStorage

TRACKERS = parse_trackers(example_text())


def seg(call_id, start, end, channel, speaker, text):
    return dict(
        call_id=call_id,
        start=start,
        end=end,
        channel=channel,
        speaker=speaker,
        text=text,
        words=len(text.split()),
    )


# c1: agent greets + disclosure, customer cuts in at 3.0 (overlap 3.0-4.0), a 7 s hold (8-15),
#     agent back at 15, then the customer talks over the agent again at 19.5 (overlap 19.5-20.0)
# c2: two channels, strict turn-taking, no overlap; "channel N" speakers (roles from the channel)
# m1: mono; e1: two-channel call with no segments at all
SEGMENTS = pd.DataFrame(
    [
        seg("c1", 0.5, 4.0, 0, "agent", "Hello, this call is being recorded"),
        seg("c1", 3.0, 8.0, 1, "customer", "I want to cancel my plan"),
        seg("c1", 15.0, 20.0, 0, "agent", "Sorry for the wait"),
        seg("c1", 19.5, 21.0, 1, "customer", "ok thanks"),
        seg("c2", 0.0, 2.0, 0, "channel 0", "Good morning"),
        seg("c2", 2.5, 5.0, 1, "channel 1", "Hi I have a question"),
        seg("c2", 5.5, 9.0, 0, "channel 0", "Sure go ahead"),
        seg("m1", 1.0, 3.0, None, None, "hello there"),
        seg("m1", 6.0, 9.0, None, None, "this call is being recorded"),
    ]
)
T0 = pd.Timestamp("2026-11-20T13:00Z")
CALLS = pd.DataFrame(
    [
        dict(call_id="c1", recording_id="r1", started_at=T0, agent="Ana", direction="INBOUND",
             duration_seconds=22.0, channels=2, audio_path=None),
        dict(call_id="c2", recording_id="r2", started_at=T0 + pd.Timedelta(hours=1), agent="Ana",
             direction="INBOUND", duration_seconds=9.0, channels=2, audio_path=None),
        # 02:00 UTC on the 21st is 23:00 on the 20th in São Paulo
        dict(call_id="m1", recording_id="r3", started_at=pd.Timestamp("2026-11-21T02:00Z"), agent="Bruno",
             direction="INBOUND", duration_seconds=12.0, channels=1, audio_path=None),
        dict(call_id="e1", recording_id="r4", started_at=T0 + pd.Timedelta(days=2), agent="Ana",
             direction="OUTBOUND", duration_seconds=30.0, channels=2, audio_path=None),
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def tables() -> cv.ConversationTables:
    metrics = call_metrics_frame(SEGMENTS, CALLS)
    hits = TRACKERS.hits_frame(SEGMENTS, CALLS)
    return cv.ConversationTables(CALLS, SEGMENTS, metrics, hits)


def figure_of(tables, call_id):
    call = tables.calls.set_index("call_id").loc[call_id]
    return cv.timeline_figure(
        tables.segments[tables.segments["call_id"] == call_id],
        duration_seconds=call["duration_seconds"],
        channels=int(call["channels"]),
        tracker_hits=tables.tracker_hits[tables.tracker_hits["call_id"] == call_id],
    )


def bars(fig):
    return {t.name: t for t in fig.data if t.type == "bar"}


def shapes(fig, name):
    return [(s.x0, s.x1) for s in fig.layout.shapes if s.name == name]


def metrics_of(tables, call_id):
    return tables.call_metrics.set_index("call_id").loc[call_id]


def test_one_lane_per_speaker_and_bars_at_segment_times(tables):
    fig = figure_of(tables, "c1")
    lanes = bars(fig)
    assert set(lanes) == {"agent", "customer"}
    own = SEGMENTS[SEGMENTS["call_id"] == "c1"]
    for lane, speaker in (("agent", "agent"), ("customer", "customer")):
        rows = own[own["speaker"] == speaker]
        assert list(lanes[lane].base) == rows["start"].tolist()
        assert [b + x for b, x in zip(lanes[lane].base, lanes[lane].x, strict=True)] == pytest.approx(
            rows["end"].tolist()
        )
        assert set(lanes[lane].y) == {lane}
    assert list(fig.layout.yaxis.categoryarray) == ["customer", "agent"]  # agent on top


def test_channel_speakers_get_their_roles_lanes(tables):
    fig = figure_of(tables, "c2")
    assert set(bars(fig)) == {"agent", "customer"}
    assert len(bars(fig)["agent"].base) == 2 and len(bars(fig)["customer"].base) == 1


def test_overlaps_marked_where_the_metrics_count_them(tables):
    fig = figure_of(tables, "c1")
    found = shapes(fig, "overlap")
    assert len(found) == metrics_of(tables, "c1")["overlap_count"] == 2
    assert found == [(3.0, 4.0), (19.5, 20.0)]
    assert sum(b - a for a, b in found) == pytest.approx(metrics_of(tables, "c1")["overlap_seconds"])
    assert shapes(figure_of(tables, "c2"), "overlap") == []
    assert metrics_of(tables, "c2")["overlap_count"] == 0


def test_who_cut_in_is_written_on_the_overlap(tables):
    fig = figure_of(tables, "c1")
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("customer cuts in") == metrics_of(tables, "c1")["customer_interruptions"] == 2


def test_dead_air_is_the_metrics_longest_silence_and_long_gaps_are_marked(tables):
    fig = figure_of(tables, "c1")
    row = metrics_of(tables, "c1")
    [(a, b)] = shapes(fig, "longest silence")
    assert a == pytest.approx(row["longest_silence_start"]) == 8.0
    assert b - a == pytest.approx(row["longest_silence_seconds"]) == 7.0
    assert shapes(fig, "silence") == []  # the other gaps are < 3 s
    marks = cv.call_marks(SEGMENTS[SEGMENTS["call_id"] == "c1"], 22.0, 2, dead_air_seconds=0.5)
    assert (0.0, 0.5) in marks.silences and (21.0, 22.0) in marks.silences


def test_tracker_hits_are_markers_at_their_times_on_the_speakers_lane(tables):
    fig = figure_of(tables, "c1")
    hits = tables.tracker_hits[tables.tracker_hits["call_id"] == "c1"]
    assert {"recording_disclosure", "cancellation_intent"} <= set(hits["tracker"])
    markers = {t.name: t for t in fig.data if t.meta == "tracker hits"}
    assert set(markers) == set(hits["tracker"])
    for name, rows in hits.groupby("tracker"):
        assert list(markers[name].x) == rows["start_seconds"].tolist()
        assert list(markers[name].y) == rows["speaker"].tolist()
        assert markers[name].showlegend and markers[name].marker.symbol == "diamond"
    assert not any(t.showlegend for t in fig.data if t.type == "bar")
    disclosure = hits[hits["tracker"] == "recording_disclosure"].iloc[0]
    assert 0.5 <= disclosure["start_seconds"] < 4.0


def test_mono_call_has_one_lane_and_says_speakers_are_not_available(tables):
    fig = figure_of(tables, "m1")
    assert set(bars(fig)) == {"mono"}
    assert len(bars(fig)["mono"].base) == 2
    assert shapes(fig, "overlap") == []
    assert any(a.text == f"speakers: {MONO_NOTE}" for a in fig.layout.annotations)
    markers = [t for t in fig.data if t.meta == "tracker hits"]
    assert markers and all(set(t.y) == {"mono"} for t in markers)
    # silence is still measured on a mono call
    [(a, b)] = shapes(fig, "longest silence")
    assert b - a == pytest.approx(metrics_of(tables, "m1")["longest_silence_seconds"])
    summary = cv.call_summary_html(metrics_of(tables, "m1").to_dict())
    assert MONO_NOTE in summary and "talk share" not in summary


def test_call_without_segments_is_all_dead_air(tables):
    fig = figure_of(tables, "e1")
    assert set(bars(fig)) == {"agent", "customer"}
    assert all(len(t.base) == 0 for t in bars(fig).values())
    assert shapes(fig, "longest silence") == [(0.0, 30.0)]
    assert cv.transcript_html(SEGMENTS[SEGMENTS["call_id"] == "e1"]).startswith("<i>No speech")


def test_scorecard_table_is_formatted_for_an_analyst(tables):
    card = cv.scorecard_table(tables.call_metrics, tables.tracker_hits, tables.calls)
    assert isinstance(card.index, pd.RangeIndex)
    assert '<th class="blank' not in cv.styled(card).to_html()  # no index column in the shown table
    ana = card.set_index("Agent").loc["Ana"]
    bruno = card.set_index("Agent").loc["Bruno"]
    assert ana["Calls"] == "3" and ana["Two-channel calls"] == "3"
    assert ana["Agent talk share"].endswith("%") and ana["Talk-to-listen"].count(".") == 1
    assert ana["Dead air"] == "0:07"  # median of 7 s (c1), 0.5 s (c2) and 30 s (e1)
    assert ana["recording_disclosure %"] == "33%"  # 1 of 3 calls
    assert ana["cancellation_intent %"] == "33%"
    # Bruno's only call is mono: the speaker metrics say so; dead air is still a number
    for column in ("Talk-to-listen", "Agent talk share", "Interruptions / call", "Words / min"):
        assert bruno[column] == MONO_NOTE
    assert bruno["Dead air"] == "0:03"
    assert bruno["recording_disclosure %"] == "100%"


def test_scorecard_lists_trackers_nobody_hit():
    metrics = call_metrics_frame(SEGMENTS, CALLS)
    card = cv.scorecard_table(metrics, None, CALLS, trackers=["greeting"])
    assert (card["greeting %"] == "0%").all()


def test_clock():
    assert [cv.clock(x) for x in (0, 7.4, 75.6, 3725, None, float("nan"))] == [
        "0:00",
        "0:07",
        "1:16",
        "1:02:05",
        "–",
        "–",
    ]


def test_trends_are_per_local_day(tables):
    fig = cv.trend_figure(tables.call_metrics, tables.calls, period="day", timezone="America/Sao_Paulo")
    days = {str(x) for t in fig.data for x in t.x}
    assert days == {"2026-11-20", "2026-11-22"}  # m1 (02:00 UTC on the 21st) is the 20th locally
    utc = cv.trend_figure(tables.call_metrics, tables.calls, period="day", timezone="UTC")
    assert {str(x) for t in utc.data for x in t.x} == {"2026-11-20", "2026-11-21", "2026-11-22"}
    local = cv.local_calls(tables.calls, "America/Sao_Paulo")
    assert str(local.set_index("call_id").loc["m1", "day"]) == "2026-11-20"


def test_distribution_has_every_call_with_a_value(tables):
    fig = cv.distribution_figure(tables.call_metrics, tables.calls)
    dead = [t for t in fig.data if t.meta == "longest_silence_seconds"]
    assert sum(len(t.y) for t in dead) == 4
    ratio = [t for t in fig.data if t.meta == "talk_to_listen_ratio"]
    assert sum(len(t.y) for t in ratio) == 2  # not the mono call, not the silent one


def test_transcript_lines_seek_the_player(tables):
    text = cv.transcript_html(SEGMENTS[SEGMENTS["call_id"] == "c1"], player_id="p1")
    assert text.count("class='perftel-seg'") == 4
    assert "getElementById('p1')" in text and "a.currentTime=15.00" in text
    assert "&lt;" not in cv.transcript_html(SEGMENTS[SEGMENTS["call_id"] == "c2"])
    assert "&lt;b&gt;" in cv.transcript_html(pd.DataFrame([seg("x", 0, 1, 0, "agent", "<b>hi</b>")]))


def write_wav(path: Path, seconds: float = 2.0) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\0\0\0\0" * int(8000 * seconds))
    return path


def test_audio_element_starts_at_the_chosen_moment(tmp_path):
    wav = write_wav(tmp_path / "r.wav")
    text = cv.audio_html(wav, start=12.345, element_id="p9")
    assert "id='p9'" in text and "src='data:audio/wav;base64," in text
    assert "#t=12.35'" in text and "this.currentTime=12.35" in text
    assert "not on this machine" in cv.audio_html(tmp_path / "missing.wav")
    assert "not on this machine" in cv.audio_html(None)


def test_timeline_widget_opens_calls_and_seeks(tables, tmp_path):
    wav = write_wav(tmp_path / "r.wav", seconds=22)
    calls = tables.calls.assign(audio_path=[str(wav), None, None, None])
    view = cv.CallTimeline(
        cv.ConversationTables(calls, tables.segments, tables.call_metrics, tables.tracker_hits)
    )
    assert view.call.value == "c1" and view.figure is not None
    assert view.call.options[0][0].startswith("2026-11-20 13:00 · Ana")  # UTC by default
    local = cv.CallTimeline(tables, timezone="America/Sao_Paulo")
    assert local.call.options[2][0].startswith("2026-11-20 23:00 · Bruno")  # 02:00 UTC on the 21st
    assert "#t=0.00" in view.player.value and view.player_id in view.player.value
    assert view.player_id in view.transcript.value
    assert view.seek(15.0) == 15.0 and "#t=15.00" in view.player.value
    assert view.play_from.value == 15.0  # the box follows
    assert view.seek(500) == 22.0  # clipped to the call
    assert view.seek(3.14159) == 3.14 and "#t=3.14'" in view.player.value
    view.jump.value = view.jump.options[2][1]
    assert view.position == 15.0
    view.play_from.value = 3.5
    assert view.position == 3.5
    view.call.value = "m1"
    assert set(bars(view.figure)) == {"mono"} and MONO_NOTE in view.summary.value
    assert "not on this machine" in view.player.value
    assert view.status.value == ""


def test_reading_and_section(tables):
    section = cv.conversations_section(tables)
    assert section.table.equals(cv.scorecard_table(tables.call_metrics, tables.tracker_hits, tables.calls))
    assert section.text.startswith("4 transcribed call(s) by 2 agent(s); 3 with two channels.")
    assert "longest was 0:30 (call e1, Ana)" in section.text
    assert "recording_disclosure 50% of calls" in section.text
    mono_only = cv.ConversationTables(*(t for t in (
        CALLS[CALLS.call_id == "m1"], SEGMENTS, tables.call_metrics[tables.call_metrics.call_id == "m1"],
        tables.tracker_hits[tables.tracker_hits.call_id == "m1"],
    )))  # fmt: skip
    assert MONO_NOTE in cv.conversations_section(mono_only).text


def test_between_keeps_local_days(tables):
    part = tables.between("2026-11-20", "2026-11-20", tz="America/Sao_Paulo")
    assert set(part.calls["call_id"]) == {"c1", "c2", "m1"}
    assert set(part.call_metrics["call_id"]) == {"c1", "c2", "m1"}
    assert set(part.segments["call_id"]) <= {"c1", "c2", "m1"}


def test_sandbox_company_names():
    assert cv.is_sandbox_company("sandbox") and cv.is_sandbox_company("sandbox-pt")
    assert not cv.is_sandbox_company("acme") and not cv.is_sandbox_company("sandboxed")


def test_load_conversations_from_disk(tmp_path):
    storage = CompanyStorage("acme", tmp_path).ensure()
    start = datetime(2026, 11, 20, 13, tzinfo=timezone.utc)
    for n, channels in ((1, 2), (2, 1)):
        call = CallMetadata(
            id=f"call-{n}",
            provider="goto_connect",
            external_id=str(n),
            direction=Direction("INBOUND"),
            started_at=start + timedelta(hours=n),
            ended_at=start + timedelta(hours=n, seconds=20),
            duration_seconds=20,
            answered=True,
            participants=[Participant(name="Ana", role="agent")],
            recordings=[Recording(id=f"rec-{n}", channel_roles={0: "agent", 1: "customer"})],
        )
        storage.save_call(call)
        said = ["Hello,", "this", "call", "is", "being", "recorded"]
        words = [Word(0.2 + 0.5 * i, 0.6 + 0.5 * i, f" {w}", 0.9) for i, w in enumerate(said)]
        segments = [
            TranscriptionSegment(0.0, 4.0, "Hello, this call is being recorded", 0 if channels == 2 else None,
                                 "agent" if channels == 2 else None, words=words),
            TranscriptionSegment(3.0, 6.0, "I want to cancel", 1 if channels == 2 else None,
                                 "customer" if channels == 2 else None),
        ]  # fmt: skip
        result = TranscriptionResult(f"rec-{n}", "", segments, "en", 20.0, "tiny.en", channels=channels)
        storage.save_transcription(result, prefix="goto_connect", call=call)
    loaded = cv.load_conversations("acme", tmp_path)
    assert loaded.calls["call_id"].tolist() == ["call-1", "call-2"]
    assert loaded.calls["agent"].tolist() == ["Ana", "Ana"]
    assert "example" in loaded.trackers_source  # no trackers.toml: the shipped example
    assert loaded.trackers == [
        "recording_disclosure",
        "greeting",
        "cancellation_intent",
        "competitor_mention",
    ]
    card = cv.scorecard_table(
        loaded.call_metrics, loaded.tracker_hits, loaded.calls, trackers=loaded.trackers
    )
    assert card.loc[0, "greeting %"] == "0%" and card.loc[0, "cancellation_intent %"] == "100%"
    assert loaded.between("2026-11-21", None).trackers == loaded.trackers
    m = loaded.call_metrics.set_index("call_id")
    assert m.loc["call-1", "overlap_count"] == 1 and m.loc["call-1", "longest_silence_seconds"] == 14.0
    assert m.loc["call-2", "speaker_metrics_note"] == MONO_NOTE
    assert set(loaded.tracker_hits["tracker"]) == {"recording_disclosure", "cancellation_intent"}
    disclosure = loaded.tracker_hits[loaded.tracker_hits["tracker"] == "recording_disclosure"]
    assert disclosure["start_seconds"].tolist() == [0.7, 0.7]  # the word time of "this", both calls
    # the company's own trackers win over the example
    (tmp_path / "acme" / "trackers.toml").write_text('[trackers.thanks]\nphrases = ["cancel"]\n')
    own = cv.load_conversations("acme", tmp_path)
    assert set(own.tracker_hits["tracker"]) == {"thanks"} and own.trackers == ["thanks"]


def test_transcript_times_are_floored_like_a_player():
    assert cv.clock(19.5, floor=True) == "0:19" and cv.clock(19.5) == "0:20"
    text = cv.transcript_html(SEGMENTS[SEGMENTS["call_id"] == "c1"])
    assert ">0:19<" in text and ">0:20<" not in text


def test_subset_keeps_the_rows_of_the_given_calls(tables):
    part = tables.subset(["c1", "m1", "nope"])
    assert part.calls["call_id"].tolist() == ["c1", "m1"]
    assert set(part.segments["call_id"]) == {"c1", "m1"}
    assert set(part.tracker_hits["call_id"]) <= {"c1", "m1"}
    assert part.call_metrics["call_id"].tolist() == ["c1", "m1"]


def test_an_empty_period_shows_a_sentence_not_an_error(tables):
    empty = tables.subset([])
    section = cv.conversations_section(empty)
    assert section.text == "No transcribed call in this period." and section.table.empty
    assert cv.trend_figure(empty.call_metrics, empty.calls).data == ()
    view = cv.CallTimeline(empty)
    assert view.figure is None and view.call.options == ()
