"""Replace personal data in a transcript with typed placeholders, keeping every time.

``"meu CPF é 123.456.789-09"`` → ``"meu CPF é [CPF]"``. Segment start/end times are unchanged; the words
of a value (when the transcript has word times) become one word holding the placeholder, from the first
word's start to the last word's end. A value spread over two segments leaves a placeholder in each.
:func:`redact_transcript` also returns ``pii_counts`` (how many values of each kind, never the values)
and the time spans (seconds) the values were spoken in, for silencing the audio.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from perftel.models import TranscriptionResult, TranscriptionSegment, Word
from perftel.privacy.detect import KINDS, Finding, Span, Utterance, find_personal_data
from perftel.privacy.policy import PrivacyPolicy

PLACEHOLDERS = {kind: f"[{kind.upper()}]" for kind in KINDS}


@dataclass
class Redaction:
    """What :func:`redact_transcript` did: the redacted transcript, counts per kind (every kind of the
    policy, zeros included) and the ``(start, end)`` seconds of each value, merged and sorted."""

    result: TranscriptionResult
    pii_counts: dict[str, int] = field(default_factory=dict)
    time_spans: list[tuple[float, float]] = field(default_factory=list)

    @property
    def found(self) -> int:
        """How many values were redacted, all kinds together."""
        return sum(self.pii_counts.values())


def redact_transcript(result: TranscriptionResult, policy: PrivacyPolicy) -> Redaction:
    """A redacted copy of ``result`` (``result`` itself is not changed)."""
    counts = {kind: 0 for kind in policy.kinds}
    if not policy.active:
        return Redaction(result, counts)
    out = copy.deepcopy(result)
    segments = out.segments
    if segments:
        utterances = [
            Utterance(
                s.text,
                s.speaker or (f"channel {s.channel}" if s.channel is not None else None),
                s.start,
                s.end,
            )
            for s in segments
        ]
    else:
        utterances = [Utterance(out.text, None, 0.0, out.duration)]
    findings = find_personal_data(utterances, language=out.language, region=policy.region, kinds=policy.kinds)
    if not findings:
        return Redaction(out, counts)
    by_segment: dict[int, list[tuple[Span, Finding]]] = {}
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
        for span in finding.spans:
            by_segment.setdefault(span.seg, []).append((span, finding))
    times: list[tuple[float, float]] = []
    if segments:
        for index, pieces in by_segment.items():
            times.extend(_redact_segment(segments[index], pieces))
        out.text = " ".join(s.text for s in segments)
    else:
        out.text = _replace(out.text, [(span, f.kind) for span, f in by_segment[0]])
        times.append((0.0, out.duration))
    return Redaction(out, counts, _merge(times))


def _replace(text: str, pieces: list[tuple[Span, str]]) -> str:
    for span, kind in sorted(pieces, key=lambda p: -p[0].start):
        text = text[: span.start] + PLACEHOLDERS[kind] + text[span.end :]
    return text


def _redact_segment(
    segment: TranscriptionSegment, pieces: list[tuple[Span, Finding]]
) -> list[tuple[float, float]]:
    """Redact one segment in place; the seconds its values cover (the whole segment without word times)."""
    original = segment.text
    segment.text = _replace(original, [(span, f.kind) for span, f in pieces])
    if not segment.words:
        if segment.words is not None:
            segment.words = []
        return [(segment.start, segment.end)]
    offsets = _word_offsets(original, segment.words)
    words: list[Word] = []
    done: set[int] = set()
    for k, word in enumerate(segment.words):
        begin, end = offsets[k]
        hit = next((i for i, (span, _) in enumerate(pieces) if begin < span.end and end > span.start), None)
        if hit is None:
            words.append(word)
            continue
        span, finding = pieces[hit]
        if hit in done:
            last = words[-1]
            last.end = max(last.end, word.end)
            last.probability = min(last.probability, word.probability)
        else:
            done.add(hit)
            lead = " " if word.word.startswith(" ") else ""
            words.append(Word(word.start, word.end, lead + PLACEHOLDERS[finding.kind], word.probability))
    placeholders = set(PLACEHOLDERS.values())
    times = [(w.start, w.end) for w in words if w.word.strip() in placeholders]
    segment.words = words
    unmatched = [i for i in range(len(pieces)) if i not in done]
    if unmatched:  # words that do not line up with the text: silence the whole segment
        times.append((segment.start, segment.end))
    return times


def _word_offsets(text: str, words: list[Word]) -> list[tuple[int, int]]:
    """Character offsets of each word in the segment text (the text is the words joined, stripped)."""
    offsets = []
    at = 0
    for word in words:
        piece = word.word.strip()
        found = text.find(piece, at) if piece else -1
        if found < 0:
            offsets.append((at, at))
            continue
        offsets.append((found, found + len(piece)))
        at = found + len(piece)
    return offsets


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
