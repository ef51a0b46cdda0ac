"""Decoding: one Whisper pass over a packed window, its words placed back on the call's timeline.

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

from perftel import audio as audio_io
from perftel.models import TranscriptionSegment, Word
from perftel.vad import Piece, Window
from perftel.whisper_settings import TranscribeOptions

SAMPLE_RATE = audio_io.SAMPLE_RATE
log = logging.getLogger("perftel.transcribe")


def decode_window(
    whisper: Any,
    window: Window,
    language: str | None,
    channels: int,
    roles: dict[int, str],
    opts: TranscribeOptions,
) -> list[TranscriptionSegment]:
    """The segments of one window, decoded by ``whisper`` (a faster-whisper ``WhisperModel``) in
    ``language`` (None: Whisper's own guess) with ``opts.whisper_kwargs()``.

    Segment and word times are seconds from the start of the file; ``channel`` is the piece's channel on a
    ``channels`` > 1 call (else None) and ``speaker`` its role from ``roles`` (channel → role, e.g.
    ``{0: "agent"}``; an unnamed channel is ``"channel N"``). A Whisper segment is dropped as non-speech
    when ``no_speech_prob > no_speech_threshold`` and ``avg_logprob < log_prob_threshold``. Words are kept
    in the result only with ``opts.word_timestamps``. Errors from faster-whisper propagate.
    """
    found, _ = whisper.transcribe(window.audio(), language=language, **opts.whisper_kwargs())
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
            end = max(begin, middle + (word.end - word.start) / 2)
            if groups and groups[-1][0] is piece and begin - groups[-1][1][-1][1] <= opts.split_gap_seconds:
                groups[-1][1].append((begin, end, word))
            else:
                groups.append((piece, [(begin, end, word)]))
        for piece, words in groups:
            text = "".join(w.word for _, _, w in words).strip()
            if not text:
                continue
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
