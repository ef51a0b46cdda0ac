"""``TrackerSet.hits_frame``: "last N s" windows count from the recording's end, not the call's.

A call's ``duration_seconds`` may include ringing (Aircall), while segment times count from the start of
the recording: the window must use the recording's length (``audio_seconds``), as
``analytics.tables.tracker_hits_frame`` does.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from perftel.analytics.trackers import parse_trackers

TRACKERS = parse_trackers(
    """
[trackers.competitor]
window = "last 10 s"
phrases = ["Contoso"]

[trackers.greeting]
window = "first 5 s"
phrases = ["bom dia"]
"""
)


def segments(*rows):
    return pd.DataFrame(
        [
            {
                "call_id": call_id,
                "start": start,
                "end": start + 2,
                "channel": 1,
                "speaker": "customer",
                "text": text,
            }
            for call_id, start, text in rows
        ]
    )


@pytest.mark.parametrize("ringing", [10.0, 25.0, 60.0])
def test_last_window_uses_the_recording_length_not_the_call_length(ringing):
    audio = 30.0
    segs = segments(("c1", 1.0, "bom dia"), ("c1", audio - 5, "a Contoso liga mais barato"))
    calls = pd.DataFrame({"call_id": ["c1"], "duration_seconds": [audio + ringing], "audio_seconds": [audio]})
    hits = TRACKERS.hits_frame(segs, calls)
    assert sorted(hits["tracker"]) == [
        "competitor",
        "greeting",
    ]  # 25 s is in the last 10 s of a 30 s recording


@pytest.mark.parametrize("said_at", [2.0, 15.0, 19.0])
def test_words_before_the_last_window_of_the_recording_are_not_hits(said_at):
    segs = segments(("c1", said_at, "Contoso"))
    calls = pd.DataFrame({"call_id": ["c1"], "duration_seconds": [30.0], "audio_seconds": [30.0]})
    assert TRACKERS.hits_frame(segs, calls).empty


def test_several_calls_each_with_their_own_recording_length():
    segs = segments(("a", 25.0, "Contoso"), ("b", 25.0, "Contoso"), ("c", 25.0, "Contoso"))
    calls = pd.DataFrame(
        {
            "call_id": ["a", "b", "c"],
            "duration_seconds": [40.0, 30.0, 90.0],  # a and c rang first
            "audio_seconds": [30.0, 60.0, math.nan],  # c: no transcript length known
        }
    )
    hits = TRACKERS.hits_frame(segs, calls)
    assert hits["call_id"].tolist() == ["a"]  # b's recording goes on to 60 s; c's length is unknown


def test_a_frame_without_audio_seconds_takes_duration_seconds_as_the_recording_length():
    segs = segments(("c1", 25.0, "Contoso"))
    calls = pd.DataFrame({"call_id": ["c1"], "duration_seconds": [30.0]})  # e.g. the conversations view
    assert TRACKERS.hits_frame(segs, calls)["tracker"].tolist() == ["competitor"]
