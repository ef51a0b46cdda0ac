"""The providers' layout holds: one package per provider with the same three modules, pure mappings,
and only the registry naming a concrete provider."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from perftel.providers import provider_names, registry

PACKAGE = Path(__file__).resolve().parents[2] / "perftel"
PROVIDERS = PACKAGE / "providers"


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("name", provider_names())
def test_every_provider_is_a_package_with_driver_connection_and_mapping(name):
    assert sorted(p.name for p in (PROVIDERS / name).glob("*.py")) == [
        "__init__.py",
        "connection.py",
        "driver.py",
        "mapping.py",
    ]
    assert registry[name].startswith(f"perftel.providers.{name}.driver:")


@pytest.mark.parametrize("name", provider_names())
def test_mappings_are_pure(name):
    modules = imported_modules(PROVIDERS / name / "mapping.py")
    io = {"httpx", "perftel.http", "perftel.providers.spool", "socket", "urllib.request", "sqlite3"}
    assert not {m for m in modules if m.split(".")[0] in io or any(m.startswith(p) for p in io)}
    assert not {m for m in modules if m.startswith(f"perftel.providers.{name}.")}  # not its driver/connection


def test_only_the_registry_names_a_concrete_provider():
    concrete = tuple(f"perftel.providers.{name}" for name in provider_names())
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        own = (
            relative.split("/")[1] if relative.startswith("providers/") and relative.count("/") == 2 else None
        )
        for module in imported_modules(path):
            hit = next((c for c in concrete if module == c or module.startswith(c + ".")), None)
            if hit and hit != f"perftel.providers.{own}":
                offenders.append((relative, module))
    assert offenders == []
