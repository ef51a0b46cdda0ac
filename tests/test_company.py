"""Company settings: one file per company, environment overrides, clear errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from perftel.company import company_settings, save_setting, settings_path, timezone_named, validate_company_id
from perftel.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for name in ("PERFTEL_TIMEZONE", "PERFTEL_LANGUAGES", "PERFTEL_COUNTRY"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_a_file(tmp_path):
    settings = company_settings("acme", tmp_path)
    assert settings.timezone_name == "UTC" and settings.languages == () and settings.country is None
    assert settings.path == tmp_path / "acme" / "settings.toml"


def test_file_then_environment_then_argument(tmp_path, monkeypatch):
    save_setting("acme", "timezone", "America/Sao_Paulo", tmp_path)
    save_setting("acme", "languages", "pt, en", tmp_path)
    save_setting("acme", "country", "br", tmp_path)
    settings = company_settings("acme", tmp_path)
    assert (settings.timezone_name, settings.languages, settings.country) == (
        "America/Sao_Paulo",
        ("pt", "en"),
        "BR",
    )
    assert 'timezone = "America/Sao_Paulo"' in settings_path("acme", tmp_path).read_text()
    monkeypatch.setenv("PERFTEL_TIMEZONE", "Europe/Lisbon")
    assert company_settings("acme", tmp_path).timezone_name == "Europe/Lisbon"
    assert company_settings("acme", tmp_path, timezone="Asia/Tokyo").timezone_name == "Asia/Tokyo"
    # another company in the same folder keeps its own file
    assert company_settings("other", tmp_path).languages == ()


def test_unset_removes_a_key(tmp_path):
    save_setting("acme", "timezone", "America/Sao_Paulo", tmp_path)
    save_setting("acme", "timezone", None, tmp_path)
    assert company_settings("acme", tmp_path).timezone_name == "UTC"


@pytest.mark.parametrize("name", ["Brasil/Sao_Paulo", "GMT-3 ", "UTC-03:00", "../etc/passwd", "America/"])
def test_a_time_zone_that_is_not_iana_is_refused(tmp_path, name):
    with pytest.raises(ConfigError, match="IANA"):
        save_setting("acme", "timezone", name, tmp_path)
    with pytest.raises(ConfigError, match="IANA"):
        timezone_named(name)


def test_bad_files_name_the_problem(tmp_path, monkeypatch):
    path = settings_path("acme", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('timezone = "America/Sao_Paulo"\ntimzone = "UTC"\n')
    with pytest.raises(ConfigError, match="unknown setting 'timzone'.*Valid settings"):
        company_settings("acme", tmp_path)
    path.write_text('timezone = "America/Sao_Paulo\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        company_settings("acme", tmp_path)
    path.write_text('country = "Brazil"\n')
    with pytest.raises(ConfigError, match="two-letter"):
        company_settings("acme", tmp_path)
    monkeypatch.setenv("PERFTEL_TIMEZONE", "Mars/Olympus")
    path.write_text("")
    with pytest.raises(ConfigError, match="PERFTEL_TIMEZONE"):
        company_settings("acme", tmp_path)


@pytest.mark.parametrize("company", ["", "../x", "a/b", "-x", "x" * 65, "a..b"])
def test_company_ids_that_cannot_be_folders(company):
    with pytest.raises(ConfigError, match="Invalid company id"):
        validate_company_id(company)


def test_cli_show_and_set(tmp_path):
    def cli(*args):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "perftel.cli",
                "settings",
                *args,
                "--company",
                "acme",
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
        )

    done = cli("set", "timezone", "America/Sao_Paulo")
    assert done.returncode == 0, done.stderr
    shown = cli("show")
    assert "America/Sao_Paulo" in shown.stdout
    bad = cli("set", "timezone", "Sao Paulo")
    assert bad.returncode == 2 and "IANA" in bad.stderr
