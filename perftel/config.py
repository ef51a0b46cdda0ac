"""Settings from the environment or a ``.env`` file.

=========================  ==========================================  ==================
variable                   meaning                                     default
=========================  ==========================================  ==================
WHISPER_MODEL              tiny, tiny.en, base, base.en, small, …,     base
                           large-v3, or a model directory
WHISPER_DEVICE             cpu or cuda                                 cpu
WHISPER_COMPUTE_TYPE       int8, float16, float32 (…)                  int8
PERFTEL_DATA_DIR           where per-company data goes                 ./data
PERFTEL_CONFIG_DIR         credentials store and key file              ~/.config/perftel
PERFTEL_SECRET_KEY         Fernet key for the store (else a key file)  (unset)
PERFTEL_MODEL_CACHE        where joined model weights are cached       ~/.cache/perftel/models
PERFTEL_<PROVIDER>_BASE_URL  point a provider at a sandbox or proxy    the provider's
PERFTEL_TRANSCRIBE_WORKERS calls transcribed at once in this process  auto (see
                           (one model; each gets cores ÷ N threads)    transcription_concurrency)
=========================  ==========================================  ==================

The ``WHISPER_*`` settings become one object in :meth:`perftel.whisper_settings.WhisperSettings.from_env`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from perftel.errors import ConfigError


def whisper_model_names() -> tuple[str, ...]:
    """The model sizes faster-whisper knows (``faster_whisper.utils.available_models()``: 19 in 1.2, e.g.
    ``tiny.en``, ``base``, ``large-v3``, ``distil-large-v3.5``, ``turbo``), in its order. Imported lazily."""
    from faster_whisper.utils import available_models

    return tuple(available_models())


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_hub_id(name: str) -> bool:
    """``org/name`` (e.g. ``Systran/faster-whisper-small``) that is not a folder on disk: a model faster-whisper
    downloads from the Hugging Face Hub (needs the internet once)."""
    return bool(_HUB_ID.match(name)) and not Path(name).expanduser().exists()


DEVICES = ("cpu", "cuda", "auto")
COMPUTE_TYPES = (
    "int8",
    "int8_float16",
    "int8_float32",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
    "default",
    "auto",
)

_dotenv_loaded = False


def load_dotenv_once() -> None:
    """Read ``.env`` from the working folder (or a parent) once; real environment variables win."""
    global _dotenv_loaded
    if _dotenv_loaded:
        return
    _dotenv_loaded = True
    from dotenv import find_dotenv, load_dotenv

    path = find_dotenv(usecwd=True)
    if path:
        load_dotenv(path, override=False)


def env(name: str, default: str | None = None) -> str | None:
    """The environment variable ``name`` (``.env`` read first, once; a real variable wins), else ``default``.

    An empty value counts as unset. Never raises; the value is returned as text, unchecked.
    """
    load_dotenv_once()
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def validate_model(model: str) -> str:
    """A model size faster-whisper knows, a model folder, or a Hub id (``org/name``); else ConfigError
    naming the valid sizes."""
    if model in whisper_model_names() or Path(model).expanduser().is_dir() or is_hub_id(model):
        return model
    raise ConfigError(
        f"WHISPER_MODEL={model!r} is not a Whisper model size, a model directory or a Hub id (org/name). "
        f"Use one of: {', '.join(whisper_model_names())}.",
        field="WHISPER_MODEL",
    )


def validate_device(device: str) -> str:
    """``device`` when it is one of :data:`DEVICES` (``cpu``, ``cuda``, …), returned unchanged; else
    ConfigError naming ``WHISPER_DEVICE`` and the valid values."""
    if device not in DEVICES:
        raise ConfigError(
            f"WHISPER_DEVICE={device!r} is not valid. Use one of: {', '.join(DEVICES)}.",
            field="WHISPER_DEVICE",
        )
    return device


def validate_compute_type(compute_type: str) -> str:
    """``compute_type`` when it is one of :data:`COMPUTE_TYPES` (CTranslate2's quantization types, e.g.
    ``int8``, ``float16``, ``float32``), returned unchanged; else ConfigError naming ``WHISPER_COMPUTE_TYPE``
    and the valid values."""
    if compute_type not in COMPUTE_TYPES:
        raise ConfigError(
            f"WHISPER_COMPUTE_TYPE={compute_type!r} is not valid. Use one of: int8, float16, float32 "
            f"(or {', '.join(c for c in COMPUTE_TYPES if c not in ('int8', 'float16', 'float32'))}).",
            field="WHISPER_COMPUTE_TYPE",
        )
    return compute_type


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data folder: ``explicit``, else ``$PERFTEL_DATA_DIR``, else ``data`` (relative to the working
    folder); ``~`` expanded, not created, not resolved. Never raises."""
    return Path(explicit or env("PERFTEL_DATA_DIR", "data")).expanduser()


def config_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The credential store's folder: ``explicit``, else ``$PERFTEL_CONFIG_DIR``, else
    ``$XDG_CONFIG_HOME/perftel`` (``~/.config/perftel``); ``~`` expanded, not created. Never raises."""
    default = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "perftel"
    return Path(explicit or env("PERFTEL_CONFIG_DIR") or default).expanduser()


def model_cache_dir() -> Path:
    """Where joined Whisper weights are cached: ``$PERFTEL_MODEL_CACHE``, else
    ``$XDG_CACHE_HOME/perftel/models`` (``~/.cache/perftel/models``); ``~`` expanded, not created."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "perftel" / "models"
    return Path(env("PERFTEL_MODEL_CACHE") or default).expanduser()


#: most calls in flight chosen by ``auto`` (more workers than this mostly adds memory; measured on 2 cores only)
MAX_AUTO_WORKERS = 4


def transcription_concurrency(cores: int | None = None) -> tuple[int, int]:
    """``(workers, threads per worker)`` for transcribing many calls in one process.

    ``PERFTEL_TRANSCRIBE_WORKERS`` = N overrides the worker count (1: one call at a time on all cores, as
    before). ``auto`` (the default): one worker per core up to :data:`MAX_AUTO_WORKERS`, the cores shared out
    as threads. Measured on 2 cores (``benchmarks/bench_dask.py``): 2 calls × 1 thread move more audio per
    second than 1 call × 2 threads, because one call's decoding does not keep two cores busy.
    Raises ConfigError for a value that is not ``auto`` or a positive integer.
    """
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
    cores = max(1, cores)
    value = (env("PERFTEL_TRANSCRIBE_WORKERS", "auto") or "auto").strip().lower()
    if value == "auto":
        workers = min(cores, MAX_AUTO_WORKERS)
    else:
        try:
            workers = int(value)
        except ValueError:
            workers = 0
        if workers < 1:
            raise ConfigError(
                f"PERFTEL_TRANSCRIBE_WORKERS={value!r} is not valid: use auto or a whole number ≥ 1 "
                "(calls transcribed at once).",
                field="PERFTEL_TRANSCRIBE_WORKERS",
            )
    return workers, max(1, cores // workers)


def provider_base_url(provider: str, explicit: str | None = None) -> str | None:
    """The base-URL override for ``provider``: the argument, else ``PERFTEL_<PROVIDER>_BASE_URL``."""
    return explicit or env(f"PERFTEL_{provider.upper()}_BASE_URL")
