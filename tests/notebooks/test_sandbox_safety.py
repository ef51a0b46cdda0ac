"""Sandbox credentials and sandbox calls only ever go to a sandbox company: notebooks 01, 02 and 04 run
top to bottom (defaults: AUTO_RUN and USE_SANDBOX_IF_EMPTY on) for a real company id with no base URL,
and nothing of the sandbox lands in that company's credentials or folder."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from perftel.credentials import CredentialStore
from tests.notebooks.conftest import NOTEBOOKS


@pytest.mark.parametrize("name", ["01_connect_and_sync", "02_explore_calls", "04_call_report"])
def test_a_real_company_gets_nothing_from_the_sandbox(name, tmp_path: Path, monkeypatch):
    config_dir, data_dir = tmp_path / "config", tmp_path / "data"
    store = CredentialStore(config_dir)
    store.save("acme", "goto_connect", {"client_id": "acme-real-client", "client_secret": "acme-real-secret"})
    before = store.load("acme", "goto_connect")
    monkeypatch.setenv("PERFTEL_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("PERFTEL_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PERFTEL_COMPANY", "acme")
    for variable in ("PERFTEL_GOTO_CONNECT_BASE_URL", "PERFTEL_NB_AUTORUN", "PERFTEL_NB_SANDBOX"):
        monkeypatch.delenv(variable, raising=False)
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()  # raises on any failing cell, checks included

    assert store.load("acme", "goto_connect") == before  # the company's working credentials untouched
    assert not store.exists("sandbox", "goto_connect")
    acme = data_dir / "acme"
    assert not acme.exists() or not any(p.is_file() for p in acme.rglob("*") if p.name != "settings.toml")
    assert not (data_dir / "sandbox").exists()  # and no sandbox run happened on the side
    outputs = "".join(
        str(o.get("data", {}).get("text/html", ""))
        + str(o.get("data", {}).get("text/markdown", ""))
        + str(o.get("data", {}).get("application/vnd.plotly.v1+json", ""))
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    if name != "01_connect_and_sync":
        assert "No calls" in outputs  # an empty state that says what to do, not empty charts
    assert "acme-real-secret" not in outputs
