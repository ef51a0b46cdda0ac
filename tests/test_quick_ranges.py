"""Quick date ranges end on the company's local today, read from a fixed clock (never the real one)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from perftel.company import company_today
from perftel.notebook.options import DateRange, quick_range

UTC = timezone.utc
SP = "America/Sao_Paulo"  # UTC-3, no daylight saving since 2019


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), SP, date(2026, 11, 30)),  # 20:30 in São Paulo
        (datetime(2026, 12, 1, 0, 30, tzinfo=UTC), SP, date(2026, 11, 30)),  # 21:30 there: still the 30th
        (datetime(2026, 12, 1, 2, 59, tzinfo=UTC), SP, date(2026, 11, 30)),  # 23:59 there
        (datetime(2026, 12, 1, 3, 0, tzinfo=UTC), SP, date(2026, 12, 1)),  # midnight there
        (datetime(2026, 12, 1, 0, 30, tzinfo=UTC), "UTC", date(2026, 12, 1)),
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "Asia/Tokyo", date(2026, 12, 1)),
        (datetime(2026, 12, 1, 0, 30, tzinfo=UTC), ZoneInfo(SP), date(2026, 11, 30)),
    ],
)
def test_today_is_the_company_local_day(now, tz, expected):
    assert quick_range("Today", tz=tz, now=now) == (expected, expected)
    assert quick_range("Last 7 days", tz=tz, now=now) == (expected - timedelta(days=6), expected)
    assert quick_range("This month", tz=tz, now=now) == (expected.replace(day=1), expected)


def test_without_a_time_zone_perftel_timezone_decides(monkeypatch):
    now = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    monkeypatch.setenv("PERFTEL_TIMEZONE", SP)
    assert quick_range("Today", now=now) == (date(2026, 11, 30),) * 2
    monkeypatch.delenv("PERFTEL_TIMEZONE")
    assert quick_range("Today", now=now) == (date(2026, 12, 1),) * 2


def test_a_given_day_wins():
    assert quick_range("Today", date(2026, 1, 5), tz=SP, now=datetime(2026, 12, 1, tzinfo=UTC))[1] == date(
        2026, 1, 5
    )


def test_the_picker_follows_a_time_zone_asked_at_each_click():
    zones = [SP]
    clock = lambda: datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # noqa: E731 - 22:00 on the 30th in São Paulo
    picker = DateRange(tz=lambda: zones[0], clock=clock)
    assert picker.end.value == date(2026, 11, 30) and picker.start.value == date(2026, 11, 24)
    picker.quick[0].click()
    assert picker.start.value == picker.end.value == date(2026, 11, 30)
    zones[0] = "Europe/Lisbon"  # the company field changed
    picker.quick[0].click()
    assert picker.start.value == picker.end.value == date(2026, 12, 1)


def test_company_today_reads_the_company_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("PERFTEL_TIMEZONE", raising=False)
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "settings.toml").write_text(f'timezone = "{SP}"\n', "utf-8")
    now = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    assert company_today("acme", tmp_path, now=now) == date(2026, 11, 30)
    assert company_today("other", tmp_path, now=now) == date(2026, 12, 1)  # no settings: UTC


def test_the_sync_form_quick_ranges_use_the_company_time_zone(tmp_path, monkeypatch):
    from perftel.credentials import CredentialStore
    from perftel.notebook.run_form import SyncForm

    monkeypatch.delenv("PERFTEL_TIMEZONE", raising=False)
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "settings.toml").write_text(f'timezone = "{SP}"\n', "utf-8")
    form = SyncForm(company="acme", data_dir=tmp_path, store=CredentialStore(tmp_path / "config"))
    form.dates.clock = lambda: datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 22:00 on the 30th in São Paulo
    form.dates.quick[0].click()
    assert form.dates.start.value == form.dates.end.value == date(2026, 11, 30)
    form.credentials.company.value = "beta"  # no settings: UTC
    form.dates.quick[0].click()
    assert form.dates.end.value == date(2026, 12, 1)
