"""Loading a Whisper model, once per process: faster-whisper's ``WhisperModel`` for a :class:`WhisperSettings`.

The model is resolved offline first (:func:`perftel.whisper_models.resolve_model`), downloaded by
faster-whisper only when nothing local has it, and kept in a process-wide cache keyed by
``(model directory, device, compute type, threads, workers)``: every :class:`perftel.transcribe.Transcriber`
with the same key shares one copy of the weights.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from perftel.errors import ConfigError
from perftel.whisper_models import model_unavailable_error, resolve_model
from perftel.whisper_settings import WhisperSettings

log = logging.getLogger("perftel.transcribe")

ModelKey = tuple[str, str, str, int, int]
_models: dict[ModelKey, Any] = {}
_models_lock = threading.Lock()


def loaded_models() -> dict[ModelKey, Any]:
    """The process-wide model cache: (model dir, device, compute type, threads, workers) → WhisperModel."""
    with _models_lock:
        return dict(_models)


def clear_model_cache() -> None:
    """Forget every loaded model (their memory is freed once no Transcriber holds them)."""
    with _models_lock:
        _models.clear()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity on Linux, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def load_model(settings: WhisperSettings, *, cpu_threads: int, num_workers: int) -> tuple[Any, str]:
    """``(WhisperModel, model directory)`` for ``settings`` with ``cpu_threads`` CTranslate2 threads and
    ``num_workers`` workers (calls decoded at once), loaded on first use and cached for the process.

    ``device="auto"`` means CUDA when CTranslate2 sees a GPU, else CPU. Raises ConfigError when
    faster-whisper is not installed, ``cuda`` is asked for without a GPU, the model cannot be found or
    downloaded (:func:`perftel.whisper_models.model_unavailable_error`), or it fails to load.
    """
    try:
        import ctranslate2
        import faster_whisper
    except ImportError as exc:
        raise ConfigError(
            f"faster-whisper is not installed ({exc}): pip install faster-whisper", field="WHISPER_MODEL"
        ) from exc
    device = settings.device
    cuda_devices = ctranslate2.get_cuda_device_count()
    if device == "auto":
        device = "cuda" if cuda_devices else "cpu"
    elif device == "cuda" and not cuda_devices:
        raise ConfigError(
            "WHISPER_DEVICE=cuda but CTranslate2 sees no CUDA GPU on this machine "
            "(no NVIDIA driver/CUDA libraries, or no GPU). Use WHISPER_DEVICE=cpu.",
            field="WHISPER_DEVICE",
        )
    path = resolve_model(settings.model)
    if not Path(path).is_dir():  # only faster-whisper's download (or its cache) can supply it
        try:
            path = faster_whisper.download_model(path)
        except Exception as exc:
            raise model_unavailable_error(path, exc) from exc
    key = (path, device, settings.compute_type, cpu_threads, num_workers)
    with _models_lock:
        whisper = _models.get(key)
        if whisper is None:
            log.info("loading Whisper model %s on %s (%s)", path, device, settings.compute_type)
            try:
                whisper = faster_whisper.WhisperModel(
                    path,
                    device=device,
                    compute_type=settings.compute_type,
                    cpu_threads=cpu_threads,
                    num_workers=num_workers,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise ConfigError(
                    f"Cannot load Whisper model {settings.model!r} from {path} on {device} "
                    f"with compute type {settings.compute_type}: {exc}",
                    field="WHISPER_MODEL",
                ) from exc
            _models[key] = whisper
    return whisper, path
