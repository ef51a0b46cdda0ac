"""The Whisper settings object: what model runs where (:class:`WhisperSettings`) and how each call is
decoded (:class:`TranscribeOptions`), the one way these travel config → CLI/notebook → pipeline → executor →
:class:`perftel.transcribe.Transcriber`.

Defaults come from the environment in one place, :meth:`WhisperSettings.from_env` (``WHISPER_MODEL``,
``WHISPER_DEVICE``, ``WHISPER_COMPUTE_TYPE``, read by :mod:`perftel.config`); a bad model, device or compute
type is a ``ConfigError`` naming the value and the valid choices when the object is made, before any work.
Both classes are frozen dataclasses: picklable (they go to Dask workers) and JSON-able
(:meth:`WhisperSettings.to_dict`). faster-whisper is imported only to list its model names and to build
its ``VadOptions``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from typing import Any

from perftel import audio as audio_io
from perftel.config import env, validate_compute_type, validate_device, validate_model
from perftel.errors import ConfigError
from perftel.languages import canonical_language
from perftel.noise_reduction import FLOOR_DB, REDUCTION_DB, settings_problem

DEFAULT_MODEL = "base"
DEFAULT_DEVICE = "cpu"
DEFAULT_COMPUTE_TYPE = "int8"


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
    regions of a two-channel call lifted by at least ``noise_reduction_min_gain_db`` (a quiet side, whose
    line noise came up with it) go through FFmpeg's noise reduction (:mod:`perftel.noise_reduction`, ``noise_reduction_db``,
    ``noise_floor_db``) and are levelled again;
    regions are packed into windows of at most ``window_seconds`` separated by ``pack_gap_seconds`` of
    silence (each channel in its own windows; ``share_windows=True`` packs both sides together). ``hotwords`` /
    ``initial_prompt`` (e.g. a company vocabulary, :mod:`perftel.vocabulary`) are given to every window;
    longer than Whisper's prompt (223 tokens) they are left out with a warning. A segment is dropped as non-speech when ``no_speech_prob > no_speech_threshold`` and
    ``avg_logprob < log_prob_threshold``; ``temperatures`` is the fallback ladder for a window that
    decodes badly (``compression_ratio_threshold``). Stereo sides correlating above
    ``same_signal_correlation`` are one signal. Blocks whose peak is under ``silence_floor_db`` are
    skipped without VAD.

    Decoding (issue 20, ``benchmarks/bench_longform.py``): with ``batch_size`` ≥ 1 (the default is 1),
    windows go through faster-whisper's ``BatchedInferencePipeline`` with perftel's windows as its clips,
    ``batch_size`` windows of a call per pass (one encoder pass and one beam search over text tokens only;
    the words' aligned times place the text, ``batch_timestamps=True`` lets Whisper write segment
    timestamps too — measured no better). Each window is decoded once — no seeking on after the last
    timestamp — and one that fails faster-whisper's fallback test is decoded again alone from the next
    temperature on when ``batch_fallback`` (off by default: on 8 benchmark calls it changed no word, and its
    sampling is not reproducible). ``redecode_missed`` (on by default) packs the speech pieces that got no
    words (Whisper ended a window early) into new windows and decodes them once more. ``batch_size=0``
    uses faster-whisper's own ``transcribe`` per window instead (timestamps, seeking, the temperature
    ladder; measured with ``redecode_missed=False``): more CPU on the benchmark (0.49-0.90 x
    faster-whisper's defaults against 0.39-0.70 x), WER
    the same or worse. More windows per pass save CPU (2: ~15 %, 4: ~22 %) but each extra window holds
    ~100 MB more while it is decoded, which would take a 2-hour call over 0.5 GB; so one per pass.
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
    noise_reduction: bool = (
        True  # FFmpeg's afftdn on regions levelled up a long way (perftel.noise_reduction)
    )
    noise_reduction_min_gain_db: float = 12.0  # regions lifted at least this much are denoised
    noise_reduction_db: float = REDUCTION_DB  # at most this much noise removed (afftdn nr)
    noise_floor_db: float = FLOOR_DB  # starting floor of a levelled region, dBFS (afftdn nf)
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
    batch_size: int = 1  # windows per batched pass; 0: faster-whisper's own transcribe per window
    batch_timestamps: bool = (
        False  # batched: Whisper also writes segment timestamps (words place text anyway)
    )
    batch_fallback: bool = (
        False  # batched: a badly decoded window is decoded again (sampled: not reproducible)
    )
    redecode_missed: bool = True  # speech pieces that got no words are packed and decoded once more

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", canonical_language(self.language))
        problem = self.noise_reduction and settings_problem(self.noise_reduction_db, self.noise_floor_db)
        if problem:
            raise ConfigError(
                f"noise_reduction_db / noise_floor_db: {problem} (or noise_reduction=False to turn it off)",
                field="noise_reduction_db",
            )
        if self.noise_reduction and not 0 <= self.noise_reduction_min_gain_db < float("inf"):
            raise ConfigError(
                f"noise_reduction_min_gain_db={self.noise_reduction_min_gain_db}: a gain in dB, 0 or more "
                "(regions levelled up by at least this much are denoised)",
                field="noise_reduction_min_gain_db",
            )
        if not isinstance(self.batch_size, int) or self.batch_size < 0:
            raise ConfigError(
                f"batch_size={self.batch_size!r}: windows per batched pass, 1 or more "
                "(0: faster-whisper's own transcribe per window)",
                field="batch_size",
            )

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
        """faster-whisper's ``VadOptions`` from the ``vad_*`` fields (durations in ms, the longest region in
        seconds: a window less both pads, so a padded region always fits one window)."""
        from faster_whisper.vad import VadOptions

        return VadOptions(
            threshold=self.vad_threshold,
            min_silence_duration_ms=self.vad_min_silence_ms,
            speech_pad_ms=self.vad_speech_pad_ms,
            max_speech_duration_s=max(1.0, self.window_seconds - 2 * self.vad_speech_pad_ms / 1000 - 0.5),
        )


_MODEL_FIELDS = ("model", "device", "compute_type", "cpu_threads")


@dataclass(frozen=True)
class WhisperSettings:
    """Everything Whisper needs, as one object: the model and where it runs, plus the decoding options.

    ``model`` is a size faster-whisper knows (``tiny.en``, ``base``, ``large-v3``, ``distil-large-v3.5``,
    …), a model directory or a Hub id (``org/name``); ``device`` is ``cpu``, ``cuda`` or ``auto``;
    ``compute_type`` is CTranslate2's (``int8``, ``float16``, ``float32``, …); ``cpu_threads`` is the
    CTranslate2 threads per model (0: the usable cores ÷ the calls decoded at once); ``options`` are the
    per-call decoding options (:class:`TranscribeOptions`: language, beam size, VAD, vocabulary, …; None
    means the defaults).

    Made directly, the defaults are ``base`` / ``cpu`` / ``int8`` (not the environment): use
    :meth:`from_env` for the configured defaults. Raises ConfigError (``field`` = ``WHISPER_MODEL``,
    ``WHISPER_DEVICE``, ``WHISPER_COMPUTE_TYPE`` or ``cpu_threads``) naming the bad value and the valid
    choices; an unknown language in ``options`` is a ConfigError too (from :class:`TranscribeOptions`).
    """

    model: str = DEFAULT_MODEL
    device: str = DEFAULT_DEVICE
    compute_type: str = DEFAULT_COMPUTE_TYPE
    cpu_threads: int = 0
    options: TranscribeOptions = field(default_factory=TranscribeOptions)  # None → TranscribeOptions()

    def __post_init__(self) -> None:
        validate_model(self.model)
        validate_device(self.device)
        validate_compute_type(self.compute_type)
        if (
            isinstance(self.cpu_threads, bool)
            or not isinstance(self.cpu_threads, int)
            or self.cpu_threads < 0
        ):
            raise ConfigError(
                f"cpu_threads={self.cpu_threads!r} is not valid: use 0 (automatic) or a whole number ≥ 1.",
                field="cpu_threads",
            )
        if self.options is None:  # "no options" means the defaults
            object.__setattr__(self, "options", TranscribeOptions())
        if not isinstance(self.options, TranscribeOptions):
            raise ConfigError(
                f"options must be a TranscribeOptions, not {type(self.options).__name__}.", field="options"
            )

    @classmethod
    def from_env(
        cls,
        *,
        model: str | None = None,
        device: str | None = None,
        compute_type: str | None = None,
        cpu_threads: int | None = None,
        options: TranscribeOptions | None = None,
        **option_fields: Any,
    ) -> WhisperSettings:
        """The configured settings: each argument left as None comes from ``WHISPER_MODEL`` /
        ``WHISPER_DEVICE`` / ``WHISPER_COMPUTE_TYPE`` (environment or ``.env``), else ``base`` / ``cpu`` /
        ``int8``. ``option_fields`` (``language="pt"``, ``beam_size=1``, …; None values ignored) change
        ``options`` (default ``TranscribeOptions()``). Raises ConfigError for a bad value, TypeError for
        an unknown option field."""
        changes = {name: value for name, value in option_fields.items() if value is not None}
        return cls(
            model=model or env("WHISPER_MODEL", DEFAULT_MODEL),
            device=device or env("WHISPER_DEVICE", DEFAULT_DEVICE),
            compute_type=compute_type or env("WHISPER_COMPUTE_TYPE", DEFAULT_COMPUTE_TYPE),
            cpu_threads=cpu_threads or 0,
            options=replace(options or TranscribeOptions(), **changes),
        )

    def with_options(self, **changes: Any) -> WhisperSettings:
        """A copy whose ``options`` have these fields changed (``settings.with_options(language="pt")``)."""
        return replace(self, options=replace(self.options, **changes))

    @property
    def model_name(self) -> str:
        """The name results carry: the size, or the last part of a directory or Hub id
        (``/models/pt-small`` → ``pt-small``)."""
        from pathlib import Path

        from perftel.config import whisper_model_names

        return self.model if self.model in whisper_model_names() else Path(self.model).expanduser().name

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"model", "device", "compute_type", "cpu_threads", "options": {field: value}}``
        (``temperatures`` as a list)."""
        return {
            **{name: getattr(self, name) for name in _MODEL_FIELDS},
            "options": dataclasses.asdict(self.options),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WhisperSettings:
        """The inverse of :meth:`to_dict` (validated again). Raises ConfigError/TypeError for bad data."""
        options = dict(data.get("options") or {})
        if "temperatures" in options:
            options["temperatures"] = tuple(options["temperatures"])
        return cls(
            **{name: data[name] for name in _MODEL_FIELDS if name in data},
            options=TranscribeOptions(**options),
        )
