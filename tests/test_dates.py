"""perftel.dates: every date-like a data team passes means the same UTC range, in the company's zone.

Expected instants are written out by hand (from the IANA rules), never computed with the code under test.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from perftel import dates
from perftel.dates import (
    day_length,
    day_start,
    in_range,
    last_days,
    last_days_dates,
    local_day_range,
    read_date,
    to_day,
    to_local,
    to_utc,
    utc_range,
)
from perftel.errors import ConfigError

UTC = timezone.utc
SP, NY, LISBON, HAVANA = "America/Sao_Paulo", "America/New_York", "Europe/Lisbon", "America/Havana"


def Z(*args: int) -> datetime:  # noqa: N802 - reads like the ISO "Z"
    return datetime(*args, tzinfo=UTC)


# (zone, local day, its first instant in UTC, the next day's first instant in UTC)
DAYS = [
    (SP, date(2026, 11, 1), Z(2026, 11, 1, 3), Z(2026, 11, 2, 3)),  # UTC-3, no DST since 2019
    (SP, date(2026, 10, 31), Z(2026, 10, 31, 3), Z(2026, 11, 1, 3)),
    ("UTC", date(2026, 10, 31), Z(2026, 10, 31), Z(2026, 11, 1)),
    (NY, date(2026, 3, 8), Z(2026, 3, 8, 5), Z(2026, 3, 9, 4)),  # spring forward: 23 hours
    (NY, date(2026, 11, 1), Z(2026, 11, 1, 4), Z(2026, 11, 2, 5)),  # fall back: 25 hours
    (LISBON, date(2026, 3, 29), Z(2026, 3, 29), Z(2026, 3, 29, 23)),  # 23 hours
    (LISBON, date(2026, 10, 25), Z(2026, 10, 24, 23), Z(2026, 10, 26)),  # 25 hours
    (SP, date(2018, 11, 4), Z(2018, 11, 4, 3), Z(2018, 11, 5, 2)),  # midnight did not exist: 01:00 -02 first
    (SP, date(2019, 2, 16), Z(2019, 2, 16, 2), Z(2019, 2, 17, 3)),  # 23:00-23:59 twice: 25 hours
    (HAVANA, date(2001, 10, 28), Z(2001, 10, 28, 4), Z(2001, 10, 29, 5)),  # midnight twice: the earlier
    ("Asia/Kolkata", date(2026, 11, 1), Z(2026, 10, 31, 18, 30), Z(2026, 11, 1, 18, 30)),
]
DAY_IDS = [f"{tz}-{day}" for tz, day, _, _ in DAYS]


def whole_day_kinds(tz: str, day: date) -> list:
    """The same local day as every kind a data team passes (naive ones read in ``tz``)."""
    iso = day.isoformat()
    kinds = [
        iso,
        f"  {iso} ",
        f"{iso}T00:00",
        f"{iso} 00:00:00",
        f"{iso}T00:00:00.000000",
        day,
        datetime(day.year, day.month, day.day),
        pd.Timestamp(iso),
        pd.Timestamp(day),
        pd.to_datetime([iso])[0],
        pd.Period(iso, "D"),
        pd.Timestamp(iso).to_datetime64(),
        np.datetime64(iso, "h"),
        np.datetime64(iso),
        np.datetime64(iso, "D"),
        np.datetime64(f"{iso}T00:00"),
        np.datetime64(f"{iso}T00:00:00.000000000"),
        np.array(iso, dtype="datetime64[D]"),
        datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)),  # aware, its own zone = the company's
    ]
    first = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))
    if first.astimezone(UTC).astimezone(ZoneInfo(tz)).time() == time.min:  # pandas refuses a missing midnight
        kinds.append(pd.Timestamp(first))
        if first.replace(fold=1).utcoffset() == first.utcoffset():  # and asks which of an ambiguous one
            kinds.append(pd.Timestamp(iso, tz=tz))
        offset = first.strftime("%z")
        kinds.append(f"{iso}T00:00:00{offset[:3]}:{offset[3:]}")  # a fixed offset at that zone's midnight
    return kinds


@pytest.mark.parametrize(("tz", "day", "first", "after"), DAYS, ids=DAY_IDS)
def test_every_kind_of_date_means_the_same_whole_local_day(tz, day, first, after):
    for value in whole_day_kinds(tz, day):
        assert utc_range(value, value, tz=tz) == (first, after), repr(value)
        assert to_utc(value, tz=tz) == first and to_utc(value, end=True, tz=tz) == after, repr(value)
    assert local_day_range(day, tz=tz) == (first, after)
    assert day_start(day, tz) == first and day_length(day, tz) == after - first


def test_daylight_saving_days_last_23_or_25_hours():
    hours = {(tz, day): (after - first) / timedelta(hours=1) for tz, day, first, after in DAYS}
    assert (
        hours[(NY, date(2026, 3, 8))]
        == hours[(LISBON, date(2026, 3, 29))]
        == hours[(SP, date(2018, 11, 4))]
        == 23
    )
    assert (
        hours[(NY, date(2026, 11, 1))]
        == hours[(LISBON, date(2026, 10, 25))]
        == hours[(SP, date(2019, 2, 16))]
        == 25
    )
    assert hours[(HAVANA, date(2001, 10, 28))] == 25 and hours[(SP, date(2026, 11, 1))] == 24
    # a week across the change is 7 local days: 167 hours
    lo, hi = utc_range("2026-03-05", "2026-03-11", tz=NY)
    assert (lo, hi) == (Z(2026, 3, 5, 5), Z(2026, 3, 12, 4)) and hi - lo == timedelta(hours=167)


def test_a_missing_local_midnight_is_the_first_instant_of_the_day_not_an_error():
    # America/Sao_Paulo, 2018-11-04: 23:59:59 -03 was followed by 01:00:00 -02.
    assert day_start(date(2018, 11, 4), SP) == Z(2018, 11, 4, 3)
    assert to_utc("2018-11-04", tz=SP) == to_utc(datetime(2018, 11, 4), tz=SP) == Z(2018, 11, 4, 3)
    assert to_utc("2018-11-03", end=True, tz=SP) == Z(2018, 11, 4, 3)  # the day before ends right there
    assert (
        Z(2018, 11, 4, 3).astimezone(ZoneInfo(SP)).strftime("%Y-%m-%d %H:%M %z") == "2018-11-04 01:00 -0200"
    )
    # every zone and year where midnight went missing in tzdata resolves the same way (no crash, no gap)
    for tz, day in [
        ("America/Santiago", date(2022, 9, 11)),
        ("Asia/Beirut", date(2023, 3, 26)),
        ("America/Asuncion", date(2023, 10, 1)),
        ("Africa/Cairo", date(2023, 4, 28)),
    ]:
        first = day_start(day, tz)
        local = first.astimezone(ZoneInfo(tz))
        assert (
            local.date() == day
            and local.time() == time(1)
            and (first - timedelta(seconds=1)).astimezone(ZoneInfo(tz)).date() == day - timedelta(days=1)
        ), tz


def test_an_ambiguous_local_midnight_is_its_earlier_occurrence():
    # Havana, 2001-10-28: 00:59:59 CDT was followed by 00:00:00 CST: midnight happened twice.
    assert day_start(date(2001, 10, 28), HAVANA) == Z(2001, 10, 28, 4)
    assert to_utc("2001-10-27", end=True, tz=HAVANA) == Z(2001, 10, 28, 4)
    assert (Z(2001, 10, 28, 4) - timedelta(seconds=1)).astimezone(ZoneInfo(HAVANA)).date() == date(
        2001, 10, 27
    )


@pytest.mark.parametrize(
    ("start", "end", "tz", "expected"),
    [
        ("2026-11-01T09:00", "2026-11-01T21:00", SP, (Z(2026, 11, 1, 12), Z(2026, 11, 2))),
        ("2026-11-01 09:00:00", "2026-11-01 21:00:00", SP, (Z(2026, 11, 1, 12), Z(2026, 11, 2))),
        (datetime(2026, 11, 1, 9), datetime(2026, 11, 1, 21), SP, (Z(2026, 11, 1, 12), Z(2026, 11, 2))),
        (
            pd.Timestamp("2026-11-01 09:00"),
            pd.Timestamp("2026-11-01 21:00"),
            SP,
            (Z(2026, 11, 1, 12), Z(2026, 11, 2)),
        ),
        (
            np.datetime64("2026-11-01T09:00"),
            np.datetime64("2026-11-01T21:00:00.000000000"),
            SP,
            (Z(2026, 11, 1, 12), Z(2026, 11, 2)),
        ),
        ("2026-11-01T09:00Z", "2026-11-01T21:00:00+00:00", SP, (Z(2026, 11, 1, 9), Z(2026, 11, 1, 21))),
        ("2026-11-01T09:00:00-03:00", "2026-11-01T21:00-0300", "UTC", (Z(2026, 11, 1, 12), Z(2026, 11, 2))),
        (
            pd.Timestamp("2026-11-01 09:00", tz="UTC"),
            pd.Timestamp("2026-11-01 12:00", tz=NY),
            SP,
            (Z(2026, 11, 1, 9), Z(2026, 11, 1, 17)),
        ),
        (
            datetime(2026, 11, 1, 9, 30, 15, 250000),
            datetime(2026, 11, 1, 9, 30, 15, 250001),
            "UTC",
            (Z(2026, 11, 1, 9, 30, 15, 250000), Z(2026, 11, 1, 9, 30, 15, 250001)),
        ),
        # a whole-day start with an explicit end, and the other way round
        ("2026-11-01", "2026-11-01T12:00", SP, (Z(2026, 11, 1, 3), Z(2026, 11, 1, 15))),
        ("2026-11-01T12:00", date(2026, 11, 1), SP, (Z(2026, 11, 1, 15), Z(2026, 11, 2, 3))),
        # ISO dates in basic form
        ("20261101", "20261101T0900", SP, (Z(2026, 11, 1, 3), Z(2026, 11, 1, 12))),
    ],
)
def test_explicit_times_are_honoured_and_the_end_is_exclusive_there(start, end, tz, expected):
    assert utc_range(start, end, tz=tz) == expected


def test_the_two_examples_of_the_issue():
    # pd.Timestamp days meant the first instant as the end: the range was one day short.
    assert utc_range(pd.Timestamp("2026-10-31"), pd.Timestamp("2026-11-01")) == utc_range(
        "2026-10-31", "2026-11-01"
    )
    assert utc_range("2026-10-31", "2026-11-01") == (Z(2026, 10, 31), Z(2026, 11, 2))
    # a datetime at midnight as start and end is that one whole day, not "end before start"
    assert utc_range(datetime(2026, 11, 1), datetime(2026, 11, 1)) == (Z(2026, 11, 1), Z(2026, 11, 2))


def test_aware_values_keep_their_own_zone():
    # midnight written in the company's zone or offset: that local day
    for value in (
        "2026-11-01T00:00-03:00",
        pd.Timestamp("2026-11-01", tz=SP),
        datetime(2026, 11, 1, tzinfo=ZoneInfo(SP)),
    ):
        assert utc_range(value, value, tz=SP) == (Z(2026, 11, 1, 3), Z(2026, 11, 2, 3)), repr(value)
    # the same instant written on a UTC clock (03:00Z) is an explicit time: a boundary, exclusive as an end
    for value in (
        "2026-11-01T03:00Z",
        pd.Timestamp("2026-11-01 03:00", tz="UTC"),
        datetime(2026, 11, 1, 3, tzinfo=UTC),
    ):
        assert utc_range("2026-10-31", value, tz=SP) == (Z(2026, 10, 31, 3), Z(2026, 11, 1, 3)), repr(value)
        assert utc_range(value, "2026-11-01", tz=SP) == (Z(2026, 11, 1, 3), Z(2026, 11, 2, 3)), repr(value)
    # UTC midnight for a São Paulo company: the UTC day, which the caller wrote explicitly
    assert utc_range("2026-11-01T00:00Z", "2026-11-01T00:00Z", tz=SP) == (Z(2026, 11, 1), Z(2026, 11, 2))
    assert utc_range(pd.Timestamp("2026-11-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC"), tz=SP) == (
        Z(2026, 11, 1),
        Z(2026, 11, 2),
    )
    # naive values are the company's clock; the same wall time aware in another zone is another instant
    assert to_utc(datetime(2026, 11, 1, 9), tz=SP) == Z(2026, 11, 1, 12)
    assert to_utc(datetime(2026, 11, 1, 9, tzinfo=ZoneInfo(LISBON)), tz=SP) == Z(2026, 11, 1, 9)
    # a fixed offset at the company's midnight on a 25-hour day still ends with that local day
    assert utc_range("2026-11-01T00:00-04:00", "2026-11-01T00:00-04:00", tz=NY) == (
        Z(2026, 11, 1, 4),
        Z(2026, 11, 2, 5),
    )


def test_other_tzinfo_libraries_are_read_like_zoneinfo():
    from dateutil import tz as dateutil_tz

    value = datetime(2026, 11, 1, tzinfo=dateutil_tz.gettz(NY))
    assert utc_range(value, value, tz=NY) == (Z(2026, 11, 1, 4), Z(2026, 11, 2, 5))
    assert utc_range(value, value, tz=SP) == (Z(2026, 11, 1, 4), Z(2026, 11, 2, 5))  # its own zone's day


def test_pytz_zones_are_read_like_zoneinfo():
    import pytz

    stamp = pytz.timezone(NY).localize(datetime(2026, 11, 1))
    assert utc_range(stamp, stamp, tz=NY) == (Z(2026, 11, 1, 4), Z(2026, 11, 2, 5))
    assert dates.zone(pytz.timezone(SP)) == ZoneInfo(SP)


GARBAGE = [
    "2026-13-01",
    "2026-02-30",
    "yesterday",
    "today",
    "",
    "   ",
    "01/11/2026",
    "11/01/2026",
    "2026-11",
    "2026-11-01T25:00",
    "2026-11-01 9am",
    None,
    pd.NaT,
    np.datetime64("NaT"),
    np.datetime64("NaT", "ns"),
    np.datetime64("2026-11"),
    np.datetime64("2026"),
    20261101,
    1.5,
    True,
    [2026, 11, 1],
    object(),
    np.array(["2026-11-01", "2026-11-02"], dtype="datetime64[D]"),
    pd.Period("2026-11", "M"),
    b"2026-11-01",
    pd.Series(["2026-11-01"]),
    time(9, 30),
]


@pytest.mark.parametrize("value", GARBAGE, ids=[repr(v)[:30] for v in GARBAGE])
def test_garbage_is_a_config_error_naming_the_value_and_the_accepted_forms(value):
    for call in (
        lambda: to_utc(value),
        lambda: utc_range(value, "2026-11-01"),
        lambda: utc_range("2026-11-01", value),
        lambda: to_day(value),
        lambda: local_day_range(value),
    ):
        with pytest.raises(ConfigError) as caught:
            call()
        message = str(caught.value)
        assert "YYYY-MM-DD" in message and "datetime64" in message
        assert ("missing" in message) if value is None else (repr(value)[:20] in message or "NaT" in message)


def test_an_end_before_or_at_the_start_is_a_config_error():
    with pytest.raises(ConfigError, match="before the start"):
        utc_range("2026-11-02", "2026-11-01")
    with pytest.raises(ConfigError, match="before the start"):
        utc_range("2026-11-01T10:00", "2026-11-01T10:00")
    with pytest.raises(ConfigError, match="before the start"):
        local_day_range("2026-11-02", "2026-11-01")
    with pytest.raises(ConfigError, match="too close"):
        to_utc("9999-12-31", end=True)


def test_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="IANA"):
        utc_range("2026-11-01", "2026-11-01", tz="Brasilia")
    with pytest.raises(ConfigError, match="IANA"):
        dates.zone("UTC-3")


def test_no_zone_given_means_perftel_timezone_then_utc(monkeypatch):
    monkeypatch.delenv("PERFTEL_TIMEZONE", raising=False)
    assert utc_range("2026-11-01", "2026-11-01") == (Z(2026, 11, 1), Z(2026, 11, 2))
    monkeypatch.setenv("PERFTEL_TIMEZONE", SP)
    assert utc_range("2026-11-01", "2026-11-01") == (Z(2026, 11, 1, 3), Z(2026, 11, 2, 3))
    assert utc_range("2026-11-01", "2026-11-01", tz="UTC") == (Z(2026, 11, 1), Z(2026, 11, 2))
    monkeypatch.setenv("PERFTEL_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="PERFTEL_TIMEZONE"):
        utc_range("2026-11-01", "2026-11-01")


def test_last_days_are_local_days_up_to_now():
    now = Z(2026, 11, 2, 1, 30)  # 22:30 on 1 November in São Paulo, already 2 November in UTC
    assert last_days(1, now=now, tz=SP) == (Z(2026, 11, 1, 3), now)
    assert last_days(1, now=now, tz="UTC") == (Z(2026, 11, 2), now)
    assert last_days(7, now=now, tz=SP) == (Z(2026, 10, 26, 3), now)
    assert last_days(2, now=Z(2026, 3, 9, 12), tz=NY) == (
        Z(2026, 3, 8, 5),
        Z(2026, 3, 9, 12),
    )  # across the change
    assert last_days_dates(7, now=now, tz=SP) == (date(2026, 10, 26), date(2026, 11, 1))
    assert last_days_dates(1, now=now, tz="UTC") == (date(2026, 11, 2), date(2026, 11, 2))
    for bad in (0, -1, 1.5, "7", True):
        with pytest.raises(ConfigError, match="days"):
            last_days(bad, now=now)


def test_to_day_is_the_local_calendar_day():
    assert to_day("2026-11-01", tz=SP) == date(2026, 11, 1)
    assert to_day("2026-11-02T01:30Z", tz=SP) == date(2026, 11, 1)
    assert to_day(pd.Timestamp("2026-11-02 01:30", tz="UTC"), tz=SP) == date(2026, 11, 1)
    assert to_day(datetime(2026, 11, 1, 23, 59), tz=SP) == date(2026, 11, 1)  # naive: already local
    assert to_day(np.datetime64("2026-11-01T23:59"), tz=SP) == date(2026, 11, 1)
    assert local_day_range("2026-11-01T22:30", pd.Timestamp("2026-11-03 08:00"), tz=SP) == (
        Z(2026, 11, 1, 3),
        Z(2026, 11, 4, 3),
    )


# the example of the issue: three calls on the local 1 November (UTC-3), one on the evening before
STARTS_UTC = ["2026-11-01T01:00:00Z", "2026-11-01T12:00:00Z", "2026-11-01T23:59:00Z", "2026-11-02T01:30:00Z"]


def test_to_local_gives_local_days_and_hours_for_display():
    series = pd.Series(pd.to_datetime(STARTS_UTC, utc=True))
    local = to_local(series, SP)
    assert str(local.dt.tz) == SP
    assert list(local.dt.hour) == [22, 9, 20, 22]
    assert list(local.dt.date) == [date(2026, 10, 31)] + [date(2026, 11, 1)] * 3
    assert list(to_local(pd.Series(STARTS_UTC), SP).dt.hour) == [22, 9, 20, 22]  # ISO strings as stored
    assert list(to_local(pd.Series(STARTS_UTC), "UTC").dt.hour) == [1, 12, 23, 1]
    naive = pd.Series(pd.to_datetime(STARTS_UTC, utc=True).tz_localize(None))  # naive = UTC, as stored
    assert list(to_local(naive, SP).dt.hour) == [22, 9, 20, 22]
    assert list(to_local(pd.DatetimeIndex(series), SP).hour) == [22, 9, 20, 22]
    one = to_local(Z(2026, 11, 2, 1, 30), SP)
    assert (one.date(), one.hour, one.utcoffset()) == (date(2026, 11, 1), 22, timedelta(hours=-3))
    assert to_local("2026-11-02T01:30:00Z", SP) == one and to_local(datetime(2026, 11, 2, 1, 30), SP) == one
    assert to_local(None, SP) is None and to_local(pd.NaT, SP) is None
    with pytest.raises(ConfigError):
        to_local("not a time", SP)


def test_in_range_filters_instants_by_local_days():
    stamps = pd.Series(STARTS_UTC, index=[10, 11, 12, 13])
    assert list(in_range(stamps, "2026-11-01", "2026-11-01", tz=SP)) == [False, True, True, True]
    assert list(in_range(stamps, "2026-11-01", "2026-11-01", tz="UTC")) == [True, True, True, False]
    assert list(in_range(stamps, date(2026, 10, 31), None, tz=SP)) == [True, True, True, True]
    assert list(in_range(stamps, None, pd.Timestamp("2026-10-31"), tz=SP)) == [True, False, False, False]
    assert list(in_range(stamps, "2026-11-01T09:00", "2026-11-01T21:00", tz=SP).index) == [10, 11, 12, 13]
    assert list(in_range(stamps, "2026-11-01T09:00", "2026-11-01T21:00", tz=SP)) == [False, True, True, False]


def test_read_date_returns_plain_python_values():
    assert read_date(np.datetime64("2026-11-01")) == date(2026, 11, 1)
    assert read_date(pd.Timestamp("2026-11-01 09:30:00.123456789")) == datetime(2026, 11, 1, 9, 30, 0, 123456)
    assert type(read_date(pd.Timestamp("2026-11-01"))) is datetime
    assert read_date("2026-11-01T09:30Z") == Z(2026, 11, 1, 9, 30)


def test_importing_perftel_dates_imports_neither_pandas_nor_numpy():
    code = "import sys, perftel.dates; print('pandas' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
