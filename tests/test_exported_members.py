"""``perftel.__all__`` is exactly the public surface (as httpx's exported-members test checks its own)."""

from __future__ import annotations

from types import ModuleType

import pytest

import perftel

# Names the package module holds for its own use: the __future__ import and typing helpers.
NOT_EXPORTS = {"annotations", "TYPE_CHECKING", "Any"}


def test_all_is_exactly_the_public_names():
    defined = {
        name
        for name, value in vars(perftel).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name not in NOT_EXPORTS
    }
    public = defined | set(perftel._LAZY) | {"__version__"}  # lazy names resolve through __getattr__
    assert len(perftel.__all__) == len(set(perftel.__all__)), "a name is listed twice"
    assert set(perftel.__all__) == public


def test_every_exported_name_resolves_and_nothing_else_is_guessed():
    for name in perftel.__all__:
        assert getattr(perftel, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_name"):
        perftel.no_such_name  # noqa: B018 - the attribute access is the test
