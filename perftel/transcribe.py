"""Speech to text with faster-whisper, the only module that imports it.

A :class:`Transcriber` is made from one :class:`~perftel.whisper_settings.WhisperSettings` (model, device,
compute type, threads and the decoding :class:`~perftel.whisper_settings.TranscribeOptions`), loads its model
once per process (:mod:`perftel.model_cache`, offline first: :mod:`perftel.whisper_models`), and turns an
audio file into a :class:`~perftel.models.TranscriptionResult`. The steps live in modules named after
them, as in faster-whisper: :mod:`perftel.vad` (speech regions, windows), :mod:`perftel.language_detection`,
:mod:`perftel.decoding` (one pass per window); this module runs them and assembles the result.

How a call is transcribed (each step chosen by measurement, see ``benchmarks/RESULTS.md``):

1. :mod:`perftel.audio` checks the file and streams it in 30 s blocks (memory does not grow with length);
   a stereo file with distinct sides is two speaker tracks, a same-signal "stereo" file is one.
2. Silero VAD runs per block on each track (speech crossing a block edge is carried over); only speech
   is ever decoded, so pauses, hold silence and line noise cannot produce text (:mod:`perftel.vad`, which
   also does steps 3 and 4; bleed of one side into the other is removed first: :mod:`perftel.crosstalk`).
3. Each speech region is levelled on its own (peak to ``target_peak``), so a quiet customer sharing a
   mono channel with a loud agent is heard as clearly as the agent; on a two-channel call a region
   lifted by 12 dB or more has the line noise that came up with it reduced (FFmpeg's ``afftdn``,
   :mod:`perftel.noise_reduction`).
4. Levelled regions are packed, with short silent gaps, into windows of at most ``window_seconds``, each
   side of a two-channel call in its own windows (``share_windows=True`` packs both sides in call order:
   less work, but it lost a quiet customer's speech once, see ``benchmarks/RESULTS.md``). Each window is one
   Whisper pass (one encoder run) without conditioning on earlier text, so one turn's decode cannot
   swallow or bias the next; up to ``batch_size`` windows of a call are decoded together in one batch
   (:mod:`perftel.decoding`), and speech a window left without words is decoded once more. Word times
   map every word back to its place (and side) in the call. ``TranscriptionResult.decoding`` counts the
   work (encoder windows, decoded seconds, re-decoded windows).
5. The language is pinned when known, else detected once per call on its first speech windows.
   A list (``"en,pt"``) chooses among those languages, unless Whisper's full language distribution says
   the call is in another one: then it is transcribed in that language (never translated into a listed
   one) and flagged ``language_outside_list``. Any spelling of a language is accepted and checked up
   front (:mod:`perftel.languages`).
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from perftel import audio as audio_io
from perftel.blas_threads import one_blas_thread
from perftel.decoding import check_vocabulary, decode_windows, missed_windows
from perftel.encoder_cache import EncoderCache
from perftel.errors import TranscriptionError
from perftel.language_detection import detect_language, parse_language
from perftel.model_cache import clear_model_cache, load_model, loaded_models, usable_cores
from perftel.models import TranscriptionResult, TranscriptionSegment, utcnow
from perftel.vad import Window, speech_windows
from perftel.whisper_settings import TranscribeOptions, WhisperSettings

__all__ = [
    "TranscribeOptions",
    "Transcriber",
    "WhisperSettings",
    "clear_model_cache",
    "create_transcriber",
    "loaded_models",
]

SAMPLE_RATE = audio_io.SAMPLE_RATE


class Transcriber:
    """Transcribes audio files with one Whisper model; cheap to create, the model is shared per process.

    ``settings`` (default :meth:`WhisperSettings.from_env`, i.e. the ``WHISPER_*`` settings) say which model
    runs where and how calls are decoded; ``settings.options.language`` is the default language (``"pt"``,
    ``"pt-BR"``, ``"Portuguese"`` pin it; ``"en,pt"`` detects among those; None detects freely).
    ``num_workers``: calls this model may decode at once from different threads (faster-whisper's
    ``num_workers``; :class:`perftel.executors.LocalExecutor` raises it, see :meth:`concurrent`).
    Bad settings are a ConfigError when the ``WhisperSettings`` is made, before any work; anything else
    than a ``WhisperSettings`` (e.g. a bare model name) is a TypeError.
    """

    def __init__(self, settings: WhisperSettings | None = None, *, num_workers: int = 0) -> None:
        if settings is not None and not isinstance(settings, WhisperSettings):
            raise TypeError(
                f"Transcriber takes a WhisperSettings, not {type(settings).__name__}: "
                f"Transcriber(WhisperSettings(model={settings!r}))"
            )
        self.settings = settings if settings is not None else WhisperSettings.from_env()
        self.num_workers = max(1, num_workers)
        threads = self.settings.cpu_threads
        #: CTranslate2 threads the model is loaded with (settings.cpu_threads, else cores ÷ num_workers)
        self.cpu_threads = threads if threads > 0 else max(1, usable_cores() // self.num_workers)
        self.model_name = self.settings.model_name
        self.model_path: str | None = None  # the model directory, once loaded
        self._whisper: Any = None
        self._prompt_problems: dict[str, str | None] = {}  # prompt text → problem (checked once per text)

    @property
    def model(self) -> str:
        """The model as given (size, directory or Hub id): ``settings.model``."""
        return self.settings.model

    @property
    def device(self) -> str:
        """``settings.device`` (``cpu``, ``cuda`` or ``auto``)."""
        return self.settings.device

    @property
    def compute_type(self) -> str:
        """``settings.compute_type`` (CTranslate2's, e.g. ``int8``)."""
        return self.settings.compute_type

    @property
    def options(self) -> TranscribeOptions:
        """The decoding options every call uses unless one is given per call: ``settings.options``."""
        return self.settings.options

    def concurrent(self, workers: int, threads: int) -> Transcriber:
        """This transcriber (same settings) set up for ``workers`` calls at once, ``threads`` each.

        The model is loaded on first use with faster-whisper's ``num_workers=workers, cpu_threads=threads``
        (one copy of the weights, ``workers`` CTranslate2 workers).
        """
        other = copy.copy(self)
        other.num_workers, other.cpu_threads = max(1, workers), max(1, threads)
        other._whisper, other.model_path = None, None
        return other

    def __repr__(self) -> str:
        return (
            f"Transcriber(model={self.model!r}, device={self.device!r}, compute_type={self.compute_type!r})"
        )

    def initialize(self) -> None:
        """Import faster-whisper, resolve and load the model (once per process, :func:`load_model`).

        A transcriber whose model is already there keeps it. Raises ConfigError (faster-whisper missing,
        no GPU for ``cuda``, model not found or not loadable).
        """
        if self._whisper is not None:
            return
        self._whisper, self.model_path = load_model(
            self.settings, cpu_threads=self.cpu_threads, num_workers=self.num_workers
        )

    def _with_options(self, options: TranscribeOptions) -> Transcriber:
        """A copy sharing the loaded model whose settings carry ``options`` (``self`` is left untouched for
        other threads)."""
        other = copy.copy(self)
        other.settings = replace(self.settings, options=options)
        return other

    def transcribe(
        self,
        path: str | os.PathLike[str],
        *,
        recording_id: str | None = None,
        channel_roles: dict[int, str] | None = None,
        language: str | Iterable[str] | None = None,
        options: TranscribeOptions | None = None,
    ) -> TranscriptionResult:
        """Transcribe one audio file; segment times are seconds from its start.

        ``language`` overrides ``options.language`` for this call (any spelling; a list detects among
        those). ``options`` replaces this transcriber's options for this call only (same model); safe to
        call from several threads at once (see :class:`perftel.executors.LocalExecutor`).
        ``channel_roles`` names each channel's speaker (``{0: "agent", 1: "customer"}``);
        ``recording_id`` defaults to the file's stem.

        Raises ConfigError for an unknown language (before reading the file), TranscriptionError for a
        file that is unreadable, undecodable or truncated, or a model failure.
        """
        if options is not None and options is not self.options:
            return self._with_options(options).transcribe(
                path, recording_id=recording_id, channel_roles=channel_roles, language=language
            )
        started = time.perf_counter()
        pinned, candidates = parse_language(language or self.options.language)
        path = Path(path)
        info = audio_io.scan(
            path,
            same_signal_correlation=self.options.same_signal_correlation,
            block_seconds=self.options.block_seconds,
        )
        self.initialize()
        if self.options.hotwords or self.options.initial_prompt:
            checked = check_vocabulary(self._whisper, self.options, self._prompt_problems)
            if checked is not self.options:
                return self._with_options(checked).transcribe(
                    path, recording_id=recording_id, channel_roles=channel_roles, language=language
                )
        with one_blas_thread():  # the same features, so the same words, in any process
            return self._transcribe(path, info, pinned, candidates, channel_roles, recording_id, started)

    def _transcribe(
        self,
        path: Path,
        info: audio_io.AudioInfo,
        pinned: str | None,
        candidates: tuple[str, ...],
        channel_roles: dict[int, str] | None,
        recording_id: str | None,
        started: float,
    ) -> TranscriptionResult:
        """The steps of :meth:`transcribe` once the file is scanned and the model loaded."""
        stats = {
            "encoder_windows": 0,
            "decoded_seconds": 0.0,
            "detection_windows": 0,
            "speech_pieces": 0,
            "redecoded_windows": 0,
            "fallback_windows": 0,
        }
        probability: float | None = 1.0 if pinned else None
        outside = False
        roles = channel_roles or {}
        whisper = self._call_model()
        segments: list[TranscriptionSegment] = []
        waiting: list[Window] = []  # windows held until the language is known
        batch: list[Window] = []  # windows waiting to be decoded together

        def flush() -> None:
            covered: set[int] = set()
            for found in self._decode(whisper, batch, pinned, info.channels, roles, covered, stats):
                segments.extend(found)
            for ready in batch:
                _count(stats, ready)
                stats["speech_pieces"] += len(ready.pieces)
            if self.options.redecode_missed:
                again = missed_windows(batch, covered, self.options)
                for found in self._decode(whisper, again, pinned, info.channels, roles, None, stats):
                    segments.extend(found)
                stats["redecoded_windows"] += len(again)
                for ready in again:  # their pieces are already counted
                    _count(stats, ready)
            batch.clear()

        try:
            for window in self._windows(path, info):
                if pinned is None:
                    waiting.append(window)
                    if len(waiting) < self.options.language_detection_windows:
                        continue
                    pinned, probability, outside = self._detect(whisper, waiting, candidates)
                    stats["detection_windows"] += len(waiting)
                batch.extend(waiting or [window])
                waiting = []
                if len(batch) >= self.options.batch_size:
                    flush()
            if waiting:
                pinned, probability, outside = self._detect(whisper, waiting, candidates)
                stats["detection_windows"] += len(waiting)
                batch.extend(waiting)
            if batch:
                flush()
        except TranscriptionError:
            raise
        except Exception as exc:
            raise TranscriptionError(f"Whisper failed on {path}: {exc}", path=str(path)) from exc
        segments.sort(key=lambda s: (s.start, s.channel or 0))
        return TranscriptionResult(
            recording_id=recording_id or path.stem,
            text=" ".join(s.text for s in segments),
            segments=segments,
            language=pinned if segments else None,
            duration=info.seconds,
            model=self.model_name,
            transcribed_at=utcnow(),
            audio_path=str(path),
            channels=info.channels,
            language_probability=probability if segments else None,
            processing_seconds=round(time.perf_counter() - started, 3),
            language_outside_list=outside and bool(segments),
            decoding=self._decoding_record(stats, whisper),
        )

    def _call_model(self) -> Any:
        """The model as one call uses it: faster-whisper's ``WhisperModel`` wrapped in an
        :class:`~perftel.encoder_cache.EncoderCache` on the batched path (a window the language was
        detected on is encoded once), else the model itself (e.g. a test's stand-in)."""
        from faster_whisper import WhisperModel

        if self.options.batch_size >= 1 and isinstance(self._whisper, WhisperModel):
            return EncoderCache(self._whisper)
        return self._whisper

    def _decoding_record(self, stats: dict[str, Any], whisper: Any) -> dict[str, Any]:
        """What the decoder did for one call (the work counts do not depend on machine load):
        ``encoder_passes`` counts the encoder runs, detection included (a detected window decoded with
        the detection's encoder output counts once)."""
        opts = self.options
        record = dict(stats, decoded_seconds=round(stats["decoded_seconds"], 3))
        record["encoder_passes"] = (
            whisper.passes
            if isinstance(whisper, EncoderCache)
            else stats["encoder_windows"] + stats["detection_windows"]
        )
        if opts.hotwords or opts.initial_prompt:
            record["vocabulary"] = opts.vocabulary_source or "given"
        if opts.vocabulary_problem:
            record["vocabulary_problem"] = opts.vocabulary_problem
        return record

    def _windows(self, path: Path, info: audio_io.AudioInfo) -> Iterator[Window]:
        """Packed windows of levelled speech, streaming through the file block by block (:mod:`perftel.vad`)."""
        return speech_windows(path, info, self.options)

    def _detect(
        self, whisper: Any, windows: list[Window], candidates: tuple[str, ...]
    ) -> tuple[str | None, float | None, bool]:
        """(language, probability, outside the list): :func:`perftel.language_detection.detect_language`."""
        return detect_language(whisper, windows, candidates, self.options.language_list_min_share)

    def _decode(
        self,
        whisper: Any,
        windows: list[Window],
        language: str | None,
        channels: int,
        roles: dict[int, str],
        covered: set[int] | None = None,
        stats: dict[str, Any] | None = None,
    ) -> list[list[TranscriptionSegment]]:
        """Whisper passes over packed windows (batched per ``batch_size``): :func:`perftel.decoding.decode_windows`."""
        return decode_windows(whisper, windows, language, channels, roles, self.options, covered, stats)


def _count(stats: dict[str, Any], window: Window) -> None:
    """Add one decoded window to a call's work counts (encoder passes, seconds given to Whisper)."""
    stats["encoder_windows"] += 1
    stats["decoded_seconds"] += window.samples / SAMPLE_RATE


def create_transcriber(settings: WhisperSettings | None = None) -> Transcriber:
    """A :class:`Transcriber` for ``settings``; None: :meth:`WhisperSettings.from_env` (``WHISPER_MODEL`` /
    ``WHISPER_DEVICE`` / ``WHISPER_COMPUTE_TYPE``, else ``base`` / ``cpu`` / ``int8``).

    ``create_transcriber(WhisperSettings.from_env(model="tiny.en", language="pt"))`` overrides some.
    Raises ConfigError for a bad setting in the environment.
    """
    return Transcriber(settings)
