"""Harness for the notebook-level tests (report, real browser): temp config and data folders, never
the user's; one company synced from the GoTo sandbox with its credentials in the (temp) encrypted store."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from perftel import cli
from perftel.credentials import CredentialStore
from perftel.pipeline import run_pipeline
from perftel.report import ReportFiles
from perftel.whisper_settings import WhisperSettings
from perftel_sandbox import start_sandbox

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = Path(os.environ.get("PERFTEL_TEST_ARTIFACTS") or REPO / "build" / "test-artifacts")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab_server(root: Path, env: dict[str, str]) -> Iterator[str]:
    """JupyterLab serving ``root`` on a free port of 127.0.0.1 (no token, no news, no update checks), its
    log in ``root/jupyterlab.log``; yields its URL once ``/api/status`` answers (at most 90 s), stops it after."""
    port = free_port()
    log = (root / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--allow-root",
            "--ServerApp.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/status", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"JupyterLab did not start; see {root / 'jupyterlab.log'}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@dataclass
class Synced:
    company: str
    start: str
    end: str
    config_dir: Path
    data_dir: Path
    sandbox: object
    secrets: list[str]


@pytest.fixture(scope="session")
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """PERFTEL_CONFIG_DIR / PERFTEL_DATA_DIR in temp folders for everything these tests start."""
    config_dir, data_dir = tmp_path_factory.mktemp("config"), tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERFTEL_CONFIG_DIR", str(config_dir))
        patch.setenv("PERFTEL_DATA_DIR", str(data_dir))
        patch.delenv("PERFTEL_SECRET_KEY", raising=False)
        yield config_dir, data_dir


@pytest.fixture(scope="session")
def synced(isolated_env: tuple[Path, Path]) -> Iterator[Synced]:
    """Company ``report-co``: a week of sandbox calls listed, downloaded and transcribed (tiny.en)."""
    config_dir, data_dir = isolated_env
    end = date.today()
    start = end - timedelta(days=6)
    with start_sandbox("goto_connect", calls_per_day=2) as sandbox:
        store = CredentialStore(config_dir)
        store.save("report-co", "goto_connect", sandbox.credentials)
        result = run_pipeline(
            "goto_connect",
            "report-co",
            start,
            end,
            base_url=sandbox.base_url,
            store=store,
            data_dir=data_dir,
            whisper=WhisperSettings("tiny.en"),
        )
        assert result.calls and not [f for f in result.failed if not f.retryable], result.summary()
        secrets = [
            sandbox.credentials["client_secret"],
            sandbox.credentials["refresh_token"],
            *[v for v in (store.tokens("report-co", "goto_connect").load().refresh_token,) if v],
        ]
        yield Synced("report-co", start.isoformat(), end.isoformat(), config_dir, data_dir, sandbox, secrets)


@pytest.fixture(scope="session")
def report_files(synced: Synced, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """One report of the synced company, built through the command line (as a user would)."""
    output = tmp_path_factory.mktemp("reports") / "period.html"
    code = cli.main(
        [
            "report",
            "--start",
            synced.start,
            "--end",
            synced.end,
            "--company",
            synced.company,
            "--data-dir",
            str(synced.data_dir),
            "--output",
            str(output),
        ]
    )
    assert code == 0
    return ReportFiles(html=output, notebook=output.with_suffix(".ipynb"))
