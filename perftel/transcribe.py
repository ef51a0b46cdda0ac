"""Speech to text with faster-whisper, the only module that imports it.

A :class:`Transcriber` resolves its model offline first (see :mod:`perftel.whisper_models`), loads it
once per process, and turns an audio file into a :class:`~perftel.models.TranscriptionResult`.

How a call is transcribed (each step chosen by measurement, see ``benchmarks/RESULTS.md``):

1. :mod:`perftel.audio` checks the file and streams it in 30 s blocks (memory does not grow with length);
   a stereo file with distinct sides is two speaker tracks, a same-signal "stereo" file is one.
2. Silero VAD runs per block on each track (speech crossing a block edge is carried over); only speech
   is ever decoded, so pauses, hold silence and line noise cannot produce text (:mod:`perftel.vad`, which
   also does steps 3 and 4; bleed of one side into the other is removed first: :mod:`perftel.crosstalk`).
3. Each speech region is levelled on its own (peak to ``target_peak``), so a quiet customer sharing a
   mono channel with a loud agent is heard as clearly as the agent.
4. Levelled regions are packed, with short silent gaps, into windows of at most ``window_seconds``, each
   side of a two-channel call in its own windows (``share_windows=True`` packs both sides in call order:
   less work, but it lost a quiet customer's speech once, see ``benchmarks/RESULTS.md``). Each window is one Whisper pass (one encoder run) without conditioning
   on earlier text, so one turn's decode cannot swallow or bias the next; word times map every word back to
   its place (and side) in the call. ``TranscriptionResult.decoding`` counts the work (encoder windows,
   decoded seconds).
5. The language is pinned when known, else detected once per call on its first speech windows.
   A list (``"en,pt"``) chooses among those languages, unless Whisper's full language distribution says
   the call is in another one: then it is transcribed in that language (never translated into a listed
   one) and flagged ``language_outside_list``. Any spelling of a language is accepted and checked up
   front (:mod:`perftel.languages`).
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from perftel import audio as audio_io
from perftel.config import WhisperSettings, validate_compute_type, validate_device, whisper_model_names
from perftel.errors import ConfigError, TranscriptionError
from perftel.languages import canonical_language, parse_languages
from perftel.models import TranscriptionResult, TranscriptionSegment, Word, utcnow
from perftel.vad import Piece, Window, speech_windows
from perftel.whisper_models import model_unavailable_error, resolve_model

SAMPLE_RATE = audio_io.SAMPLE_RATE
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranscribeOptions:
    """Decoding options; the defaults were measured on telephone calls (``benchmarks/RESULTS.md``).

    ``language`` pins the language (else detected once per call); any spelling :mod:`perftel.languages`
    reads is accepted and stored as Whisper's code(s) (``"pt-BR, en-US"`` → ``"pt,en"``; an unknown one is
    a ConfigError at construction). With a list, a call whose listed languages together get less than
    ``language_list_min_share`` of Whisper's language probability, and whose most likely language is not
    listed, is outside the list: it is transcribed in its own language and flagged. The ``vad_*`` fields
    tune Silero VAD
    (a low threshold keeps the quiet onsets of telephone speech; long silences keep a sentence in one
    region). Each speech region is scaled so its peak reaches ``target_peak`` (at most ``max_gain_db``),
    regions are packed into windows of at most ``window_seconds`` separated by ``pack_gap_seconds`` of
    silence (each channel in its own windows; ``share_windows=True`` packs both sides together). ``hotwords`` /
    ``initial_prompt`` (e.g. a company vocabulary, :mod:`perftel.vocabulary`) are given to every window;
    longer than Whisper's prompt (223 tokens) they are left out with a warning. A segment is dropped as non-speech when ``no_speech_prob > no_speech_threshold`` and
    ``avg_logprob < log_prob_threshold``; ``temperatures`` is the fallback ladder for a window that
    decodes badly (``compression_ratio_threshold``). Stereo sides correlating above
    ``same_signal_correlation`` are one signal. Blocks whose peak is under ``silence_floor_db`` are
    skipped without VAD.
    """

    language: str | None = None  # "pt" pins it; "en,pt" detects among these; None detects freely
    word_timestamps: bool = (
        False  # keep per-word times in the result (they are always used for segment times)
    )
    split_gap_seconds: float = 1.5  # a pause this long inside a Whisper segment starts a new segment
    beam_size: int = 5
    vad_filter: bool = True  # False: the whole track is one stretch of "speech" (still packed in windows)
    vad_threshold: float = 0.35
    vad_min_silence_ms: int = 1000
    vad_speech_pad_ms: int = 400
    window_seconds: float = 28.0
    pack_gap_seconds: float = 0.5
    pack_regions: bool = True  # False: one speech region per Whisper window (more encoder passes)
    share_windows: bool = False  # True: both channels' speech in the same windows (less work; see RESULTS)
    condition_on_previous_text: bool = False
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    normalize_level: bool = True
    target_peak: float = 0.9
    max_gain_db: float = 40.0
    silence_floor_db: float = -70.0
    vad_min_peak_db: float = -35.0  # a quieter block is lifted to this peak for VAD only
    same_signal_correlation: float = 0.99
    crosstalk: bool = True  # silence bleed/echo of the other side on two-channel calls (perftel.crosstalk)
    block_seconds: float = audio_io.BLOCK_SECONDS
    language_detection_windows: int = 1  # windows the language is detected on (more: slower, surer)
    hotwords: str | None = None  # company vocabulary (perftel.vocabulary), given to every window
    initial_prompt: str | None = None  # text Whisper reads as if said before each window
    vocabulary_source: str | None = None  # where hotwords/initial_prompt came from (named in warnings)
    vocabulary_problem: str | None = None  # why a company vocabulary was left out (kept in results)
    language_list_min_share: float = 0.2  # below this share the listed languages lose to an unlisted top one

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", canonical_language(self.language))

    def whisper_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``WhisperModel.transcribe`` on one packed window (language excluded)."""
        return {
            "beam_size": self.beam_size,
            "word_timestamps": True,  # words place the text back on the call's timeline
            "vad_filter": False,  # VAD already ran per block; a window holds speech only
            "condition_on_previous_text": self.condition_on_previous_text,
            "temperature": list(self.temperatures),
            "compression_ratio_threshold": self.compression_ratio_threshold,
            "log_prob_threshold": self.log_prob_threshold,
            "no_speech_threshold": self.no_speech_threshold,
            "without_timestamps": False,
            "hotwords": self.hotwords or None,
            "initial_prompt": self.initial_prompt or None,
        }

    def vad_options(self) -> Any:
        from faster_whisper.vad import VadOptions

        return VadOptions(
            threshold=self.vad_threshold,
            min_silence_duration_ms=self.vad_min_silence_ms,
            speech_pad_ms=self.vad_speech_pad_ms,
            max_speech_duration_s=max(1.0, self.window_seconds - 2 * self.vad_speech_pad_ms / 1000 - 0.5),
        )


_models: dict[tuple[str, str, str, int, int], Any] = {}
_models_lock = threading.Lock()


def loaded_models() -> dict[tuple[str, str, str, int, int], Any]:
    """The process-wide model cache: (model dir, device, compute type, threads, workers) → WhisperModel."""
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
    """Transcribes audio files with one Whisper model; cheap to create, the model is shared per process.

    ``language`` (or ``options.language``): ``"pt"``, ``"pt-BR"``, ``"Portuguese"`` pin it; a list such as
    ``"en,pt"`` detects among those; None detects freely. Raises ConfigError for an unknown language.
    """

    def __init__(
        self,
        model: str = "base",
        device: str = "cpu",
        compute_type: str = "int8",
        *,
        options: TranscribeOptions | None = None,
        cpu_threads: int = 0,
        num_workers: int = 0,
        language: str | Iterable[str] | None = None,
    ) -> None:
        self.model = model
        self.device = validate_device(device)
        self.compute_type = validate_compute_type(compute_type)
        self.options = options or TranscribeOptions()
        #: calls this model may decode at once from different threads (faster-whisper's num_workers);
        #: :class:`perftel.executors.LocalExecutor` raises it to ``PERFTEL_TRANSCRIBE_WORKERS`` for many calls
        self.num_workers = max(1, num_workers)
        if language is not None:  # any spelling; an unknown language is a ConfigError here, before any work
            self.options = replace(self.options, language=canonical_language(language))
        self.cpu_threads = cpu_threads if cpu_threads > 0 else max(1, _default_threads() // self.num_workers)
        self.model_name = model if model in whisper_model_names() else Path(model).expanduser().name
        self.model_path: str | None = None
        self._whisper: Any = None
        self._prompt_problems: dict[str, str | None] = {}  # prompt text → problem (checked once per text)

    def concurrent(self, workers: int, threads: int) -> Transcriber:
        """This transcriber (same model, options) set up for ``workers`` calls at once, ``threads`` each.

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
        key = (path, device, self.compute_type, self.cpu_threads, self.num_workers)
        with _models_lock:
            whisper = _models.get(key)
            if whisper is None:
                log.info("loading Whisper model %s on %s (%s)", path, device, self.compute_type)
                try:
                    whisper = faster_whisper.WhisperModel(
                        path,
                        device=device,
                        compute_type=self.compute_type,
                        cpu_threads=self.cpu_threads,
                        num_workers=self.num_workers,
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
        language: str | Iterable[str] | None = None,
        options: TranscribeOptions | None = None,
    ) -> TranscriptionResult:
        """Transcribe one audio file. ``language`` overrides the transcriber's for this call.

        ``options`` replaces this transcriber's options for this call only (same model); safe to call from
        several threads at once (see :class:`perftel.executors.LocalExecutor`).

        Raises ConfigError for an unknown language (before reading the file), TranscriptionError for a
        file that is unreadable, undecodable or truncated, or a model failure.
        """
        if options is not None and options is not self.options:
            other = copy.copy(self)  # shares the loaded model; self.options untouched for other threads
            other.options = options
            return other.transcribe(
                path, recording_id=recording_id, channel_roles=channel_roles, language=language
            )
        started = time.perf_counter()
        pinned, candidates = _parse_language(language or self.options.language)
        path = Path(path)
        info = audio_io.scan(
            path,
            same_signal_correlation=self.options.same_signal_correlation,
            block_seconds=self.options.block_seconds,
        )
        self.initialize()
        if self.options.hotwords or self.options.initial_prompt:
            checked = self._vocabulary_checked(self.options)
            if checked is not self.options:
                other = copy.copy(self)
                other.options = checked
                return other.transcribe(
                    path, recording_id=recording_id, channel_roles=channel_roles, language=language
                )
        stats = {"encoder_windows": 0, "decoded_seconds": 0.0, "detection_windows": 0, "speech_pieces": 0}
        probability: float | None = 1.0 if pinned else None
        outside = False
        roles = channel_roles or {}
        segments: list[TranscriptionSegment] = []
        waiting: list[Window] = []  # windows held until the language is known
        try:
            for window in self._windows(path, info):
                if pinned is None:
                    waiting.append(window)
                    if len(waiting) < self.options.language_detection_windows:
                        continue
                    pinned, probability, outside = self._detect(waiting, candidates)
                    stats["detection_windows"] += len(waiting)
                for ready in waiting or [window]:
                    segments.extend(self._decode(ready, pinned, info.channels, roles))
                    _count(stats, ready)
                waiting = []
            if waiting:
                pinned, probability, outside = self._detect(waiting, candidates)
                stats["detection_windows"] += len(waiting)
                for ready in waiting:
                    segments.extend(self._decode(ready, pinned, info.channels, roles))
                    _count(stats, ready)
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
            decoding=self._decoding_record(stats),
        )

    def _decoding_record(self, stats: dict[str, Any]) -> dict[str, Any]:
        """What the decoder did for one call (the work counts do not depend on machine load)."""
        opts = self.options
        record = dict(stats, decoded_seconds=round(stats["decoded_seconds"], 3))
        if opts.hotwords or opts.initial_prompt:
            record["vocabulary"] = opts.vocabulary_source or "given"
        if opts.vocabulary_problem:
            record["vocabulary_problem"] = opts.vocabulary_problem
        return record

    def _vocabulary_checked(self, options: TranscribeOptions) -> TranscribeOptions:
        """``options`` when its hotwords/prompt fit Whisper's prompt, else without them (warned, recorded)."""
        from perftel import vocabulary

        tokenizer = getattr(self._whisper, "hf_tokenizer", None)
        count = (
            (lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)) if tokenizer else None
        )
        for name in ("hotwords", "initial_prompt"):
            text = getattr(options, name)
            if not text:
                continue
            if text not in self._prompt_problems:
                source = options.vocabulary_source or name
                problem = vocabulary.check_length(vocabulary.Vocabulary((text,), source), count)
                self._prompt_problems[text] = problem
                if problem:
                    vocabulary.warn(problem)
            problem = self._prompt_problems[text]
            if problem:
                return replace(options, hotwords=None, initial_prompt=None, vocabulary_problem=problem)
        return options

    def _windows(self, path: Path, info: audio_io.AudioInfo) -> Iterator[Window]:
        """Packed windows of levelled speech, streaming through the file block by block (:mod:`perftel.vad`)."""
        return speech_windows(path, info, self.options)

    def _detect(
        self, windows: list[Window], candidates: tuple[str, ...]
    ) -> tuple[str | None, float | None, bool]:
        """(language, probability, outside the list) of a call, from Whisper's language probabilities
        summed over its first windows.

        Without ``candidates`` the most likely language wins. With them (e.g. ("en", "pt")) the choice is
        among those, which avoids the classic mistakes on short telephone speech (Portuguese heard as
        Galician or Spanish) and the probability is renormalised over the list; but when the most likely
        language is not listed and the listed ones together get less than ``language_list_min_share`` of
        the probability, the call is in another language: that language is returned (with its share of
        the full distribution) and flagged, so it is transcribed as spoken instead of being forced into,
        and so translated into, a listed language.
        """
        if not self._whisper.model.is_multilingual:
            return "en", 1.0, False
        scores: dict[str, float] = {}
        for window in windows:
            _, _, probabilities = self._whisper.detect_language(window.audio())
            for code, probability in probabilities:
                scores[code] = scores.get(code, 0.0) + probability
        total = sum(scores.values())
        if not total:
            return None, None, False
        best = max(scores, key=scores.__getitem__)
        if not candidates:
            return best, round(scores[best] / total, 4), False
        listed = {code: scores.get(code, 0.0) for code in candidates}
        listed_total = sum(listed.values())
        if best not in listed and listed_total / total < self.options.language_list_min_share:
            log.info(
                "call language %s (p=%.2f) is outside the list %s (p=%.2f together)",
                best,
                scores[best] / total,
                ",".join(candidates),
                listed_total / total,
            )
            return best, round(scores[best] / total, 4), True
        choice = max(listed, key=listed.__getitem__)
        return choice, round(listed[choice] / listed_total, 4) if listed_total else None, False

    def _decode(
        self, window: Window, language: str | None, channels: int, roles: dict[int, str]
    ) -> list[TranscriptionSegment]:
        """One Whisper pass over a packed window; words are placed back on the call's timeline."""
        opts = self.options
        found, _ = self._whisper.transcribe(window.audio(), language=language, **opts.whisper_kwargs())
        out: list[TranscriptionSegment] = []
        for s in found:
            if not s.text.strip() or (
                s.no_speech_prob > opts.no_speech_threshold and s.avg_logprob < opts.log_prob_threshold
            ):
                continue
            groups: list[tuple[Piece, list[tuple[float, float, Any]]]] = []
            for word in _without_prompt_echo(s.words or [], opts.hotwords or opts.initial_prompt):
                piece, middle = window.place((word.start + word.end) / 2)
                first, begin = window.place(word.start)
                begin = begin if first is piece else piece.start / SAMPLE_RATE
                end = max(begin, middle + (word.end - word.start) / 2)
                if (
                    groups
                    and groups[-1][0] is piece
                    and begin - groups[-1][1][-1][1] <= opts.split_gap_seconds
                ):
                    groups[-1][1].append((begin, end, word))
                else:
                    groups.append((piece, [(begin, end, word)]))
            for piece, words in groups:
                text = "".join(w.word for _, _, w in words).strip()
                if not text:
                    continue
                channel = piece.channel if channels > 1 else None  # a shared window holds both sides
                speaker = (
                    roles.get(piece.channel, f"channel {piece.channel}")
                    if channel is not None
                    else roles.get(0)
                )
                out.append(
                    TranscriptionSegment(
                        start=round(words[0][0], 3),
                        end=round(words[-1][1], 3),
                        text=text,
                        channel=channel,
                        speaker=speaker,
                        avg_logprob=s.avg_logprob,
                        no_speech_prob=s.no_speech_prob,
                        words=[
                            Word(
                                start=round(b, 3),
                                end=round(e, 3),
                                word=w.word,
                                probability=float(w.probability),
                            )
                            for b, e, w in words
                        ]
                        if opts.word_timestamps
                        else None,
                    )
                )
        return out


def _without_prompt_echo(words: list[Any], prompt: str | None) -> list[Any]:
    """The words of a segment minus a vocabulary prompt read back (:func:`perftel.vocabulary.prompt_echo`)."""
    if not prompt or not words:
        return list(words)
    from perftel.vocabulary import prompt_echo

    echo = prompt_echo([w.word for w in words], prompt)
    if echo:
        log.debug("dropped %d words reading the vocabulary prompt back", len(echo))
    return [w for i, w in enumerate(words) if i not in echo]


def _count(stats: dict[str, Any], window: Window) -> None:
    """Add one decoded window to a call's work counts."""
    stats["encoder_windows"] += 1
    stats["decoded_seconds"] += window.samples / SAMPLE_RATE
    stats["speech_pieces"] += len(window.pieces)


def create_transcriber(
    model: str | None = None,
    device: str | None = None,
    compute_type: str | None = None,
    *,
    options: TranscribeOptions | None = None,
    language: str | Iterable[str] | None = None,
) -> Transcriber:
    """A Transcriber; arguments left as None come from WHISPER_MODEL / WHISPER_DEVICE / WHISPER_COMPUTE_TYPE.

    ``language``: see :class:`Transcriber` (any spelling; an unknown one raises ConfigError at once).
    """
    if model is None or device is None or compute_type is None:
        settings = WhisperSettings.from_env()
        model = model or settings.model
        device = device or settings.device
        compute_type = compute_type or settings.compute_type
    return Transcriber(model, device, compute_type, options=options, language=language)


def _parse_language(value: str | Iterable[str] | None) -> tuple[str | None, tuple[str, ...]]:
    """``"pt"`` (or ``"pt-BR"``, ``"Portuguese"``) pins Portuguese; ``"en,pt"`` detects, choosing between
    English and Portuguese unless the call is in neither. Raises ConfigError for an unknown language."""
    codes = parse_languages(value)
    if not codes:
        return None, ()
    return (codes[0], ()) if len(codes) == 1 else (None, codes)


def _same_signal(left: np.ndarray, right: np.ndarray, threshold: float) -> bool:
    """True when both sides carry the same signal (kept for callers; see :func:`perftel.audio.same_signal`)."""
    return audio_io.same_signal(left, right, threshold)


def _normalize(audio: np.ndarray, options: TranscribeOptions) -> np.ndarray:
    """Scale a stretch of audio so its peak reaches ``target_peak``, with at most ``max_gain_db`` of gain."""
    return audio_io.level(audio, target_peak=options.target_peak, max_gain_db=options.max_gain_db)
