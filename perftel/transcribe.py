"""Speech to text with faster-whisper, the only module that imports it.

A :class:`Transcriber` resolves its model offline first (see :mod:`perftel.whisper_models`), loads it
once per process, and turns an audio file into a :class:`~perftel.models.TranscriptionResult`.
Two-channel recordings (agent on one side, customer on the other) are transcribed channel by channel
and merged in time order; a "stereo" file whose sides carry the same signal counts as mono.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from perftel.config import WHISPER_MODELS, WhisperSettings, validate_compute_type, validate_device
from perftel.errors import ConfigError, TranscriptionError
from perftel.models import TranscriptionResult, TranscriptionSegment, Word, utcnow
from perftel.whisper_models import model_unavailable_error, resolve_model

SAMPLE_RATE = 16_000
log = logging.getLogger(__name__)

# Containers whose declared duration is exact, so a shorter decode means a truncated file.
_EXACT_DURATION_FORMATS = {"wav", "flac", "mov", "mp4", "m4a", "aiff", "w64", "caf"}


@dataclass(frozen=True)
class TranscribeOptions:
    """Decoding options. Defaults were measured on the bundled base model (see tests and the design note).

    ``language`` pins the language (else detected per file); the ``vad_*`` fields tune Silero VAD;
    a segment is dropped as non-speech when ``no_speech_prob > no_speech_threshold`` and
    ``avg_logprob < log_prob_threshold``; ``temperatures`` is the fallback ladder used when a window
    decodes badly (``compression_ratio_threshold``). Each channel is scaled so its peak reaches
    ``target_peak``, by at most ``max_gain_db``. Stereo sides correlating above
    ``same_signal_correlation`` are one signal.
    """

    language: str | None = None  # "pt" pins it; "en,pt" detects among these only; None detects freely
    word_timestamps: bool = False  # keep per-word times in the result (they are always used for segment times)
    split_gap_seconds: float = 1.5  # a pause this long inside a Whisper segment starts a new segment
    beam_size: int = 5
    vad_filter: bool = True
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 400
    condition_on_previous_text: bool = False
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    normalize_level: bool = True
    target_peak: float = 0.9
    max_gain_db: float = 30.0
    same_signal_correlation: float = 0.99

    def whisper_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``WhisperModel.transcribe`` (language excluded)."""
        return {
            "beam_size": self.beam_size,
            # Word times make segment boundaries exact (VAD-merged turns otherwise share one start time).
            "word_timestamps": True,
            "vad_filter": self.vad_filter,
            "vad_parameters": {
                "threshold": self.vad_threshold,
                "min_silence_duration_ms": self.vad_min_silence_ms,
                "speech_pad_ms": self.vad_speech_pad_ms,
            },
            "condition_on_previous_text": self.condition_on_previous_text,
            "temperature": list(self.temperatures),
            "compression_ratio_threshold": self.compression_ratio_threshold,
            "log_prob_threshold": self.log_prob_threshold,
            "no_speech_threshold": self.no_speech_threshold,
        }


_models: dict[tuple[str, str, str, int], Any] = {}
_models_lock = threading.Lock()


def loaded_models() -> dict[tuple[str, str, str, int], Any]:
    """A copy of the process-wide model cache: (model dir, device, compute type, threads) → WhisperModel."""
    with _models_lock:
        return dict(_models)


def clear_model_cache() -> None:
    """Forget every loaded model (their memory is freed once no Transcriber holds them)."""
    with _models_lock:
        _models.clear()


def _default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Transcriber:
    """Transcribes audio files with one Whisper model; cheap to create, the model is shared per process."""

    def __init__(
        self,
        model: str = "base",
        device: str = "cpu",
        compute_type: str = "int8",
        *,
        options: TranscribeOptions | None = None,
        cpu_threads: int = 0,
    ) -> None:
        self.model = model
        self.device = validate_device(device)
        self.compute_type = validate_compute_type(compute_type)
        self.options = options or TranscribeOptions()
        self.cpu_threads = cpu_threads if cpu_threads > 0 else _default_threads()
        self.model_name = model if model in WHISPER_MODELS else Path(model).expanduser().name
        self.model_path: str | None = None
        self._whisper: Any = None

    def __repr__(self) -> str:
        return (
            f"Transcriber(model={self.model!r}, device={self.device!r}, compute_type={self.compute_type!r})"
        )

    def initialize(self) -> None:
        """Import faster-whisper, resolve and load the model (once per process). Raises ConfigError."""
        if self._whisper is not None:
            return
        try:
            import ctranslate2
            import faster_whisper
        except ImportError as exc:
            raise ConfigError(
                f"faster-whisper is not installed ({exc}): pip install faster-whisper", field="WHISPER_MODEL"
            ) from exc
        device = self.device
        cuda_devices = ctranslate2.get_cuda_device_count()
        if device == "auto":
            device = "cuda" if cuda_devices else "cpu"
        elif device == "cuda" and not cuda_devices:
            raise ConfigError(
                "WHISPER_DEVICE=cuda but CTranslate2 sees no CUDA GPU on this machine "
                "(no NVIDIA driver/CUDA libraries, or no GPU). Use WHISPER_DEVICE=cpu.",
                field="WHISPER_DEVICE",
            )
        path = resolve_model(self.model)
        if not Path(path).is_dir():  # only faster-whisper's download (or its cache) can supply it
            try:
                path = faster_whisper.download_model(path)
            except Exception as exc:
                raise model_unavailable_error(path, exc) from exc
        key = (path, device, self.compute_type, self.cpu_threads)
        with _models_lock:
            whisper = _models.get(key)
            if whisper is None:
                log.info("loading Whisper model %s on %s (%s)", path, device, self.compute_type)
                try:
                    whisper = faster_whisper.WhisperModel(
                        path, device=device, compute_type=self.compute_type, cpu_threads=self.cpu_threads
                    )
                except (RuntimeError, ValueError, OSError) as exc:
                    raise ConfigError(
                        f"Cannot load Whisper model {self.model!r} from {path} on {device} "
                        f"with compute type {self.compute_type}: {exc}",
                        field="WHISPER_MODEL",
                    ) from exc
                _models[key] = whisper
        self.model_path = path
        self._whisper = whisper

    def transcribe(
        self,
        path: str | os.PathLike[str],
        *,
        recording_id: str | None = None,
        channel_roles: dict[int, str] | None = None,
        language: str | None = None,
    ) -> TranscriptionResult:
        """Transcribe one audio file. Raises TranscriptionError (file unreadable, undecodable, model failure)."""
        started = time.perf_counter()
        path = Path(path)
        channels = _decode(path, self.options)
        self.initialize()
        if self.options.normalize_level:
            channels = [_normalize(audio, self.options) for audio in channels]
        pinned, candidates = _parse_language(language or self.options.language)
        probability = 1.0 if pinned else None
        if pinned is None and candidates:
            pinned, probability = self._detect_among(channels, candidates)
        runs = [self._run(path, audio, pinned) for audio in channels]
        detected = pinned
        spoken = [run for run in runs if run[0]]
        if not pinned and spoken:
            _, detected, probability = max(spoken, key=lambda run: run[2])
            for index, (segments, lang, _) in enumerate(runs):
                if segments and lang != detected:  # a short side misheard as another language
                    runs[index] = self._run(path, channels[index], detected)
        roles = channel_roles or {}
        segments: list[TranscriptionSegment] = []
        for index, (found, _, _) in enumerate(runs):
            channel = index if len(runs) > 1 else None
            speaker = roles.get(index, f"channel {index}") if channel is not None else roles.get(0)
            for found_segment in found:
                segments.extend(_segments(found_segment, channel, speaker, self.options))
        segments.sort(key=lambda s: (s.start, s.channel or 0))
        return TranscriptionResult(
            recording_id=recording_id or path.stem,
            text=" ".join(s.text for s in segments),
            segments=segments,
            language=detected,
            duration=round(len(channels[0]) / SAMPLE_RATE, 3),
            model=self.model_name,
            transcribed_at=utcnow(),
            audio_path=str(path),
            channels=len(channels),
            language_probability=probability,
            processing_seconds=round(time.perf_counter() - started, 3),
        )

    def _detect_among(
        self, channels: list[np.ndarray], candidates: tuple[str, ...]
    ) -> tuple[str | None, float | None]:
        """The most likely of ``candidates``, summing Whisper's language probabilities over the channels.

        Restricting detection to the languages a contact centre speaks avoids the classic mistakes
        on short or synthetic telephone speech (Portuguese heard as Italian or Spanish).
        """
        scores: dict[str, float] = {}
        from faster_whisper.vad import VadOptions

        vad = VadOptions(**self.options.whisper_kwargs()["vad_parameters"])
        for audio in channels:
            try:
                _, _, probabilities = self._whisper.detect_language(
                    audio, vad_filter=True, vad_parameters=vad, language_detection_segments=2
                )
            except (ValueError, IndexError):  # no speech on this channel
                continue
            for code, probability in probabilities:
                if code in candidates:
                    scores[code] = scores.get(code, 0.0) + probability
        if not scores:
            return None, None
        best = max(scores, key=scores.__getitem__)
        return best, round(scores[best] / sum(scores.values()), 4)

    def _run(
        self, path: Path, audio: np.ndarray, language: str | None
    ) -> tuple[list[Any], str | None, float]:
        """Transcribe one channel: (kept segments, language, language probability)."""
        opts = self.options
        try:
            found, info = self._whisper.transcribe(audio, language=language, **opts.whisper_kwargs())
            kept = [
                s
                for s in found
                if s.text.strip()
                and not (
                    s.no_speech_prob > opts.no_speech_threshold and s.avg_logprob < opts.log_prob_threshold
                )
            ]
        except Exception as exc:
            raise TranscriptionError(f"Whisper failed on {path}: {exc}", path=str(path)) from exc
        return kept, info.language, float(info.language_probability)


def create_transcriber(
    model: str | None = None,
    device: str | None = None,
    compute_type: str | None = None,
    *,
    options: TranscribeOptions | None = None,
) -> Transcriber:
    """A Transcriber; arguments left as None come from WHISPER_MODEL / WHISPER_DEVICE / WHISPER_COMPUTE_TYPE."""
    if model is None or device is None or compute_type is None:
        settings = WhisperSettings.from_env()
        model = model or settings.model
        device = device or settings.device
        compute_type = compute_type or settings.compute_type
    return Transcriber(model, device, compute_type, options=options)


def _parse_language(value: str | None) -> tuple[str | None, tuple[str, ...]]:
    """``"pt"`` pins Portuguese; ``"en,pt"`` detects, choosing only between English and Portuguese."""
    if not value:
        return None, ()
    codes = tuple(code.strip().lower() for code in value.split(",") if code.strip())
    return (codes[0], ()) if len(codes) == 1 else (None, codes)


def _segments(s: Any, channel: int | None, speaker: str | None, options: TranscribeOptions) -> list[TranscriptionSegment]:
    """One Whisper segment as perftel segments: split at long pauses, timed by its words."""
    words = list(s.words or [])
    groups: list[list[Any]] = [[words[0]]] if words else []
    for word in words[1:]:
        if word.start - groups[-1][-1].end > options.split_gap_seconds:
            groups.append([word])
        else:
            groups[-1].append(word)
    if len(groups) <= 1:
        parts = [(s.start, s.end, s.text.strip(), words)]
    else:
        parts = [(g[0].start, g[-1].end, "".join(w.word for w in g).strip(), g) for g in groups]
    return [
        TranscriptionSegment(
            start=round(float(start), 3),
            end=round(float(end), 3),
            text=text,
            channel=channel,
            speaker=speaker,
            avg_logprob=s.avg_logprob,
            no_speech_prob=s.no_speech_prob,
            words=[Word(start=float(w.start), end=float(w.end), word=w.word, probability=float(w.probability))
                   for w in group] if options.word_timestamps else None,
        )
        for start, end, text, group in parts
        if text
    ]


def _decode(path: Path, options: TranscribeOptions) -> list[np.ndarray]:
    """The file's audio at 16 kHz: one array (mono) or two (distinct stereo sides)."""
    import av
    from faster_whisper import decode_audio

    def fail(cause: str) -> TranscriptionError:
        return TranscriptionError(f"Cannot transcribe {path}: {cause}", path=str(path))

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise fail(
            "file not found" if isinstance(exc, FileNotFoundError) else f"cannot read it ({exc})"
        ) from exc
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise fail(f"no audio stream in this {container.format.name} file")
            stream = container.streams.audio[0]
            if stream.codec_context is None:
                raise fail(
                    f"unsupported audio codec in this {container.format.name} file (no FFmpeg decoder)"
                )
            channels = stream.codec_context.channels
            declared = float(stream.duration * stream.time_base) if stream.duration else None
            exact = bool(set(container.format.name.split(",")) & _EXACT_DURATION_FORMATS)
        decoded = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=channels == 2)
    except TranscriptionError:
        raise
    except Exception as exc:  # av.FFmpegError and friends: not audio, unsupported codec, corrupt data
        cause = (
            "the file is empty (0 bytes)"
            if size == 0
            else f"not decodable audio ({type(exc).__name__}: {exc})"
        )
        raise fail(cause) from exc
    sides = list(decoded) if channels == 2 else [decoded]
    seconds = len(sides[0]) / SAMPLE_RATE
    if seconds == 0:
        raise fail("no audio samples could be decoded (truncated or corrupt file)")
    wav_seconds = _wav_data_seconds(path)
    if exact and wav_seconds is not None:
        declared = max(declared or 0.0, wav_seconds)
    if exact and declared and seconds < declared - max(0.25, 0.01 * declared):
        raise fail(
            f"truncated file: its header declares {declared:.2f} s of audio but only {seconds:.2f} s decode"
        )
    if len(sides) == 2 and _same_signal(sides[0], sides[1], options.same_signal_correlation):
        sides = [(sides[0] + sides[1]) / 2]
    return [np.ascontiguousarray(side, dtype=np.float32) for side in sides]


def _wav_data_seconds(path: Path) -> float | None:
    """Seconds a RIFF/WAVE header declares (None if not WAV or a streaming placeholder size)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            byte_rate = None
            while chunk := handle.read(8):
                if len(chunk) < 8:
                    return None
                ident, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if ident == b"fmt ":
                    byte_rate = struct.unpack("<I", handle.read(16)[8:12])[0]
                    handle.seek(size - 16 + (size & 1), os.SEEK_CUR)
                elif ident == b"data":
                    if not byte_rate or size in (0, 0xFFFFFFFF):
                        return None
                    return size / byte_rate
                else:
                    handle.seek(size + (size & 1), os.SEEK_CUR)
    except (OSError, struct.error):
        return None
    return None


def _same_signal(left: np.ndarray, right: np.ndarray, threshold: float) -> bool:
    """True when both sides carry the same signal (identical, or correlated above ``threshold``)."""
    if left.shape != right.shape:
        return False
    if float(np.max(np.abs(left - right), initial=0.0)) <= 2 / 32768:
        return True
    a, b = left - left.mean(), right - right.mean()
    denominator = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return denominator > 0 and float(np.dot(a, b)) / denominator > threshold


def _normalize(audio: np.ndarray, options: TranscribeOptions) -> np.ndarray:
    """Scale a channel so its peak reaches ``target_peak``, with at most ``max_gain_db`` of gain."""
    peak = float(np.max(np.abs(audio), initial=0.0))
    if peak < 1e-5:  # digital silence: nothing to bring up
        return audio
    gain = min(options.target_peak / peak, 10 ** (options.max_gain_db / 20))
    return audio * np.float32(gain) if gain > 1.0 else audio
