"""Decoding: Whisper passes over packed windows (one at a time or batched), words placed back on the call.

A window (:class:`perftel.vad.Window`) holds levelled speech pieces of one call; faster-whisper decodes it
with word times, and each word is mapped back to its piece (and so its channel and its time in the file,
in seconds). Words of one piece closer than ``split_gap_seconds`` form one
:class:`~perftel.models.TranscriptionSegment`. A company vocabulary read back by Whisper is dropped
(:func:`perftel.vocabulary.prompt_echo`), and a vocabulary too long for Whisper's prompt is left out
before decoding (:func:`check_vocabulary`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np

from perftel import audio as audio_io
from perftel.models import TranscriptionSegment, Word
from perftel.vad import Piece, Window
from perftel.whisper_settings import TranscribeOptions

SAMPLE_RATE = audio_io.SAMPLE_RATE
log = logging.getLogger("perftel.transcribe")


def decode_windows(
    whisper: Any,
    windows: list[Window],
    language: str | None,
    channels: int,
    roles: dict[int, str],
    opts: TranscribeOptions,
    covered: set[int] | None = None,
    stats: dict[str, Any] | None = None,
) -> list[list[TranscriptionSegment]]:
    """The segments of each window (one list per window), decoded by ``whisper`` (a faster-whisper
    ``WhisperModel``) in ``language`` (None: Whisper's own guess): :func:`whisper_segments`, then
    :func:`place_segments`. The ids of the pieces that received words are added to ``covered``; windows
    decoded again at a higher temperature are counted in ``stats["fallback_windows"]``.
    Errors from faster-whisper propagate."""
    found = whisper_segments(whisper, windows, language, opts, stats)
    return [
        place_segments(segments, window, channels, roles, opts, covered)
        for window, segments in zip(windows, found, strict=True)
    ]


def whisper_segments(
    whisper: Any,
    windows: list[Window],
    language: str | None,
    opts: TranscribeOptions,
    stats: dict[str, Any] | None = None,
) -> list[list[Any]]:
    """faster-whisper's ``Segment``s for each window, times in seconds from the window's start.

    With ``opts.batch_size`` 0, one window at a time through ``WhisperModel.transcribe`` (timestamps,
    seeking, faster-whisper's temperature fallback). Else ``batch_size`` windows per pass through
    faster-whisper's ``BatchedInferencePipeline`` with perftel's windows as its clips (one batched encoder
    pass, one batched beam search; its own VAD is not used): the pipeline decodes at the first temperature
    only, so with ``batch_fallback`` a window that fails faster-whisper's own test (:func:`needs_fallback`)
    is decoded again alone from the next temperature on, and the better of the two kept by faster-whisper's
    rule (:func:`better_decode`); such windows are counted in ``stats["fallback_windows"]``.
    ``batch_timestamps=False`` decodes text tokens only (the words' times, from cross-attention alignment,
    place the text). Measured in ``benchmarks/RESULTS.md`` (issue 20).
    """
    if not windows:
        return []
    if opts.batch_size <= 0:
        return [
            list(whisper.transcribe(w.audio(), language=language, **opts.whisper_kwargs())[0])
            for w in windows
        ]
    out: list[list[Any]] = []
    for first in range(0, len(windows), opts.batch_size):  # never more than batch_size windows in a pass
        out += _one_pass(whisper, windows[first : first + opts.batch_size], language, opts)
    if opts.batch_fallback and len(opts.temperatures) > 1:
        again = dict(opts.whisper_kwargs(), temperature=list(opts.temperatures[1:]))
        for i, window in enumerate(windows):
            if any(needs_fallback(s, opts) for s in out[i]):
                other = list(whisper.transcribe(window.audio(), language=language, **again)[0])
                out[i] = better_decode(out[i], other, opts)
                if stats is not None:
                    stats["fallback_windows"] = stats.get("fallback_windows", 0) + 1
    return out


def _one_pass(
    whisper: Any, windows: list[Window], language: str | None, opts: TranscribeOptions
) -> list[list[Any]]:
    """One ``BatchedInferencePipeline`` pass over ``windows`` laid end to end: segments per window, times
    from the window's start. Each window's start is given half a sample late so that faster-whisper's
    ``int(seconds * 16000)`` lands on it exactly, and the pipeline's ``seek`` (the clip start in feature
    frames) names the window; windows too short to have a frame of their own go through alone."""
    clips, starts, at = [], [], 0
    for window in windows:
        clips.append({"start": (at + 0.5) / SAMPLE_RATE, "end": (at + window.samples + 0.5) / SAMPLE_RATE})
        starts.append(at)
        at += window.samples
    index = {int(start / SAMPLE_RATE * whisper.frames_per_second): i for i, start in enumerate(starts)}
    if len(index) < len(windows):  # two windows in one 10 ms frame: no way to tell their segments apart
        return [seg for window in windows for seg in _one_pass(whisper, [window], language, opts)]
    kwargs = opts.whisper_kwargs()
    for name in ("vad_filter", "condition_on_previous_text"):
        kwargs.pop(name)
    if kwargs.get("initial_prompt"):  # tokenized as WhisperModel.transcribe does (leading space)
        kwargs["initial_prompt"] = " " + kwargs["initial_prompt"].strip()
    kwargs.update(temperature=list(opts.temperatures[:1]), without_timestamps=not opts.batch_timestamps)
    found, _ = run_batched(
        whisper,
        np.concatenate([w.audio() for w in windows]),
        language=language,
        clip_timestamps=clips,
        batch_size=len(windows),
        **kwargs,
    )
    out: list[list[Any]] = [[] for _ in windows]
    for s in found:
        i = index[s.seek]
        shift = starts[i] / SAMPLE_RATE
        words = [replace(w, start=w.start - shift, end=w.end - shift) for w in s.words or []]
        out[i].append(replace(s, start=s.start - shift, end=s.end - shift, words=words))
    return out


def better_decode(first: list[Any], other: list[Any], opts: TranscribeOptions) -> list[Any]:
    """The decode kept for a window after a fallback: ``other`` (the higher-temperature one) unless it
    fails :func:`needs_fallback` too; then, as faster-whisper's ``generate_with_fallback`` does when every
    temperature fails, the one under the compression-ratio threshold with the best mean log-probability."""
    if not other or not any(needs_fallback(s, opts) for s in other):
        return other if other else first

    def rank(segments: list[Any]) -> tuple[bool, float]:
        repetitive = any(s.compression_ratio > opts.compression_ratio_threshold for s in segments)
        logprob = sum(s.avg_logprob for s in segments) / len(segments) if segments else float("-inf")
        return (not repetitive, logprob)

    return max((first, other), key=rank)


def run_batched(whisper: Any, audio: np.ndarray, **kwargs: Any) -> tuple[Any, Any]:
    """faster-whisper's ``BatchedInferencePipeline(whisper).transcribe(audio, **kwargs)`` (the one place it is
    made; tests put a stand-in here): (segments, info), segment times in seconds from ``audio``'s start."""
    from faster_whisper import BatchedInferencePipeline

    return BatchedInferencePipeline(whisper).transcribe(audio, **kwargs)


def needs_fallback(segment: Any, opts: TranscribeOptions) -> bool:
    """faster-whisper's rule for decoding a window again at a higher temperature: too repetitive (gzip
    compression ratio above ``compression_ratio_threshold``) or too unlikely (mean token log-probability
    under ``log_prob_threshold``), unless it is silence (``no_speech_prob`` above ``no_speech_threshold``
    with a low log-probability). Source: ``WhisperModel.generate_with_fallback`` in faster-whisper."""
    if segment.no_speech_prob > opts.no_speech_threshold and segment.avg_logprob < opts.log_prob_threshold:
        return False
    return segment.compression_ratio > opts.compression_ratio_threshold or (
        segment.avg_logprob < opts.log_prob_threshold
    )


def missed_windows(windows: list[Window], covered: set[int], opts: TranscribeOptions) -> list[Window]:
    """The speech pieces of ``windows`` that received no words (ids not in ``covered``), packed again per
    channel, in call order, into windows of at most ``window_seconds``.

    Whisper sometimes ends a packed window early (after a turn followed by a pause): the turns after it
    would be lost. Decoding them again in a window of their own recovers them (issue 20's measurements).
    """
    limit = int(opts.window_seconds * SAMPLE_RATE)
    gap = int(opts.pack_gap_seconds * SAMPLE_RATE)
    out: list[Window] = []
    open_windows: dict[int, Window] = {}
    for window in windows:
        audio = None
        for piece in window.pieces:
            if id(piece) in covered:
                continue
            if audio is None:
                audio = window.audio()
            current = open_windows.get(piece.channel)
            if current is None or current.samples + gap + piece.length > limit:
                current = open_windows[piece.channel] = Window(piece.channel)
                out.append(current)
            current.add(piece.start, audio[piece.at : piece.at + piece.length], gap, piece.channel)
    return out


def place_segments(
    found: list[Any],
    window: Window,
    channels: int,
    roles: dict[int, str],
    opts: TranscribeOptions,
    covered: set[int] | None = None,
) -> list[TranscriptionSegment]:
    """faster-whisper segments of one window placed back on the call's timeline.

    Segment and word times are seconds from the start of the file; ``channel`` is the piece's channel on a
    ``channels`` > 1 call (else None) and ``speaker`` its role from ``roles`` (channel → role, e.g.
    ``{0: "agent"}``; an unnamed channel is ``"channel N"``). A Whisper segment is dropped as non-speech
    when ``no_speech_prob > no_speech_threshold`` and ``avg_logprob < log_prob_threshold``. Words are kept
    in the result only with ``opts.word_timestamps``. The ids of pieces that got words go into ``covered``.
    """
    out: list[TranscriptionSegment] = []
    for s in found:
        if not s.text.strip() or (
            s.no_speech_prob > opts.no_speech_threshold and s.avg_logprob < opts.log_prob_threshold
        ):
            continue
        groups: list[tuple[Piece, list[tuple[float, float, Any]]]] = []
        for word in without_prompt_echo(s.words or [], opts.hotwords or opts.initial_prompt):
            piece, middle = window.place((word.start + word.end) / 2)
            first, begin = window.place(word.start)
            begin = begin if first is piece else piece.start / SAMPLE_RATE
            # a word ends inside its piece: alignment can stretch a window's last word over the silence after it
            end = max(
                begin, min(middle + (word.end - word.start) / 2, (piece.start + piece.length) / SAMPLE_RATE)
            )
            if groups and groups[-1][0] is piece and begin - groups[-1][1][-1][1] <= opts.split_gap_seconds:
                groups[-1][1].append((begin, end, word))
            else:
                groups.append((piece, [(begin, end, word)]))
        for piece, words in groups:
            text = "".join(w.word for _, _, w in words).strip()
            if not text:
                continue
            if covered is not None:
                covered.add(id(piece))
            channel = piece.channel if channels > 1 else None  # a shared window holds both sides
            speaker = (
                roles.get(piece.channel, f"channel {piece.channel}") if channel is not None else roles.get(0)
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
                            start=round(b, 3), end=round(e, 3), word=w.word, probability=float(w.probability)
                        )
                        for b, e, w in words
                    ]
                    if opts.word_timestamps
                    else None,
                )
            )
    return out


def without_prompt_echo(words: list[Any], prompt: str | None) -> list[Any]:
    """The words of a segment minus a vocabulary prompt read back (:func:`perftel.vocabulary.prompt_echo`)."""
    if not prompt or not words:
        return list(words)
    from perftel.vocabulary import prompt_echo

    echo = prompt_echo([w.word for w in words], prompt)
    if echo:
        log.debug("dropped %d words reading the vocabulary prompt back", len(echo))
    return [w for i, w in enumerate(words) if i not in echo]


def check_vocabulary(
    whisper: Any, options: TranscribeOptions, problems: dict[str, str | None]
) -> TranscribeOptions:
    """``options`` when its hotwords/prompt fit Whisper's prompt (223 tokens, counted with ``whisper``'s
    tokenizer when it has one), else a copy without them whose ``vocabulary_problem`` says why (warned
    once per text: ``problems`` maps each text already checked to its problem, and is updated)."""
    from perftel import vocabulary

    tokenizer = getattr(whisper, "hf_tokenizer", None)
    count = (lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)) if tokenizer else None
    for name in ("hotwords", "initial_prompt"):
        text = getattr(options, name)
        if not text:
            continue
        if text not in problems:
            source = options.vocabulary_source or name
            problem = vocabulary.check_length(vocabulary.Vocabulary((text,), source), count)
            problems[text] = problem
            if problem:
                vocabulary.warn(problem)
        problem = problems[text]
        if problem:
            return replace(options, hotwords=None, initial_prompt=None, vocabulary_problem=problem)
    return options
