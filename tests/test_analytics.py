"""Per-call metrics, trackers and the agent scorecard on hand-made segments (no audio, no model)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from perftel.analytics import (
    COLUMNS,
    HIT_COLUMNS,
    MONO_NOTE,
    SCORECARD_SQL,
    TRACKER_RATES_SQL,
    CompanyTrackers,
    call_metrics,
    call_metrics_frame,
    example_text,
    init_trackers,
    load_trackers,
    metrics_from_result,
    normalize,
    parse_trackers,
    scorecard,
    trackers_path,
)
from perftel.errors import ConfigError
from perftel.models import TranscriptionResult, TranscriptionSegment, Word


def seg(start, end, who, words=5, text=None):
    channel = {"agent": 0, "customer": 1}.get(who)
    return {"start": start, "end": end, "channel": channel, "speaker": who, "words": words, "text": text}


# A 60 s call: agent 0-10, customer interrupts at 9 (9-15), agent 16-20, 30 s hold, customer 50-55,
# agent backchannel 52-52.5 inside it.
CALL = [
    seg(0.0, 10.0, "agent", 25),
    seg(9.0, 15.0, "customer", 12),
    seg(16.0, 20.0, "agent", 10),
    seg(50.0, 55.0, "customer", 10),
    seg(52.0, 52.5, "agent", 1),
]


def test_metrics_of_a_two_channel_call():
    m = call_metrics(CALL, 60.0, call_id="c1")
    assert m.agent_talk_seconds == 14.5 and m.customer_talk_seconds == 11.0
    assert m.talk_to_listen_ratio == pytest.approx(14.5 / 11.0, abs=1e-4)
    assert m.agent_talk_share == pytest.approx(14.5 / 25.5, abs=1e-4)
    assert m.talk_seconds == 10 + 5 + 4 + 5  # 0-15, 16-20, 50-55
    assert m.silence_seconds == 60 - 24 and m.silence_share == pytest.approx(36 / 60, abs=1e-4)
    assert m.longest_silence_seconds == 30.0 and m.longest_silence_start == 20.0
    # 9-10 (customer cut in) and 52-52.5 (agent cut in); both >= 0.3 s
    assert m.overlap_count == 2 and m.overlap_seconds == 1.5
    assert m.customer_interruptions == 1 and m.agent_interruptions == 1
    assert m.agent_words == 36 and m.agent_words_per_minute == pytest.approx(36 / 14.5 * 60, abs=0.01)
    # agent 0-10 then the customer talks 6 s: the monologue ends; 16-20 then a 30 s pause
    assert m.agent_longest_monologue_seconds == 10.0 and m.customer_longest_monologue_seconds == 6.0
    # turns: A(0-10) C(9-15) A(16-20) C(50-55) A(52-52.5) -> 5; responses 0, 1, 30, 0
    assert m.turns == 5
    assert m.response_time_median_seconds == 0.5
    assert m.response_time_p90_seconds == pytest.approx(1 + 0.7 * 29, abs=1e-3)
    assert m.agent_response_time_median_seconds == 0.5  # answers: 1 s and 0 s
    assert m.speaker_metrics_note is None and not m.roles_assumed
    assert list(m.as_row()) == list(COLUMNS)


def test_backchannel_does_not_end_a_monologue_but_a_real_turn_does():
    segments = [seg(0, 20, "agent"), seg(8, 8.6, "customer"), seg(21, 30, "agent"), seg(30.5, 33, "customer")]
    m = call_metrics(segments, 40)
    assert m.agent_longest_monologue_seconds == 30.0  # 0-30: "mm-hm" of 0.6 s and a 1 s pause do not break it
    # the customer takes the floor for 1.5 s in the agent's pause: two monologues, 20 s and 8 s
    segments = [seg(0, 20, "agent"), seg(20.2, 21.7, "customer"), seg(22, 30, "agent")]
    assert call_metrics(segments, 40).agent_longest_monologue_seconds == 20.0


def test_short_overlap_is_not_counted_and_none_is_invented():
    segments = [seg(0, 5, "agent"), seg(4.8, 8, "customer"), seg(9, 12, "agent")]
    m = call_metrics(segments, 12)
    assert m.overlap_count == 0 and m.overlap_seconds == 0 and m.agent_interruptions == 0
    assert call_metrics(segments, 12, min_overlap_seconds=0.1).overlap_count == 1


def test_mono_call_has_no_speaker_numbers_but_has_silence():
    segments = [
        {"start": 1, "end": 4, "channel": None, "speaker": None, "text": "one two three"},
        {"start": 10, "end": 12, "channel": None, "speaker": None, "text": "four"},
    ]
    m = call_metrics(segments, 20)
    assert m.speaker_metrics_note == MONO_NOTE and m.channels == 1
    assert m.agent_talk_seconds is None and m.talk_to_listen_ratio is None and m.overlap_count is None
    assert m.turns is None and m.agent_words_per_minute is None
    assert m.talk_seconds == 5 and m.silence_seconds == 15 and m.longest_silence_seconds == 8 and m.words == 4
    # a mono file with segments labelled "agent" is still mono: one channel cannot tell who spoke
    labelled = [dict(s, speaker="agent") for s in segments]
    assert call_metrics(labelled, 20, channels=1).agent_talk_seconds is None


def test_call_without_segments():
    m = call_metrics([], 42.0, call_id="empty", channels=2)
    assert m.talk_seconds == 0 and m.silence_seconds == 42 and m.silence_share == 1.0
    assert m.longest_silence_seconds == 42 and m.agent_talk_seconds == 0 and m.talk_to_listen_ratio is None
    assert m.overlap_count == 0 and m.turns == 0 and m.response_time_median_seconds is None
    zero = call_metrics([], 0.0)
    assert zero.silence_share is None and zero.longest_silence_seconds == 0.0


def test_channel_roles_are_assumed_when_speakers_are_channel_names():
    segments = [
        dict(seg(0, 4, "agent"), speaker="channel 0"),
        dict(seg(5, 7, "customer"), speaker="channel 1"),
    ]
    m = call_metrics(segments, 8)
    assert m.roles_assumed and m.agent_talk_seconds == 4 and m.customer_talk_seconds == 2
    swapped = call_metrics(segments, 8, channel_roles={0: "customer", 1: "agent"})
    assert swapped.agent_talk_seconds == 2


def test_metrics_from_a_transcription_result():
    result = TranscriptionResult(
        recording_id="r1",
        text="",
        language="en",
        duration=10.0,
        model="tiny.en",
        channels=2,
        segments=[
            TranscriptionSegment(
                0.5,
                3.0,
                "Hello there, how can I help",
                0,
                "agent",
                words=[Word(0.5, 0.9, " Hello", 0.9), Word(1.0, 1.4, " there,", 0.9)],
            ),
            TranscriptionSegment(4.0, 6.0, "I want to cancel", 1, "customer"),
        ],
    )
    m = metrics_from_result(result)
    assert m.call_id == "r1" and m.agent_words == 2 and m.customer_words == 4 and m.turns == 2
    assert m.response_time_median_seconds == 1.0


def test_frame_matches_single_call_and_keeps_calls_without_segments():
    rows = [dict(s, call_id="c1") for s in CALL] + [dict(seg(0, 3, "agent"), call_id="c2")]
    segments = pd.DataFrame(rows)
    calls = pd.DataFrame(
        {"call_id": ["c1", "c2", "c3"], "duration_seconds": [60.0, 5.0, 9.0], "channels": [2, 2, 1]}
    )
    frame = call_metrics_frame(segments, calls)
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 3
    first = frame.iloc[0].to_dict()
    expected = call_metrics(CALL, 60.0, call_id="c1").as_row()
    for key, value in expected.items():
        assert first[key] == value or (value is None and (first[key] is None or first[key] != first[key])), (
            key
        )
    assert frame.iloc[2]["talk_seconds"] == 0 and frame.iloc[2]["speaker_metrics_note"] == MONO_NOTE


# --- trackers ---------------------------------------------------------------------------------

TRACKERS = """
[trackers.disclosure]
speaker = "agent"
window = "first 30 s"
phrases = ["esta ligação está sendo gravada", "this call is being recorded"]

[trackers.cancel]
speaker = "customer"
phrases = ["quero cancelar", "cancel"]

[trackers.competitor]
window = "last 10 s"
phrases = ["Contoso"]
"""


def test_normalize():
    assert normalize("  Não, É-mail!  ÇA ") == "nao e mail ca"
    assert normalize("...") == ""


def test_tracker_matching_ignores_case_accents_punctuation_and_respects_words():
    trackers = parse_trackers(TRACKERS)
    segments = [
        seg(1.0, 5.0, "agent", text="Bom dia! ESTA LIGACAO ESTA sendo, gravada."),
        seg(6.0, 8.0, "customer", text="Eu QUERO cancelár, ok?"),
        seg(9.0, 10.0, "customer", text="it was cancelled"),  # "cancel" is not a whole word here
        seg(40.0, 42.0, "agent", text="this call is being recorded"),  # outside the first 30 s
        seg(50.0, 52.0, "agent", text="quero cancelar"),  # the agent: the tracker wants the customer
        seg(55.0, 58.0, "customer", text="Contoso was cheaper"),  # inside the last 10 s of 60
    ]
    hits = trackers.find(segments, call_id="c1", duration_seconds=60.0)
    found = [(h.tracker, h.phrase, h.speaker) for h in hits]
    assert found == [
        ("disclosure", "esta ligação está sendo gravada", "agent"),
        ("cancel", "quero cancelar", "customer"),
        ("competitor", "Contoso", "customer"),
    ]
    assert hits[0].call_id == "c1" and 1.0 <= hits[0].start_seconds < 5.0
    assert hits[1].start_seconds > 6.0 and hits[1].matched_text == "QUERO cancelár,"


def test_tracker_hit_time_comes_from_word_times():
    trackers = parse_trackers(TRACKERS)
    segment = TranscriptionSegment(
        2.0,
        6.0,
        "so I cancel",
        1,
        "customer",
        words=[Word(2.0, 2.2, " so", 1), Word(2.3, 2.4, " I", 1), Word(4.5, 5.0, " cancel.", 1)],
    )
    (hit,) = trackers.find([segment], duration_seconds=10)
    assert hit.start_seconds == 4.5 and hit.channel == 1


def test_speaker_limit_on_a_mono_call_matches_anyone_without_naming_them():
    trackers = parse_trackers(TRACKERS)
    segments = [
        {"start": 0, "end": 3, "channel": None, "speaker": None, "text": "this call is being recorded"}
    ]
    (hit,) = trackers.find(segments, duration_seconds=10)
    assert hit.tracker == "disclosure" and hit.speaker is None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[trackers.a]\nphrases = ["ok"\n', 2, "not valid TOML"),
        (
            '[trackers.a]\nphrases = ["ok"]\n\n[trackers.b]\nphrases = [\n  "fine",\n  "",\n]\n',
            7,
            "empty phrase",
        ),
        ('[trackers.a]\nphrases = ["ok", " ,. "]\n', 2, "empty phrase"),
        ("[trackers.a]\nphrases = []\n", 1, "at least one phrase"),
        ('[trackers.a]\nphrases = ["ok"]\nspeaker = "boss"\n', 3, "speaker"),
        ('[trackers.a]\nphrases = ["ok"]\nwindow = "middle 3 s"\n', 3, "window"),
        ('[trackers.a]\nphrases = ["ok"]\nphrase = "typo"\n', 3, "unknown key 'phrase'"),
        ('[tracker.a]\nphrases = ["ok"]\n', 1, "unknown key 'tracker'"),
    ],
)
def test_bad_tracker_files_name_the_line(text, line, words):
    with pytest.raises(ConfigError) as info:
        parse_trackers(text, source="acme/trackers.toml")
    message = str(info.value)
    assert f"line {line}" in message and words in message and "acme/trackers.toml" in message


def test_a_bad_reload_keeps_the_previous_trackers(tmp_path):
    path = trackers_path("acme", tmp_path)
    holder = CompanyTrackers("acme", tmp_path)
    assert len(holder.reload()) == 0  # no file: no trackers
    path.parent.mkdir(parents=True)
    path.write_text(TRACKERS, encoding="utf-8")
    assert holder.reload().names == ["disclosure", "cancel", "competitor"]
    path.write_text(TRACKERS + '\n[trackers.broken]\nphrases = [""]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 16"):
        holder.reload()
    assert holder.current.names == ["disclosure", "cancel", "competitor"] and "empty phrase" in holder.error
    path.write_text(TRACKERS.replace("Contoso", "Fabrikam"), encoding="utf-8")
    assert holder.reload(force=True).trackers[2].phrases == ("Fabrikam",) and holder.error is None


def test_example_file_is_valid_and_init_writes_it(tmp_path):
    shipped = parse_trackers(example_text())
    assert {"recording_disclosure", "greeting", "cancellation_intent", "competitor_mention"} <= set(
        shipped.names
    )
    path = init_trackers("acme", tmp_path)
    assert path == tmp_path / "acme" / "trackers.toml" and load_trackers(path).names == shipped.names
    with pytest.raises(ConfigError, match="already exists"):
        init_trackers("acme", tmp_path)
    hits = shipped.find(
        [
            seg(2, 6, "agent", text="Northwind, boa tarde. Esta ligação está sendo gravada."),
            seg(7, 9, "customer", text="I want to CANCEL my subscription"),
        ],
        duration_seconds=20,
    )
    assert {h.tracker for h in hits} == {"greeting", "recording_disclosure", "cancellation_intent"}


def test_hits_frame():
    trackers = parse_trackers(TRACKERS)
    segments = pd.DataFrame(
        [
            dict(seg(1, 4, "customer", text="quero cancelar"), call_id="c1"),
            dict(seg(1, 4, "agent", text="nothing"), call_id="c2"),
        ]
    )
    calls = pd.DataFrame({"call_id": ["c1", "c2"], "duration_seconds": [10.0, 10.0]})
    frame = trackers.hits_frame(segments, calls)
    assert list(frame.columns) == list(HIT_COLUMNS) and frame["call_id"].tolist() == ["c1"]


# --- scorecard --------------------------------------------------------------------------------


def _scorecard_inputs():
    metrics = pd.DataFrame(
        [
            call_metrics(CALL, 60.0, call_id="c1").as_row(),
            call_metrics([seg(0, 6, "agent", 12), seg(7, 9, "customer", 4)], 12.0, call_id="c2").as_row(),
            call_metrics([seg(0, 6, "agent", 12)], 10.0, call_id="c3", channels=1).as_row(),
            call_metrics([seg(0, 2, "agent", 4), seg(3, 9, "customer", 10)], 10.0, call_id="c4").as_row(),
        ]
    )
    calls = pd.DataFrame(
        {
            "call_id": ["c1", "c2", "c3", "c4"],
            "agent": ["ana", "ana", "ana", "bruno"],
            # c2 is 23:30 on Monday 2 Mar in Sao Paulo (UTC-3), c1 is Monday too, c3 is Tuesday
            "started_at": pd.to_datetime(
                ["2026-03-02T12:00Z", "2026-03-03T02:30Z", "2026-03-03T15:00Z", "2026-03-09T15:00Z"], utc=True
            ),
        }
    )
    hits = pd.DataFrame(
        [("c1", "cancel"), ("c1", "cancel"), ("c2", "greeting"), ("c4", "cancel")],
        columns=["call_id", "tracker"],
    )
    return metrics, calls, hits


def test_scorecard_per_agent():
    metrics, calls, hits = _scorecard_inputs()
    card = scorecard(metrics, hits, calls=calls).set_index("agent")
    ana = card.loc["ana"]
    assert ana["calls"] == 3 and ana["calls_two_channel"] == 2
    assert ana["talk_to_listen_median"] == pytest.approx((14.5 / 11 + 3.0) / 2, abs=1e-3)
    assert ana["dead_air_median_seconds"] == 4.0  # longest silences 30, 3, 4
    assert ana["interruptions_per_call"] == 0.5  # 1 in c1, 0 in c2 (mono c3 not counted)
    assert ana["rate_cancel"] == pytest.approx(1 / 3) and ana["rate_greeting"] == pytest.approx(1 / 3)
    assert card.loc["bruno", "rate_cancel"] == 1.0 and card.loc["bruno", "rate_greeting"] == 0.0


def test_scorecard_per_local_day_and_week():
    metrics, calls, hits = _scorecard_inputs()
    days = scorecard(metrics, hits, calls=calls, period="day", timezone="America/Sao_Paulo")
    assert [(r.agent, str(r.period), r.calls) for r in days.itertuples()] == [
        ("ana", "2026-03-02", 2),
        ("ana", "2026-03-03", 1),
        ("bruno", "2026-03-09", 1),
    ]
    weeks = scorecard(metrics, hits, calls=calls, period="week", timezone="America/Sao_Paulo")
    assert [(r.agent, str(r.period), r.calls) for r in weeks.itertuples()] == [
        ("ana", "2026-03-02", 3),
        ("bruno", "2026-03-09", 1),
    ]
    with pytest.raises(ValueError, match="period"):
        scorecard(metrics, hits, calls=calls, period="month")


def test_scorecard_sql_agrees_with_pandas():
    duckdb = pytest.importorskip("duckdb")
    metrics, calls, hits = _scorecard_inputs()
    call_metrics_table = metrics.merge(calls, on="call_id")  # noqa: F841 - read by DuckDB
    tracker_hits = hits  # noqa: F841 - read by DuckDB
    con = duckdb.connect()
    con.register("call_metrics", call_metrics_table)
    con.register("tracker_hits", tracker_hits)
    sql = con.execute(SCORECARD_SQL).df().set_index("agent")
    card = scorecard(metrics, hits, calls=calls).set_index("agent")
    for column in sql.columns:
        for agent in card.index:
            a, b = float(sql.loc[agent, column]), float(card.loc[agent, column])
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b), (agent, column)
    rates = con.execute(TRACKER_RATES_SQL).df()
    for row in rates.itertuples():
        assert row.rate == pytest.approx(card.loc[row.agent, f"rate_{row.tracker}"])


def test_cli_trackers_init_and_check(tmp_path, capsys):
    from perftel.cli import main

    assert main(["trackers", "check", "--company", "acme", "--data-dir", str(tmp_path)]) == 1
    assert main(["trackers", "init", "--company", "acme", "--data-dir", str(tmp_path)]) == 0
    assert "recording_disclosure (agent, first 30 s)" in capsys.readouterr().out
    (tmp_path / "acme" / "trackers.toml").write_text(
        '[trackers.x]\nphrases = ["a",\n  "",\n]\n', encoding="utf-8"
    )
    assert main(["trackers", "check", "--company", "acme", "--data-dir", str(tmp_path)]) == 2
    assert "line 3" in capsys.readouterr().err


def _random_calls(count, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    rows, calls = [], []
    for n in range(count):
        kind = rng.integers(0, 10)
        t, side, length = float(rng.uniform(0, 2)), int(rng.integers(0, 2)), float(rng.uniform(20, 120))
        while t < length and kind != 0:  # kind 0: no segments
            end = round(t + float(rng.uniform(0.2, 12)), 3)
            speaker = (
                None
                if kind == 1
                else ("channel 0" if kind == 2 and side == 0 else ("agent", "customer")[side])
            )
            rows.append(
                {
                    "call_id": f"c{n}",
                    "start": round(t, 3),
                    "end": end,
                    "words": int(rng.integers(0, 30)),
                    "channel": None if kind == 1 else side,
                    "speaker": speaker,
                }
            )
            t = end + float(rng.choice([rng.uniform(-3, -0.1), rng.uniform(0, 4), rng.uniform(0, 0.5)]))
            side = side if rng.random() < 0.3 else 1 - side
        calls.append({"call_id": f"c{n}", "duration_seconds": round(length, 3)})
    return pd.DataFrame(rows), pd.DataFrame(calls)


def test_vectorised_frame_equals_call_by_call():
    segments, calls = _random_calls(300, 11)
    frame = call_metrics_frame(segments, calls)
    assert list(frame.columns) == list(COLUMNS) and frame["call_id"].tolist() == calls["call_id"].tolist()
    for row in frame.to_dict("records"):
        mine = segments[segments["call_id"] == row["call_id"]].to_dict("records") if len(segments) else []
        duration = float(calls.loc[calls["call_id"] == row["call_id"], "duration_seconds"].iloc[0])
        expected = call_metrics(mine, duration, call_id=row["call_id"]).as_row()
        for key, value in expected.items():
            got = row[key]
            if value is None:
                assert got is None or got != got, (row["call_id"], key, got)
            elif isinstance(value, float):
                assert got == pytest.approx(value, abs=1.5e-3), (row["call_id"], key, got, value)
            else:
                assert got == value, (row["call_id"], key, got, value)


def test_segment_edges_snap_to_speech(tmp_path):
    import numpy as np

    from perftel.analytics.timing import snap_segments, snap_to_speech
    from tests.conversation_calls import write_wav

    rate = 16_000
    left, right = np.zeros(10 * rate, np.float32), np.zeros(10 * rate, np.float32)
    t = np.arange(2 * rate) / rate
    left[1 * rate : 3 * rate] = 0.5 * np.sin(2 * np.pi * 300 * t)  # agent speaks 1-3 s
    right[5 * rate : 7 * rate] = 0.1 * np.sin(2 * np.pi * 500 * t)  # customer 5-7 s
    path = write_wav(tmp_path / "call.wav", [left, right], rate)
    segments = [
        TranscriptionSegment(0.7, 3.9, "late end", 0, "agent"),  # Whisper-like: starts early, ends 0.9 s late
        {"start": 5.4, "end": 6.6, "text": "short", "channel": 1, "speaker": "customer"},  # inside speech
        {"start": 8.0, "end": 9.0, "text": "nothing near", "channel": 1, "speaker": "customer"},
    ]
    snapped = snap_to_speech(segments, path)
    assert [(s["start"], s["end"]) for s in snapped] == [(1.0, 3.0), (5.0, 7.0), (8.0, 9.0)]
    assert snapped[0]["text"] == "late end" and snapped[1]["speaker"] == "customer"
    assert snap_segments(segments[1:2], [])[0]["start"] == 5.4  # no audio: unchanged
