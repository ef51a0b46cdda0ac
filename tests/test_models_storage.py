"""Reading stored models back (``from_dict``) and the time columns of storage's frames."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from perftel.files import write_json_atomic
from perftel.models import CallMetadata, Direction, Participant, Recording, TranscriptionResult
from perftel.storage import CompanyStorage, calls_frame, utc_times

UTC = timezone.utc
SAO_PAULO = timezone(timedelta(hours=-3))


def transcript(**fields):
    return {
        "recording_id": "r1",
        "text": "oi",
        "segments": [],
        "language": "pt",
        "duration": 3.0,
        "model": "base",
        **fields,
    }


# --- 1. from_dict never gives a value its type does not allow --------------------------------------------
@pytest.mark.parametrize(
    "data", [transcript(), transcript(transcribed_at=None), transcript(transcribed_at="")]
)
def test_a_transcript_without_transcribed_at_reads_as_unknown_not_a_made_up_time(data):
    result = TranscriptionResult.from_dict(data)
    assert result.transcribed_at is None  # typed datetime | None; never "now"
    assert result.to_dict()["transcribed_at"] is None
    assert TranscriptionResult.from_dict(result.to_dict()) == result


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-30T21:30:00-03:00", datetime(2026, 12, 1, 0, 30, tzinfo=UTC)),
        ("2026-12-01T00:30:00Z", datetime(2026, 12, 1, 0, 30, tzinfo=UTC)),
        ("2026-12-01T00:30:00", datetime(2026, 12, 1, 0, 30, tzinfo=UTC)),  # naive = UTC
    ],
)
def test_transcribed_at_reads_as_an_aware_instant(raw, expected):
    found = TranscriptionResult.from_dict(transcript(transcribed_at=raw)).transcribed_at
    assert found == expected and found.utcoffset() is not None


def test_an_unreadable_transcribed_at_is_an_error_and_null_channels_is_mono():
    with pytest.raises(ValueError):
        TranscriptionResult.from_dict(transcript(transcribed_at="yesterday"))
    assert TranscriptionResult.from_dict(transcript(channels=None)).channels == 1


def call_dict(**fields):
    call = CallMetadata(
        id="id1",
        provider="aircall",
        external_id="1",
        direction=Direction.INBOUND,
        started_at=datetime(2026, 11, 30, 12, tzinfo=UTC),
        ended_at=None,
        duration_seconds=12.0,
        answered=True,
    )
    return {**call.to_dict(), **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"started_at": None},
        {"duration_seconds": "inf"},
        {"duration_seconds": "nan"},
        {"duration_seconds": -3},
    ],
)
def test_a_call_without_a_start_or_with_a_junk_length_is_refused(fields):
    with pytest.raises(ValueError):
        CallMetadata.from_dict(call_dict(**fields))


def test_a_call_with_optional_fields_null_reads():
    call = CallMetadata.from_dict(call_dict(duration_seconds=None, ended_at=None))
    assert call.duration_seconds == 0.0 and call.ended_at is None


def test_participants_and_recordings_with_nulls_get_the_typed_defaults():
    part = Participant.from_dict({"name": "Ana", "role": None, "kind": None})
    assert (part.role, part.kind) == ("", "")
    rec = Recording.from_dict({"id": 7, "call_external_id": None, "extra": None, "channel_roles": None})
    assert (rec.id, rec.call_external_id, rec.extra, rec.channel_roles, rec.started_at) == (
        "7",
        "",
        {},
        {},
        None,
    )


# --- 6. every time column of storage's frames is datetime64[ns, UTC] ---------------------------------------
def test_transcripts_frame_parses_transcribed_at_to_utc_like_calls_frame(tmp_path):
    storage = CompanyStorage("acme", tmp_path).ensure()
    stamps = {
        "a": "2026-11-30T21:30:00-03:00",
        "b": "2026-12-01T00:30:00+00:00",
        "c": None,
        "d": "not a time",
        "e": "2026-12-01T00:30:00",  # naive: UTC, as perftel writes
    }
    for name, stamp in stamps.items():
        write_json_atomic(
            storage.transcriptions_dir / f"call_{name}.json",
            transcript(recording_id=name, transcribed_at=stamp),
        )
    write_json_atomic(storage.transcriptions_dir / "call_f.json", {"recording_id": "f"})  # no key at all
    frame = storage.transcripts_frame().set_index("recording_id")
    assert str(frame["transcribed_at"].dtype) == "datetime64[ns, UTC]"
    noon = pd.Timestamp("2026-12-01T00:30:00Z")
    assert (
        frame.loc["a", "transcribed_at"]
        == noon
        == frame.loc["b", "transcribed_at"]
        == frame.loc["e", "transcribed_at"]
    )
    assert frame.loc[["c", "d", "f"], "transcribed_at"].isna().all()


def test_empty_frames_have_utc_time_columns_too(tmp_path):
    storage = CompanyStorage("acme", tmp_path).ensure()
    assert str(storage.transcripts_frame()["transcribed_at"].dtype) == "datetime64[ns, UTC]"
    calls = calls_frame([])
    assert {str(calls[c].dtype) for c in ("started_at", "ended_at")} == {"datetime64[ns, UTC]"}


def test_calls_frame_times_are_utc_whatever_the_offset():
    calls = [
        CallMetadata.from_dict(
            call_dict(started_at="2026-11-30T21:30:00-03:00", ended_at="2026-11-30T21:31:00-03:00")
        ),
        CallMetadata.from_dict(call_dict(id="id2", started_at=datetime(2026, 12, 1, 0, 30))),  # naive: UTC
    ]
    frame = calls_frame(calls)
    assert frame["started_at"].tolist() == [pd.Timestamp("2026-12-01T00:30:00Z")] * 2
    assert frame["ended_at"].iloc[0] == pd.Timestamp("2026-12-01T00:31:00Z") and pd.isna(
        frame["ended_at"].iloc[1]
    )


def test_utc_times_keeps_the_index():
    series = pd.Series(["2026-11-30T21:30:00-03:00", None], index=[5, 9])
    assert utc_times(series).index.tolist() == [5, 9]
