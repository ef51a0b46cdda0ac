"""Local days end to end: a São Paulo company's 1 November through real drivers and their sandboxes,
``run_pipeline`` and the ``perftel download`` command line.

The example of issue 14: three calls on the local 1 November (09:00, 20:59 and 22:30 at UTC-3) and one on
the evening of 31 October (22:00). The truth is each sandbox's own ``expected_calls(lo, hi)`` over the
local day's UTC bounds, written out by hand: [2026-11-01T03:00Z, 2026-11-02T03:00Z).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from perftel import create_provider, run_pipeline
from perftel.company import save_setting
from perftel_sandbox import start_sandbox

SP, NY = "America/Sao_Paulo", "America/New_York"
UTC = timezone.utc


def Z(*args: int) -> datetime:  # noqa: N802
    return datetime(*args, tzinfo=UTC)


SP_DAY = (Z(2026, 11, 1, 3), Z(2026, 11, 2, 3))  # local 1 November in São Paulo
UTC_DAY = (Z(2026, 11, 1), Z(2026, 11, 2))
NY_DAY = (Z(2026, 11, 1, 4), Z(2026, 11, 2, 5))  # New York's 1 November 2026 lasts 25 hours

EVENING_BEFORE = Z(2026, 11, 1, 1)  # 22:00 on 31 October in São Paulo
EXAMPLE = [Z(2026, 11, 1, 12), Z(2026, 11, 1, 23, 59), Z(2026, 11, 2, 1, 30)]  # 09:00, 20:59, 22:30 local
PINS = [
    EVENING_BEFORE,
    Z(2026, 11, 1, 3),  # local midnight: the first instant of the day, included
    *EXAMPLE,
    Z(2026, 11, 2, 2, 59, 59),  # 23:59:59 local, included
    Z(2026, 11, 2, 3),  # local midnight of 2 November, excluded
    Z(2026, 11, 1, 3, 59, 59),
    Z(2026, 11, 1, 4),
    Z(2026, 11, 2, 4, 30),
    Z(2026, 11, 2, 5),  # New York's edges
]


@pytest.fixture(autouse=True)
def no_zone_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("PERFTEL_TIMEZONE", raising=False)
    monkeypatch.setenv("PERFTEL_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def aircall():
    with start_sandbox(
        "aircall", seed=5, enforce_rate_limit=False, pinned_calls=[p.timestamp() for p in PINS]
    ) as sb:
        yield sb


def ids(calls) -> list[str]:
    return sorted(c.external_id for c in calls)


def truth(sb, lo, hi) -> list[str]:
    return sorted(str(c["id"]) for c in sb.expected_calls(lo.timestamp(), hi.timestamp()))


def started(calls) -> set[datetime]:
    return {c.started_at for c in calls}


def test_the_local_day_holds_exactly_the_local_days_calls(aircall):
    provider = create_provider("aircall", "acme", base_url=aircall.base_url, credentials=aircall.credentials)
    calls = provider.fetch_calls("2026-11-01", "2026-11-01", tz=SP)
    assert ids(calls) == truth(aircall, *SP_DAY) and len(calls) >= 6
    assert set(EXAMPLE) <= started(calls) and EVENING_BEFORE not in started(calls)
    assert {Z(2026, 11, 1, 3), Z(2026, 11, 2, 2, 59, 59)} <= started(calls) and Z(
        2026, 11, 2, 3
    ) not in started(calls)
    local = sorted(c.started_at.astimezone(ZoneInfo(SP)) for c in calls)
    assert all(t.date() == date(2026, 11, 1) for t in local)
    # the same dates read as UTC days: the old answer, with the evening before and without 22:30
    utc = provider.fetch_calls("2026-11-01", "2026-11-01", tz="UTC")
    assert ids(utc) == truth(aircall, *UTC_DAY) and ids(utc) != ids(calls)
    assert EVENING_BEFORE in started(utc) and Z(2026, 11, 2, 1, 30) not in started(utc)


def test_every_kind_of_date_lists_the_same_calls(aircall):
    provider = create_provider("aircall", "acme", base_url=aircall.base_url, credentials=aircall.credentials)
    expected = truth(aircall, *SP_DAY)
    kinds = [
        ("2026-11-01", "2026-11-01"),
        (date(2026, 11, 1), date(2026, 11, 1)),
        (datetime(2026, 11, 1), datetime(2026, 11, 1)),
        (pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-01")),
        (np.datetime64("2026-11-01"), np.datetime64("2026-11-01")),
        (np.datetime64("2026-11-01T00:00:00.000000000"), np.datetime64("2026-11-01", "D")),
        (pd.Timestamp("2026-11-01", tz=SP), datetime(2026, 11, 1, tzinfo=ZoneInfo(SP))),
        ("2026-11-01T00:00:00-03:00", "2026-11-01T00:00-03:00"),
        ("2026-11-01T03:00:00Z", "2026-11-02T03:00:00Z"),  # explicit instants: the end is excluded there
        ("2026-11-01", pd.Timestamp("2026-11-01 23:59:59.5", tz=SP)),  # after the 23:59:59 call
    ]
    for start, end in kinds:
        assert ids(provider.fetch_calls(start, end, tz=SP)) == expected, (start, end)


def test_explicit_times_are_honoured_through_the_driver(aircall):
    provider = create_provider("aircall", "acme", base_url=aircall.base_url, credentials=aircall.credentials)
    calls = provider.fetch_calls("2026-11-01T09:00", "2026-11-01T20:59", tz=SP)  # 20:59 is excluded
    assert ids(calls) == truth(aircall, Z(2026, 11, 1, 12), Z(2026, 11, 1, 23, 59))
    assert Z(2026, 11, 1, 12) in started(calls) and Z(2026, 11, 1, 23, 59) not in started(calls)
    calls = provider.fetch_calls(datetime(2026, 11, 1, 20, 59), pd.Timestamp("2026-11-01 22:30:01"), tz=SP)
    assert {Z(2026, 11, 1, 23, 59), Z(2026, 11, 2, 1, 30)} <= started(calls)


def test_the_company_zone_is_the_default(aircall, monkeypatch, tmp_path):
    provider = create_provider("aircall", "acme", base_url=aircall.base_url, credentials=aircall.credentials)
    assert ids(provider.fetch_calls("2026-11-01", "2026-11-01")) == truth(
        aircall, *UTC_DAY
    )  # no zone set: UTC
    save_setting("acme", "timezone", SP, tmp_path / "data")
    assert ids(provider.fetch_calls("2026-11-01", "2026-11-01")) == truth(aircall, *SP_DAY)
    monkeypatch.setenv("PERFTEL_TIMEZONE", NY)  # the environment overrides the file
    assert ids(provider.fetch_calls("2026-11-01", "2026-11-01")) == truth(aircall, *NY_DAY)
    assert ids(provider.fetch_calls("2026-11-01", "2026-11-01", tz="UTC")) == truth(
        aircall, *UTC_DAY
    )  # code wins


def test_a_25_hour_day_through_the_driver(aircall):
    provider = create_provider("aircall", "acme", base_url=aircall.base_url, credentials=aircall.credentials)
    calls = provider.fetch_calls(date(2026, 11, 1), date(2026, 11, 1), tz=NY)
    assert ids(calls) == truth(aircall, *NY_DAY)
    assert {Z(2026, 11, 1, 4), Z(2026, 11, 2, 4, 30)} <= started(calls)  # 00:00 EDT and 23:30 EST
    assert not {Z(2026, 11, 1, 3, 59, 59), Z(2026, 11, 2, 5)} & started(calls)


@pytest.mark.parametrize(
    ("name", "options", "key"),
    [
        ("goto_connect", {"enforce_rate_limit": False}, "conversationSpaceId"),
        ("twilio", {}, "sid"),
        ("ringcentral", {"heavy_limit": 1000, "light_limit": 1000, "auth_limit": 1000}, "telephonySessionId"),
    ],
)
def test_every_driver_lists_the_local_days(name, options, key):
    with start_sandbox(name, seed=11, calls_per_day=24, **options) as sb:
        provider = create_provider(name, "acme", base_url=sb.base_url, credentials=sb.credentials)
        # São Paulo's 31 October and 1 November; New York's 25-hour 1 November
        for tz, (lo, hi), first in (
            (SP, (Z(2026, 10, 31, 3), SP_DAY[1]), date(2026, 10, 31)),
            (NY, NY_DAY, date(2026, 11, 1)),
        ):
            expected = sorted(str(c[key]) for c in sb.expected_calls(lo, hi))
            calls = provider.fetch_calls(first, pd.Timestamp("2026-11-01"), tz=tz)
            assert expected and ids(calls) == expected, tz
            assert all(
                first <= c.started_at.astimezone(ZoneInfo(tz)).date() <= date(2026, 11, 1) for c in calls
            )


def test_run_pipeline_uses_the_companys_local_days(aircall, tmp_path):
    data = tmp_path / "data"
    save_setting("acme", "timezone", SP, data)
    common = {
        "base_url": aircall.base_url,
        "credentials": aircall.credentials,
        "data_dir": data,
        "download": False,
    }
    result = run_pipeline("aircall", "acme", "2026-11-01", date(2026, 11, 1), **common)
    assert not result.failed and ids(result.calls) == truth(aircall, *SP_DAY)
    listing = json.loads(result.metadata_file.read_text())
    assert (listing["start"], listing["end"]) == ("2026-11-01T03:00:00+00:00", "2026-11-02T03:00:00+00:00")
    result = run_pipeline(
        "aircall", "acme", np.datetime64("2026-11-01"), datetime(2026, 11, 1), tz="UTC", **common
    )
    assert ids(result.calls) == truth(aircall, *UTC_DAY)


# -- the command line: a real `perftel` process against the in-process sandbox -----------------------
def perftel(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "perftel.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def listed(data) -> tuple[list[str], dict]:
    (path,) = sorted((data / "acme" / "calls" / "metadata").glob("calls_*.json"))
    listing = json.loads(path.read_text())
    path.unlink()
    return sorted(c["external_id"] for c in listing["calls"]), listing


def test_cli_download_lists_exactly_the_local_day(aircall, tmp_path):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PERFTEL_CONFIG_DIR": str(tmp_path / "config"),
        "PERFTEL_DATA_DIR": str(data),
        "PERFTEL_AIRCALL_BASE_URL": aircall.base_url,
        "PERFTEL_COMPANY": "acme",
        "PERFTEL_PROVIDER": "aircall",
    }
    secrets = {f"PERFTEL_AIRCALL_{k.upper()}": v for k, v in aircall.credentials.items()}
    out = perftel("credentials", "set", "--no-test", env={**env, **secrets})
    assert out.returncode == 0, out.stderr

    day = ["download", "--start", "2026-11-01", "--end", "2026-11-01"]
    out = perftel(*day, env={**env, "PERFTEL_TIMEZONE": SP})
    assert "calls listed" in out.stdout, out.stdout + out.stderr
    got, listing = listed(data)
    assert got == truth(aircall, *SP_DAY) and listing["start"] == "2026-11-01T03:00:00+00:00"
    by_start = {c["started_at"] for c in listing["calls"]}
    assert {"2026-11-01T12:00:00+00:00", "2026-11-01T23:59:00+00:00", "2026-11-02T01:30:00+00:00"} <= by_start
    assert "2026-11-01T01:00:00+00:00" not in by_start  # 22:00 on 31 October

    assert (
        perftel("settings", "set", "timezone", SP, env=env).returncode == 0
    )  # the company's file, no variable
    perftel(*day, env=env)
    assert listed(data)[0] == truth(aircall, *SP_DAY)
    perftel(*day, "--timezone", "UTC", env=env)  # the flag wins
    assert listed(data)[0] == truth(aircall, *UTC_DAY)

    out = perftel("download", "--start", "2026-13-01", "--end", "2026-11-01", env=env)
    assert out.returncode == 2 and "'2026-13-01'" in out.stderr and "YYYY-MM-DD" in out.stderr
    out = perftel(*day, "--timezone", "Brasilia", env=env)
    assert out.returncode == 2 and "IANA" in out.stderr
    out = perftel(*day, "--days", "3", env=env)
    assert out.returncode == 2 and "not both" in out.stderr


# -- reports: the period is local days of the company ----------------------------------------------------
def test_report_period_is_the_companys_local_days(tmp_path):
    from perftel.errors import ConfigError
    from perftel.report import report_period

    data = tmp_path / "data"
    now = Z(2026, 11, 2, 1, 30)  # 22:30 on 1 November in São Paulo
    assert report_period("acme", days=1, data_dir=data, now=now) == (
        date(2026, 11, 2),
        date(2026, 11, 2),
    )  # UTC
    save_setting("acme", "timezone", SP, data)
    assert report_period("acme", days=1, data_dir=data, now=now) == (date(2026, 11, 1), date(2026, 11, 1))
    assert report_period("acme", days=7, data_dir=data, now=now) == (date(2026, 10, 26), date(2026, 11, 1))
    assert report_period("acme", "2026-11-02T01:30Z", pd.Timestamp("2026-11-07"), data_dir=data) == (
        date(2026, 11, 1),
        date(2026, 11, 7),
    )
    assert report_period("acme", np.datetime64("2026-11-01"), date(2026, 11, 1), data_dir=data) == (
        date(2026, 11, 1),
        date(2026, 11, 1),
    )
    for start, end, days, message in [
        ("2026-11-01", "2026-11-07", 7, "not both"),
        ("2026-11-01", None, None, "--end"),
        ("2026-11-31", "2026-12-01", None, "'2026-11-31'"),
        ("2026-11-07", "2026-11-01", None, "before the start"),
        (None, None, 0, "at least 1"),
    ]:
        with pytest.raises(ConfigError, match=message):
            report_period("acme", start, end, days=days, data_dir=data)


def test_report_passes_local_days_to_the_notebook(tmp_path, monkeypatch):
    import nbformat

    from perftel.report import build_report

    notebook = tmp_path / "period.ipynb"
    cell = nbformat.v4.new_code_cell('START = ""\nEND = ""')
    cell.metadata["tags"] = ["parameters"]
    cells = [cell, nbformat.v4.new_code_cell("print(START, END)")]
    kernel = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=kernel), notebook)
    monkeypatch.setenv("PERFTEL_TIMEZONE", SP)
    files = build_report(
        start=pd.Timestamp("2026-11-02 01:30", tz="UTC"),
        end="2026-11-01",
        company="acme",
        data_dir=tmp_path / "data",
        output=tmp_path / "out.html",
        notebook=notebook,
    )
    executed = nbformat.read(files.notebook, as_version=4)
    assert "2026-11-01 2026-11-01" in executed.cells[-1].outputs[0]["text"]
    assert files.html.name == "out.html"
