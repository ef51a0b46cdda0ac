"""A stand-in for faster-whisper's ``WhisperModel`` that records what it is asked (no model, no timing).

It answers every window with one segment of one word per piece of speech it can see (non-silent
stretches of the window), so tests can check what reached the model and where words land, without
comparing model output.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np

RATE = 16_000


class FakeTokenizer:
    """Counts one token per whitespace-separated word (enough to test the prompt-length rule)."""

    def encode(self, text: str, add_special_tokens: bool = True) -> SimpleNamespace:
        return SimpleNamespace(ids=text.split())


class FakeWhisper:
    frames_per_second = 100  # faster-whisper's feature frames per second (a batched clip's seek unit)

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        self.model = SimpleNamespace(is_multilingual=True)
        self.hf_tokenizer = FakeTokenizer()
        self.fail_on = fail_on  # a hotwords value that makes transcribe raise (a model failure)

    def detect_language(self, audio: np.ndarray):  # noqa: ANN201
        return "en", 1.0, [("en", 0.9), ("pt", 0.1)]

    def transcribe(self, audio: np.ndarray, language: str | None = None, **kwargs):  # noqa: ANN201
        with self.lock:
            self.calls.append({"seconds": len(audio) / RATE, "language": language, **kwargs})
        if self.fail_on is not None and kwargs.get("hotwords") == self.fail_on:
            raise RuntimeError("fake model failure")
        frame = RATE // 20  # 50 ms frames; a word is a loud stretch, gaps under 0.3 s merged
        loud = [
            float(np.max(np.abs(audio[i : i + frame]), initial=0.0)) > 0.01
            for i in range(0, len(audio), frame)
        ]
        runs: list[list[int]] = []
        for index, on in enumerate(loud):
            if on and runs and index - runs[-1][1] <= 6:
                runs[-1][1] = index + 1
            elif on:
                runs.append([index, index + 1])
        words = [
            SimpleNamespace(
                start=a * frame / RATE, end=min(b * frame, len(audio)) / RATE, word=f" w{n}", probability=0.9
            )
            for n, (a, b) in enumerate(runs)
            if b - a >= 2
        ]
        if not words:
            return iter([]), SimpleNamespace(language=language)
        segment = SimpleNamespace(
            start=words[0].start,
            end=words[-1].end,
            text="".join(w.word for w in words),
            words=words,
            no_speech_prob=0.0,
            avg_logprob=-0.1,
            compression_ratio=1.0,
        )
        return iter([segment]), SimpleNamespace(language=language)

    def transcribe_batched(self, audio: np.ndarray, *, language=None, clip_timestamps=(), **kwargs):  # noqa: ANN001, ANN201
        """What ``BatchedInferencePipeline.transcribe`` answers: each clip decoded alone (recorded as one call),
        times shifted to ``audio``'s timeline, ``seek`` = the clip's start in frames."""
        from faster_whisper.transcribe import Segment, Word

        out = []
        for clip in clip_timestamps:
            a, b = int(clip["start"] * RATE), int(clip["end"] * RATE)
            offset = a / RATE
            found, _ = self.transcribe(audio[a:b], language=language, **kwargs)
            for s in found:
                words = [
                    Word(start=w.start + offset, end=w.end + offset, word=w.word, probability=w.probability)
                    for w in s.words
                ]
                out.append(
                    Segment(
                        id=len(out),
                        seek=int(offset * self.frames_per_second),
                        start=s.start + offset,
                        end=s.end + offset,
                        text=s.text,
                        tokens=[],
                        avg_logprob=s.avg_logprob,
                        compression_ratio=1.0,
                        no_speech_prob=s.no_speech_prob,
                        words=words,
                        temperature=0.0,
                    )
                )
        return iter(out), SimpleNamespace(language=language)
