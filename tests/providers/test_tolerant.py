"""The tolerant JSON readers every provider mapping shares (``perftel.providers.tolerant``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from perftel.providers.tolerant import (
    LATEST,
    MAX_CALL_SECONDS,
    as_dict,
    call_seconds,
    moment,
    plausible_end,
    scalar,
    start_or_skip,
    text,
    to_float,
    to_int,
)

UTC = timezone.utc
NOON = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Anna  ", "Anna"),  # stripped, for every provider
        ("\tabc\n", "abc"),
        ("", None),
        ("   ", None),  # blank text is absent
        (None, None),
        ({"a": 1}, None),
        ([1], None),
        (42, "42"),
        (0, "0"),  # a falsy number is still a value
        (False, "False"),
    ],
)
def test_text_strips_and_treats_blank_as_absent(value, expected):
    assert text(value) == expected


def test_as_dict_only_keeps_objects():
    assert as_dict({"a": 1}) == {"a": 1}
    assert as_dict([("a", 1)]) == {} and as_dict(None) == {} and as_dict("x") == {}


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (12, 12.0),
        ("12.5", 12.5),
        (" 7 ", 7.0),
        ("", None),
        ("abc", None),
        (None, None),
        (True, None),
        ("nan", None),
        (float("inf"), None),
        ([], None),
    ],
)
def test_to_float_reads_numbers_and_numeric_text(value, number):
    assert to_float(value) == number


def test_to_int_cuts_fractions_and_refuses_junk():
    assert to_int("50") == 50 and to_int("50.9") == 50 and to_int(3.2) == 3
    assert to_int("x") is None and to_int(None) is None and to_int(False) is None


@pytest.mark.parametrize(
    "value",
    [
        NOON.timestamp(),  # seconds
        int(NOON.timestamp()),
        int(NOON.timestamp() * 1000),  # milliseconds: above 1e11
        str(int(NOON.timestamp())),  # numeric text
        str(int(NOON.timestamp() * 1000)),
        "2026-11-17T12:00:00Z",
        "2026-11-17T12:00:00.000Z",
        "2026-11-17T09:00:00-03:00",  # an offset, turned into UTC
        "2026-11-17T09:00:00-0300",  # an offset without a colon
        "2026-11-17T12:00:00",  # no offset: UTC
    ],
)
def test_moment_reads_seconds_milliseconds_and_iso_as_utc(value):
    found = moment(value)
    assert found == NOON and found.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value", [None, "", "  ", "yesterday", True, -5, "-5", {"t": 1}, [1], float("nan"), 1e30]
)
def test_moment_answers_none_for_what_is_not_a_time(value):
    assert moment(value) is None


def test_the_milliseconds_threshold():
    # 1e11 seconds is the year 5138 (past LATEST, so no time at all); only a value above it is milliseconds.
    assert moment(10**11) is None
    assert moment(10**11 + 1).year == 1973
    assert moment(LATEST.timestamp() - 1).year == 2199


@pytest.mark.parametrize(
    "value",
    [
        "inf",
        "-inf",
        "Infinity",
        "NaN",
        float("inf"),
        float("nan"),
        1e308,
        "1e400",
        "9999-12-31T23:59:59Z",  # a far-future placeholder
        "9999-12-31T23:00:00-03:00",  # past datetime.max once in UTC
        "2200-01-01T00:00:00Z",
    ],
)
def test_moment_refuses_non_finite_and_absurd_times(value):
    assert moment(value) is None


@pytest.mark.parametrize(
    ("value", "per_second", "expected"),
    [
        ("307", 1.0, 307.0),
        (12.5, 1.0, 12.5),
        (0, 1.0, 0.0),
        ("90000", 1000.0, 90.0),  # milliseconds
        (MAX_CALL_SECONDS, 1.0, MAX_CALL_SECONDS),
    ],
)
def test_call_seconds_reads_lengths(value, per_second, expected, caplog):
    with caplog.at_level(logging.WARNING, logger="perftel.providers"):
        assert call_seconds(value, provider="x", call_id="c1", per_second=per_second) == expected
    assert not caplog.records


@pytest.mark.parametrize("value", [None, "", "  "])
def test_call_seconds_of_nothing_is_none_quietly(value, caplog):
    with caplog.at_level(logging.WARNING, logger="perftel.providers"):
        assert call_seconds(value, provider="x", call_id="c1") is None
    assert not caplog.records


@pytest.mark.parametrize(
    "value",
    [
        "inf",
        "Infinity",
        float("inf"),
        float("nan"),
        "NaN",
        1e308,
        "1e400",
        -4,
        "-1",
        "abc",
        MAX_CALL_SECONDS + 1,
        True,
    ],
)
def test_call_seconds_of_junk_is_none_with_a_warning_naming_the_call_only(value, caplog):
    with caplog.at_level(logging.WARNING, logger="perftel.providers"):
        assert call_seconds(value, provider="aircall", call_id="call-77", field="duration") is None
    [record] = caplog.records
    assert "aircall call call-77" in record.getMessage() and "duration" in record.getMessage()
    assert str(value) not in record.getMessage().replace("call-77", "")


def test_plausible_end_drops_ends_before_the_start_or_days_after(caplog):
    with caplog.at_level(logging.WARNING, logger="perftel.providers"):
        assert plausible_end(
            NOON, NOON + timedelta(minutes=5), provider="x", call_id="c"
        ) == NOON + timedelta(minutes=5)
        assert plausible_end(NOON, None, provider="x", call_id="c") is None
        assert plausible_end(NOON, NOON - timedelta(seconds=1), provider="x", call_id="c") is None
        assert not caplog.records
        assert plausible_end(NOON, NOON + timedelta(days=30), provider="x", call_id="c9") is None
    assert "x call c9" in caplog.records[-1].getMessage()


def test_start_or_skip_warns_with_the_call_id(caplog):
    with caplog.at_level(logging.WARNING, logger="perftel.providers"):
        assert start_or_skip(NOON, provider="x", call_id="c1") == NOON
        assert not caplog.records
        assert start_or_skip(None, provider="goto_connect", call_id="cs-1") is None
    assert caplog.records[-1].getMessage() == "goto_connect call cs-1 has no start time; skipped."


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("x", "x"),
        (3, 3),
        (1.5, 1.5),
        (True, True),
        (float("inf"), None),
        (float("nan"), None),
        ({}, None),
        (None, None),
    ],
)
def test_scalar_keeps_finite_json_scalars(value, kept):
    assert scalar(value) == kept
