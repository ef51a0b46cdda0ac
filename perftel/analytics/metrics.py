"""Per-call conversation metrics from a transcript's segments: talk, silence, overlaps, turns.

Input is what transcription produces: segments with ``start``/``end`` (seconds from the start of the
recording), ``channel`` (None for mono), ``speaker`` ("agent", "customer" or "channel N") and words,
plus the call's duration in seconds (:mod:`perftel.analytics.segments`). Output is one
:class:`CallMetrics` (a flat row of the ``call_metrics`` table); :func:`call_metrics_frame`
(:mod:`perftel.analytics.metrics_frame`) does many calls at once into a DataFrame. This module is the
entry point: it also re-exports the names the metric modules define.

Definitions (all times in seconds; a speaker's *talk* is the union of its segments' ``[start, end)``
intervals, clipped to ``[0, duration]``). They follow the call characteristics of Amazon Transcribe Call
Analytics (talk time per participant, non-talk time, interruptions, talk speed;
https://docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html) and Gong's talk ratio and
longest monologue (https://help.gong.io/hc/en-us/articles/10598977885453-Analyze-team-performance).
Each formula is in the module named after it:

``talk_seconds``
    Seconds in which anyone speaks (union over all speakers).
``agent_talk_seconds``, ``customer_talk_seconds``, ``talk_to_listen_ratio``, ``agent_talk_share``
    :mod:`perftel.analytics.talk_time`: each side's talk, ``agent / customer`` (None when the customer
    never speaks) and ``agent / (agent + customer)``, Gong's "talk ratio".
``silence_seconds``, ``silence_share``, ``longest_silence_seconds``, ``longest_silence_start``
    :mod:`perftel.analytics.dead_air`: seconds in ``[0, duration]`` where nobody speaks, that as a share
    of the duration, the longest single gap (a silent start or end of the call included) and its start.
``overlap_count``, ``overlap_seconds``, ``agent_interruptions``, ``customer_interruptions``
    :mod:`perftel.analytics.interruptions`: stretches of at least ``min_overlap_seconds`` (default 0.3 s)
    where both talk, stretches closer than 0.2 s joined; each credited to the speaker who started while
    the other was speaking (nobody when both started within 0.05 s).
``agent_longest_monologue_seconds``, ``customer_longest_monologue_seconds``
    :mod:`perftel.analytics.monologue`: longest stretch of one speaker's talk whose pauses hold at most
    ``backchannel_seconds`` (default 1.0 s) of the other's talk and last at most
    ``monologue_pause_seconds`` (default 3.0 s).
``agent_words``, ``customer_words``, ``agent_words_per_minute``, ``customer_words_per_minute``
    Words said, and :mod:`perftel.analytics.speech_rate`: ``words / talk_seconds * 60`` per speaker
    (None with no talk).
``turns``, ``response_time_median_seconds``, ``response_time_p90_seconds``,
``agent_response_time_median_seconds``
    :mod:`perftel.analytics.turn_taking`: segments in order with a speaker's consecutive ones merged
    (A, B, A = 3 turns); the waits at each change of turn (clipped at 0), median and 90th percentile,
    and the median of the agent's answers to the customer.

Mono calls (``channels == 1``, or no segment has a channel): the speaker-based columns are None and
``speaker_metrics_note`` is ``"not available (mono)"`` — one channel cannot tell who spoke, and a wrong
number is worse than none; talk, silence and words are still measured. A call without segments has zero
talk and full silence. Two-channel segments whose speaker is not "agent"/"customer" (e.g. "channel 0") are
mapped by channel with ``channel_roles`` (default ``{0: "agent", 1: "customer"}``, the layout of the
providers' dual-channel recordings), and ``roles_assumed`` is True; when a segment still has no role the
speaker columns are None and the note is ``"not available (speakers unknown)"``. Values are rounded:
seconds to 3 places, shares and ratios to 4, words per minute to 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from perftel.analytics.dead_air import longest_silence, silence_share, silences
from perftel.analytics.interruptions import MIN_OVERLAP_SECONDS, Overlap, overlaps
from perftel.analytics.intervals import Interval, gaps, intersect, total, union
from perftel.analytics.metrics_frame import call_metrics_frame
from perftel.analytics.monologue import BACKCHANNEL_SECONDS, MONOLOGUE_PAUSE_SECONDS, longest_monologue
from perftel.analytics.segments import (
    DEFAULT_CHANNEL_ROLES,
    MONO_NOTE,
    NO_ROLES_NOTE,
    ROLES,
    missing,
    read_segments,
)
from perftel.analytics.speech_rate import words_per_minute
from perftel.analytics.talk_time import agent_talk_share, talk_to_listen_ratio
from perftel.analytics.turn_taking import response_times, turns

__all__ = [
    "COLUMNS",
    "DEFAULT_CHANNEL_ROLES",
    "MONO_NOTE",
    "NO_ROLES_NOTE",
    "ROLES",
    "CallMetrics",
    "Interval",
    "Overlap",
    "call_metrics",
    "call_metrics_frame",
    "gaps",
    "intersect",
    "metrics_from_result",
    "missing",
    "overlaps",
    "total",
    "union",
]


@dataclass
class CallMetrics:
    """One row of the ``call_metrics`` table (see the module docstring for each formula; seconds).

    The speaker columns (``agent_talk_seconds`` onwards) are None for mono calls and calls whose speakers
    are unknown; ``speaker_metrics_note`` then says why.
    """

    call_id: str | None
    duration_seconds: float
    channels: int
    segments: int
    words: int
    talk_seconds: float
    silence_seconds: float
    silence_share: float | None
    longest_silence_seconds: float
    longest_silence_start: float | None
    agent_talk_seconds: float | None = None
    customer_talk_seconds: float | None = None
    talk_to_listen_ratio: float | None = None
    agent_talk_share: float | None = None
    overlap_count: int | None = None
    overlap_seconds: float | None = None
    agent_interruptions: int | None = None
    customer_interruptions: int | None = None
    agent_longest_monologue_seconds: float | None = None
    customer_longest_monologue_seconds: float | None = None
    agent_words: int | None = None
    customer_words: int | None = None
    agent_words_per_minute: float | None = None
    customer_words_per_minute: float | None = None
    turns: int | None = None
    response_time_median_seconds: float | None = None
    response_time_p90_seconds: float | None = None
    agent_response_time_median_seconds: float | None = None
    roles_assumed: bool = False
    speaker_metrics_note: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The row as a dict: one key per name in :data:`COLUMNS`, in that order."""
        return asdict(self)


#: column names of the ``call_metrics`` table, in order
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CallMetrics))


def call_metrics(
    segments: Sequence[Any],
    duration_seconds: float,
    *,
    call_id: str | None = None,
    channels: int | None = None,
    channel_roles: Mapping[int, str] | None = None,
    min_overlap_seconds: float = MIN_OVERLAP_SECONDS,
    backchannel_seconds: float = BACKCHANNEL_SECONDS,
    monologue_pause_seconds: float = MONOLOGUE_PAUSE_SECONDS,
) -> CallMetrics:
    """Metrics of one call from its segments (TranscriptionSegment objects or dicts with ``start``,
    ``end``, ``channel``, ``speaker`` and ``words`` — a list or a count — or ``text``).

    ``duration_seconds`` is the recording's length (a segment past it extends it: the talk is real).
    ``channels`` defaults to 2 when any segment has a channel, else 1. Never raises on empty input;
    raises KeyError when ``channel_roles`` names a role other than "agent"/"customer".
    """
    read = read_segments(segments, channel_roles)
    channels = channels if channels is not None else (2 if read.any_channel else 1)
    duration = max(float(duration_seconds or 0.0), max((e for _, e in read.intervals), default=0.0))
    talk = union(read.intervals)
    talk_seconds = total(talk)
    longest = longest_silence(silences(talk, duration))
    row = CallMetrics(
        call_id=call_id,
        duration_seconds=round(duration, 3),
        channels=channels,
        segments=len(segments),
        words=read.words,
        talk_seconds=round(talk_seconds, 3),
        silence_seconds=round(duration - talk_seconds, 3),
        silence_share=silence_share(duration - talk_seconds, duration),
        longest_silence_seconds=round(longest[1] - longest[0], 3) if longest else 0.0,
        longest_silence_start=round(longest[0], 3) if longest else None,
    )
    if channels < 2:
        row.speaker_metrics_note = MONO_NOTE
        return row
    if read.unknown_role and segments:
        row.speaker_metrics_note = NO_ROLES_NOTE
        return row
    row.roles_assumed = read.roles_assumed
    agent, customer = union(read.talk["agent"]), union(read.talk["customer"])
    agent_s, customer_s = total(agent), total(customer)
    row.agent_talk_seconds, row.customer_talk_seconds = round(agent_s, 3), round(customer_s, 3)
    row.talk_to_listen_ratio = talk_to_listen_ratio(agent_s, customer_s)
    row.agent_talk_share = agent_talk_share(agent_s, customer_s)
    found = overlaps(read.talk, min_overlap_seconds=min_overlap_seconds)
    row.overlap_count = len(found)
    row.overlap_seconds = round(sum(o.seconds for o in found), 3)
    row.agent_interruptions = sum(o.interrupter == "agent" for o in found)
    row.customer_interruptions = sum(o.interrupter == "customer" for o in found)
    row.agent_longest_monologue_seconds = round(
        longest_monologue(agent, customer, backchannel_seconds, monologue_pause_seconds), 3
    )
    row.customer_longest_monologue_seconds = round(
        longest_monologue(customer, agent, backchannel_seconds, monologue_pause_seconds), 3
    )
    row.agent_words, row.customer_words = read.words_by_role["agent"], read.words_by_role["customer"]
    row.agent_words_per_minute = words_per_minute(row.agent_words, agent_s)
    row.customer_words_per_minute = words_per_minute(row.customer_words, customer_s)
    call_turns = turns(read.talk)
    row.turns = len(call_turns)
    waits = response_times(call_turns)
    row.response_time_median_seconds = waits.median_seconds
    row.response_time_p90_seconds = waits.p90_seconds
    row.agent_response_time_median_seconds = waits.agent_median_seconds
    return row


def metrics_from_result(result: Any, *, call_id: str | None = None, **options: Any) -> CallMetrics:
    """:func:`call_metrics` of a :class:`~perftel.models.TranscriptionResult` (its duration and channels);
    ``call_id`` defaults to its ``recording_id``, ``options`` are :func:`call_metrics`' keywords."""
    return call_metrics(
        result.segments,
        result.duration,
        call_id=call_id or result.recording_id,
        channels=result.channels,
        **options,
    )
