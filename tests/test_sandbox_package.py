"""The sandbox is its own distribution: the product never imports it at import time, ships none of it,
and the commands that need it say how to install it when it is missing."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from perftel import cli
from perftel._sandbox import require_sandbox
from perftel.demo import run_demo
from perftel.errors import ConfigError
from perftel.notebook import ensure_sandbox_data, start_sandbox

PACKAGE = Path(__file__).resolve().parents[1] / "perftel"


@pytest.fixture
def no_sandbox(monkeypatch):
    """As if perftel-sandbox were not installed: importing it raises ModuleNotFoundError."""
    monkeypatch.setitem(sys.modules, "perftel_sandbox", None)


def test_require_sandbox_returns_the_module_when_installed():
    module = require_sandbox()
    assert module.__name__ == "perftel_sandbox" and callable(module.start_sandbox) and callable(module.serve)


def test_require_sandbox_says_how_to_install_it(no_sandbox):
    with pytest.raises(ConfigError, match=r"pip install -e \./sandbox") as info:
        require_sandbox()
    assert info.value.field == "perftel-sandbox"
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_cli_sandbox_and_demo_fail_cleanly_without_it(no_sandbox, capsys, tmp_path):
    assert cli.main(["sandbox", "--provider", "goto_connect"]) == 2
    assert "pip install -e ./sandbox" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="perftel-sandbox"):
        run_demo(days=1, data_dir=tmp_path)


def test_notebook_helpers_fail_cleanly_without_it(no_sandbox, tmp_path):
    with pytest.raises(ConfigError, match=r"pip install -e \./sandbox"):
        ensure_sandbox_data("sandbox", "2026-11-01", "2026-11-02", data_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"pip install -e \./sandbox"):
        start_sandbox("goto_connect")


def test_notebook_start_sandbox_starts_the_emulator():
    with start_sandbox("goto_connect", calls_per_day=1) as sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:") and sandbox.credentials["client_id"]


def test_the_product_package_holds_no_emulator_code_and_no_media():
    assert not (PACKAGE / "sandbox").exists()
    assert not [p for p in PACKAGE.rglob("*") if p.suffix in {".wav", ".mp3", ".ogg"}]
    importers = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "perftel_sandbox" for n in names):
                importers.append(path.relative_to(PACKAGE).as_posix())
    assert importers == []  # only perftel/_sandbox.py reaches it, by name, on demand


SANDBOX = Path(__file__).resolve().parents[1] / "sandbox" / "perftel_sandbox"


def class_names(folder: Path) -> set[str]:
    return {
        node.name
        for path in folder.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
    }


def test_each_emulator_pairs_with_its_provider_by_name():
    from perftel_sandbox import SANDBOX_PROVIDERS

    modules = {p.stem for p in SANDBOX.glob("*.py")}
    assert {f"{name}{suffix}" for name in SANDBOX_PROVIDERS for suffix in ("", "_data")} <= modules


def test_no_sandbox_class_shadows_a_product_class():
    sandbox = class_names(SANDBOX)
    assert {"RateLimiter", "TokenStore", "Request", "Response"}.isdisjoint(sandbox)
    assert sandbox & class_names(PACKAGE) == set()


def test_no_sandbox_module_is_over_400_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in SANDBOX.glob("*.py")}
    assert {name: size for name, size in sizes.items() if size > 400} == {}
