"""The tolerant JSON readers every provider mapping shares (``perftel.providers.tolerant``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from perftel.providers.tolerant import as_dict, moment, text, to_float, to_int

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
    # 1e11 seconds is the year 5138, so only a value above it is taken as milliseconds.
    assert moment(10**11).year == 5138
    assert moment(10**11 + 1).year == 1973
