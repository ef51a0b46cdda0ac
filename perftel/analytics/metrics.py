"""Per-call conversation metrics from a transcript's segments: talk, silence, overlaps, turns.

Input is what transcription produces: segments with ``start``/``end`` (seconds from the start of the
recording), ``channel`` (None for mono), ``speaker`` ("agent", "customer" or "channel N") and words,
plus the call's duration in seconds. Output is one :class:`CallMetrics` (a flat row of the
``call_metrics`` table); :func:`call_metrics_frame` does many calls at once into a DataFrame.

Definitions (all times in seconds; a speaker's *talk* is the union of its segments' ``[start, end)``
intervals, clipped to ``[0, duration]``). They follow the call characteristics of Amazon Transcribe Call
Analytics (talk time per participant, non-talk time, interruptions, talk speed;
https://docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html) and Gong's talk ratio and
longest monologue (https://help.gong.io/hc/en-us/articles/10598977885453-Analyze-team-performance):

``talk_seconds``
    Seconds in which anyone speaks (union over all speakers).
``agent_talk_seconds``, ``customer_talk_seconds``
    Seconds of the agent's / customer's talk (Amazon "talk time").
``talk_to_listen_ratio``
    ``agent_talk_seconds / customer_talk_seconds`` (1.0 = equal; None when the customer never speaks).
``agent_talk_share``
    ``agent_talk_seconds / (agent_talk_seconds + customer_talk_seconds)``: Gong's "talk ratio" (0.43 =
    the agent spoke 43 % of the talk time; silence is in neither term).
``silence_seconds``, ``silence_share``, ``longest_silence_seconds``
    Seconds in ``[0, duration]`` where nobody speaks (Amazon "non-talk time"), that as a share of the
    duration, and the longest single such gap ("dead air", including a silent start or end of the call);
    ``longest_silence_start`` is where it begins.
``overlap_count``, ``overlap_seconds``
    Stretches where agent and customer talk at once, counting only those at least
    ``min_overlap_seconds`` long (default 0.3 s, so word-time jitter of the transcript is not an overlap);
    stretches closer than 0.2 s are one overlap.
``agent_interruptions``, ``customer_interruptions``
    Counted overlaps attributed to who interrupted: the speaker whose segment *started while the other was
    already speaking* (Amazon: "one participant cuts off the other participant midsentence"). When both
    start together (within 0.05 s) nobody is credited.
``agent_longest_monologue_seconds``, ``customer_longest_monologue_seconds``
    Longest stretch of one speaker's talk, from the start of one of its segments to the end of a later
    one, such that in each of its pauses the other speaker talks for at most ``backchannel_seconds``
    (default 1.0 s: a short "mm-hm" does not end a monologue) and no pause is longer than
    ``monologue_pause_seconds`` (default 3.0 s). Talk *over* the speaker is an overlap, not the end of a
    monologue.
``agent_words``, ``customer_words``, ``agent_words_per_minute``, ``customer_words_per_minute``
    Words said, and ``words / talk_seconds * 60`` per speaker (Amazon "talk speed"; None with no talk).
``turns``
    Segments ordered by start with consecutive segments of the same speaker merged; the count of what
    remains (A, B, A = 3 turns).
``response_time_median_seconds``, ``response_time_p90_seconds``
    At each change of turn, the new speaker's start minus the previous turn's end, clipped at 0 (an
    interruption answers in 0 s); median and 90th percentile (linear interpolation) over the call.
    ``agent_response_time_median_seconds``: the same over the agent's answers to the customer only.

Mono calls (``channels == 1``, or no segment has a channel): the speaker-based columns are None and
``speaker_metrics_note`` is ``"not available (mono)"`` — one channel cannot tell who spoke, and a wrong
number is worse than none; talk, silence and words are still measured. A call without segments has zero
talk and full silence. Two-channel segments whose speaker is not "agent"/"customer" (e.g. "channel 0") are
mapped by channel with ``channel_roles`` (default ``{0: "agent", 1: "customer"}``, the layout of the
providers' dual-channel recordings), and ``roles_assumed`` is True.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

MONO_NOTE = "not available (mono)"
NO_ROLES_NOTE = "not available (speakers unknown)"
DEFAULT_CHANNEL_ROLES: dict[int, str] = {0: "agent", 1: "customer"}
ROLES = ("agent", "customer")

Interval = tuple[float, float]


@dataclass
class CallMetrics:
    """One row of the ``call_metrics`` table (see the module docstring for each formula; seconds)."""

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
        return asdict(self)


#: column names of the ``call_metrics`` table, in order
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CallMetrics))


def _get(segment: Any, name: str, default: Any = None) -> Any:
    if isinstance(segment, Mapping):
        return segment.get(name, default)
    return getattr(segment, name, default)


def missing(value: Any) -> bool:
    """None, NaN or pandas' NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def _word_count(segment: Any) -> int:
    words = _get(segment, "words")
    if isinstance(words, (int, float)) and not isinstance(words, bool):
        return int(words)
    if words is not None:
        return len(words)
    return len((_get(segment, "text") or "").split())


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, merged ``[start, end)`` intervals (touching ones merged); empty ones dropped."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def total(intervals: Iterable[Interval]) -> float:
    return sum(b - a for a, b in intervals)


def gaps(intervals: Sequence[Interval], start: float, end: float) -> list[Interval]:
    """The parts of ``[start, end)`` not covered by merged ``intervals`` (silences)."""
    out: list[Interval] = []
    cursor = start
    for a, b in intervals:
        if a > cursor:
            out.append((cursor, min(a, end)))
        cursor = max(cursor, b)
        if cursor >= end:
            break
    if cursor < end:
        out.append((cursor, end))
    return [(a, b) for a, b in out if b > a]


def intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """Intersection of two merged interval lists (two-pointer sweep)."""
    out: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        a = max(first[i][0], second[j][0])
        b = min(first[i][1], second[j][1])
        if b > a:
            out.append((a, b))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return out


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of an already sorted, non-empty sequence."""
    position = (len(sorted_values) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclass(frozen=True)
class Overlap:
    """Agent and customer talking at once over ``[start, end)``; ``interrupter`` started while the other
    was speaking ("agent", "customer" or None when both started together)."""

    start: float
    end: float
    interrupter: str | None

    @property
    def seconds(self) -> float:
        return self.end - self.start


def overlaps(
    speaker_segments: Mapping[str, Sequence[Interval]],
    *,
    min_overlap_seconds: float = 0.3,
    join_seconds: float = 0.2,
) -> list[Overlap]:
    """Overlaps between "agent" and "customer" segment intervals (raw, unmerged lists of (start, end))."""
    agent = union(speaker_segments.get("agent", ()))
    customer = union(speaker_segments.get("customer", ()))
    both = intersect(agent, customer)
    joined: list[list[float]] = []
    for a, b in both:
        if joined and a - joined[-1][1] <= join_seconds:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    out = []
    for a, b in joined:
        if b - a < min_overlap_seconds:
            continue
        # who was speaking first: the merged stretch of each speaker containing the overlap start
        agent_start = next(s for s, e in agent if s <= a < e) if agent else a
        customer_start = next(s for s, e in customer if s <= a < e) if customer else a
        if abs(agent_start - customer_start) <= 0.05:
            who = None
        else:
            who = "agent" if agent_start > customer_start else "customer"
        out.append(Overlap(a, b, who))
    return out


def _longest_monologue(
    own: Sequence[Interval], other: Sequence[Interval], backchannel: float, pause: float
) -> float:
    """See the module docstring; ``own``/``other`` are merged interval lists."""
    best = 0.0
    run_start: float | None = None
    run_end = 0.0
    j = 0
    for a, b in own:
        if run_start is not None:
            broken = a - run_end > pause
            if not broken:  # the other speaker's talk inside the pause between run_end and a
                while j < len(other) and other[j][1] <= run_end:
                    j += 1
                k = j
                while k < len(other) and other[k][0] < a:
                    if min(other[k][1], a) - max(other[k][0], run_end) > backchannel:
                        broken = True
                        break
                    k += 1
            if broken:
                best = max(best, run_end - run_start)
                run_start = None
        if run_start is None:
            run_start = a
        run_end = b
    if run_start is not None:
        best = max(best, run_end - run_start)
    return best


def call_metrics(
    segments: Sequence[Any],
    duration_seconds: float,
    *,
    call_id: str | None = None,
    channels: int | None = None,
    channel_roles: Mapping[int, str] | None = None,
    min_overlap_seconds: float = 0.3,
    backchannel_seconds: float = 1.0,
    monologue_pause_seconds: float = 3.0,
) -> CallMetrics:
    """Metrics of one call from its segments (TranscriptionSegment objects or dicts with ``start``,
    ``end``, ``channel``, ``speaker`` and ``words`` — a list or a count — or ``text``).

    ``duration_seconds`` is the recording's length (a segment past it extends it: the talk is real).
    ``channels`` defaults to 2 when any segment has a channel, else 1. Never raises on empty input.
    """
    intervals: list[Interval] = []
    by_role: dict[str, list[Interval]] = {"agent": [], "customer": []}
    words_by_role = {"agent": 0, "customer": 0}
    order: list[tuple[float, float, str | None]] = []
    word_total = 0
    any_channel = False
    assumed = False
    unknown = False
    roles = channel_roles if channel_roles is not None else DEFAULT_CHANNEL_ROLES
    for segment in segments:
        start = float(_get(segment, "start"))
        end = float(_get(segment, "end"))
        start, end = max(0.0, start), max(0.0, end)
        count = _word_count(segment)
        word_total += count
        intervals.append((start, end))
        channel = _get(segment, "channel")
        speaker = _get(segment, "speaker")
        has_channel = not missing(channel)
        any_channel = any_channel or has_channel
        role = speaker if isinstance(speaker, str) and speaker in ROLES else None
        if role is None and has_channel:
            role = roles.get(int(channel))
            assumed = assumed or role is not None
        if role is None:
            unknown = True
            continue
        by_role[role].append((start, end))
        words_by_role[role] += count
        order.append((start, end, role))
    channels = channels if channels is not None else (2 if any_channel else 1)
    duration = max(float(duration_seconds or 0.0), max((e for _, e in intervals), default=0.0))
    talk = union(intervals)
    talk_seconds = total(talk)
    silences = gaps(talk, 0.0, duration)
    longest = max(silences, key=lambda g: g[1] - g[0], default=None)
    row = CallMetrics(
        call_id=call_id,
        duration_seconds=round(duration, 3),
        channels=channels,
        segments=len(segments),
        words=word_total,
        talk_seconds=round(talk_seconds, 3),
        silence_seconds=round(duration - talk_seconds, 3),
        silence_share=round((duration - talk_seconds) / duration, 4) if duration > 0 else None,
        longest_silence_seconds=round(longest[1] - longest[0], 3) if longest else 0.0,
        longest_silence_start=round(longest[0], 3) if longest else None,
    )
    if channels < 2:
        row.speaker_metrics_note = MONO_NOTE
        return row
    if unknown and segments:
        row.speaker_metrics_note = NO_ROLES_NOTE
        return row
    row.roles_assumed = assumed
    agent, customer = union(by_role["agent"]), union(by_role["customer"])
    agent_s, customer_s = total(agent), total(customer)
    row.agent_talk_seconds, row.customer_talk_seconds = round(agent_s, 3), round(customer_s, 3)
    row.talk_to_listen_ratio = round(agent_s / customer_s, 4) if customer_s > 0 else None
    row.agent_talk_share = round(agent_s / (agent_s + customer_s), 4) if agent_s + customer_s > 0 else None
    found = overlaps(by_role, min_overlap_seconds=min_overlap_seconds)
    row.overlap_count = len(found)
    row.overlap_seconds = round(sum(o.seconds for o in found), 3)
    row.agent_interruptions = sum(o.interrupter == "agent" for o in found)
    row.customer_interruptions = sum(o.interrupter == "customer" for o in found)
    row.agent_longest_monologue_seconds = round(
        _longest_monologue(agent, customer, backchannel_seconds, monologue_pause_seconds), 3
    )
    row.customer_longest_monologue_seconds = round(
        _longest_monologue(customer, agent, backchannel_seconds, monologue_pause_seconds), 3
    )
    row.agent_words, row.customer_words = words_by_role["agent"], words_by_role["customer"]
    row.agent_words_per_minute = round(words_by_role["agent"] / agent_s * 60, 2) if agent_s > 0 else None
    row.customer_words_per_minute = (
        round(words_by_role["customer"] / customer_s * 60, 2) if customer_s > 0 else None
    )
    order.sort()
    turns: list[list[Any]] = []
    for start, end, role in order:
        if turns and turns[-1][2] == role:
            turns[-1][1] = max(turns[-1][1], end)
        else:
            turns.append([start, end, role])
    row.turns = len(turns)
    responses: list[float] = []
    agent_responses: list[float] = []
    for previous, current in zip(turns, turns[1:], strict=False):
        wait = max(0.0, current[0] - previous[1])
        responses.append(wait)
        if current[2] == "agent":
            agent_responses.append(wait)
    if responses:
        responses.sort()
        row.response_time_median_seconds = round(_percentile(responses, 0.5), 3)
        row.response_time_p90_seconds = round(_percentile(responses, 0.9), 3)
    if agent_responses:
        agent_responses.sort()
        row.agent_response_time_median_seconds = round(_percentile(agent_responses, 0.5), 3)
    return row


def metrics_from_result(result: Any, *, call_id: str | None = None, **options: Any) -> CallMetrics:
    """:func:`call_metrics` of a :class:`~perftel.models.TranscriptionResult` (its duration and channels)."""
    return call_metrics(
        result.segments,
        result.duration,
        call_id=call_id or result.recording_id,
        channels=result.channels,
        **options,
    )


def call_metrics_frame(
    segments: Any,
    calls: Any,
    *,
    channel_roles: Mapping[int, str] | None = None,
    min_overlap_seconds: float = 0.3,
    backchannel_seconds: float = 1.0,
    monologue_pause_seconds: float = 3.0,
) -> Any:
    """Metrics of many calls as a ``call_metrics`` DataFrame (one row per call in ``calls``, same order).

    ``segments``: DataFrame with ``call_id``, ``start``, ``end``, ``channel``, ``speaker`` and ``words``
    (a count) or ``text``. ``calls``: DataFrame with ``call_id``, ``duration_seconds`` and optionally
    ``channels`` (else inferred from the segments). A call without segments gets zero talk. Vectorised
    (numpy over all calls at once); the values equal :func:`call_metrics` call by call. Numbers that are
    not available are NaN here (None in :class:`CallMetrics`).
    """
    import numpy as np
    import pandas as pd

    roles_map = channel_roles if channel_roles is not None else DEFAULT_CHANNEL_ROLES
    ids = calls["call_id"].to_numpy()
    index = pd.Index(ids)
    n_calls = len(ids)
    ci = index.get_indexer(segments["call_id"].to_numpy())
    inside = ci >= 0
    seg = segments[inside]
    ci = ci[inside]
    start = np.maximum(seg["start"].to_numpy(dtype=float), 0.0)
    end = np.maximum(seg["end"].to_numpy(dtype=float), 0.0)
    channel = (
        pd.to_numeric(seg["channel"], errors="coerce").to_numpy(dtype=float)
        if "channel" in seg
        else np.full(len(seg), np.nan)
    )
    has_channel = ~np.isnan(channel)
    speaker = seg["speaker"].astype(object).to_numpy() if "speaker" in seg else np.full(len(seg), None)
    role = np.full(len(seg), -1)
    role[speaker == "agent"] = 0
    role[speaker == "customer"] = 1
    assumed_row = np.zeros(len(seg), dtype=bool)
    for number, name in roles_map.items():
        if name in ROLES:
            mapped = (role < 0) & has_channel & (channel == number)
            role[mapped] = ROLES.index(name)
            assumed_row |= mapped
    if "words" in seg:
        words = pd.to_numeric(seg["words"], errors="coerce").fillna(0).to_numpy(dtype=float)
    else:
        words = np.array([len(str(t or "").split()) for t in seg["text"].tolist()], dtype=float)
    seg_count = np.bincount(ci, minlength=n_calls)
    inferred = np.where(np.bincount(ci, has_channel, minlength=n_calls) > 0, 2, 1)
    if "channels" in calls:
        given = pd.to_numeric(calls["channels"], errors="coerce").to_numpy(dtype=float)
        channels = np.where(np.isnan(given), inferred, given).astype(int)
    else:
        channels = inferred
    unknown = np.bincount(ci, role < 0, minlength=n_calls) > 0
    mono = channels < 2
    ok = ~mono & ~(unknown & (seg_count > 0))
    duration = pd.to_numeric(calls["duration_seconds"], errors="coerce").fillna(0).to_numpy(dtype=float)
    v = _vectorized(
        ci,
        start,
        end,
        role,
        words,
        duration,
        min_overlap_seconds,
        backchannel_seconds,
        monologue_pause_seconds,
    )
    dur, talk = v["duration_seconds"], v["talk_seconds"]
    talk_r = np.round(talk, 3)
    frame = pd.DataFrame(
        {
            "call_id": ids,
            "duration_seconds": np.round(dur, 3),
            "channels": channels,
            "segments": seg_count,
            "words": np.bincount(ci, words, minlength=n_calls).astype(int),
            "talk_seconds": talk_r,
        }
    )
    frame["silence_seconds"] = np.round(dur - talk, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["silence_share"] = np.where(
            dur > 0, np.round((dur - talk) / np.where(dur > 0, dur, 1), 4), np.nan
        )
    frame["longest_silence_seconds"] = np.round(v["longest_silence_seconds"], 3)
    frame["longest_silence_start"] = np.round(v["longest_silence_start"], 3)
    agent, customer = v["agent_talk_seconds"], v["customer_talk_seconds"]
    with np.errstate(divide="ignore", invalid="ignore"):
        speaker_columns = {
            "agent_talk_seconds": np.round(agent, 3),
            "customer_talk_seconds": np.round(customer, 3),
            "talk_to_listen_ratio": np.where(customer > 0, np.round(agent / customer, 4), np.nan),
            "agent_talk_share": np.where(
                agent + customer > 0, np.round(agent / (agent + customer), 4), np.nan
            ),
            "overlap_count": v["overlap_count"],
            "overlap_seconds": np.round(v["overlap_seconds"], 3),
            "agent_interruptions": v["agent_interruptions"],
            "customer_interruptions": v["customer_interruptions"],
            "agent_longest_monologue_seconds": np.round(v["agent_longest_monologue_seconds"], 3),
            "customer_longest_monologue_seconds": np.round(v["customer_longest_monologue_seconds"], 3),
            "agent_words": v["agent_words"],
            "customer_words": v["customer_words"],
            "agent_words_per_minute": np.where(agent > 0, np.round(v["agent_words"] / agent * 60, 2), np.nan),
            "customer_words_per_minute": np.where(
                customer > 0, np.round(v["customer_words"] / customer * 60, 2), np.nan
            ),
            "turns": v["turns"],
            "response_time_median_seconds": np.round(v["response_time_median_seconds"], 3),
            "response_time_p90_seconds": np.round(v["response_time_p90_seconds"], 3),
            "agent_response_time_median_seconds": np.round(v["agent_response_time_median_seconds"], 3),
        }
    for name, values in speaker_columns.items():
        frame[name] = np.where(ok, values.astype(float), np.nan)
    frame["roles_assumed"] = ok & (np.bincount(ci, assumed_row, minlength=n_calls) > 0)
    frame["speaker_metrics_note"] = np.where(mono, MONO_NOTE, np.where(ok, None, NO_ROLES_NOTE))
    return frame[list(COLUMNS)]


def _group_cummax(values: Any, groups: Any) -> Any:
    import pandas as pd

    return pd.Series(values).groupby(groups, sort=False).cummax().to_numpy()


def _firsts(groups: Any) -> Any:
    """True where a row starts a new group (rows sorted by group)."""
    import numpy as np

    out = np.ones(len(groups), dtype=bool)
    if len(groups) > 1:
        out[1:] = groups[1:] != groups[:-1]
    return out


def _vectorized(
    ci: Any,
    start: Any,
    end: Any,
    role: Any,
    words: Any,
    duration: Any,
    min_overlap: float,
    backchannel: float,
    pause: float,
    join: float = 0.2,
) -> dict[str, Any]:
    """Column arrays of :func:`call_metrics` for many calls at once (numpy; same definitions).

    ``ci`` call index per segment, ``role`` 0 agent / 1 customer / -1 unknown, ``duration`` per call.
    Returns arrays indexed by call (speaker columns for every call; the caller blanks mono ones).
    """
    import numpy as np
    import pandas as pd

    calls = len(duration)
    nan = np.full(calls, np.nan)
    # --- talk and silence over all segments
    order = np.lexsort((end, start, ci))
    c, s, e = ci[order], start[order], end[order]
    last_end = np.zeros(calls)
    if len(c):
        np.maximum.at(last_end, c, e)
    duration = np.maximum(duration, last_end)
    cm = _group_cummax(e, c)
    first = _firsts(c)
    prev = np.where(first, -np.inf, np.r_[np.nan, cm[:-1]])
    talk = np.bincount(c, np.clip(e - np.maximum(s, prev), 0, None), minlength=calls)
    gap_start = np.where(first, 0.0, prev)
    gap = np.where(first, s, s - prev)
    tail_start = np.where(np.bincount(c, minlength=calls) > 0, last_end, 0.0)
    g_call = np.r_[c, np.arange(calls)]
    g_len = np.r_[gap, duration - tail_start]
    g_start = np.r_[gap_start, tail_start]
    keep = g_len > 0
    g_call, g_len, g_start = g_call[keep], g_len[keep], g_start[keep]
    pick = np.lexsort((g_start, -g_len, g_call))
    best = pick[_firsts(g_call[pick])]
    longest = np.zeros(calls)
    longest_start = nan.copy()
    longest[g_call[best]] = g_len[best]
    longest_start[g_call[best]] = g_start[best]
    out: dict[str, Any] = {
        "duration_seconds": duration,
        "talk_seconds": talk,
        "longest_silence_seconds": longest,
        "longest_silence_start": longest_start,
    }
    # --- merged intervals per (call, role)
    known = role >= 0
    g = ci[known] * 2 + role[known]
    order = np.lexsort((end[known], start[known], g))
    g, s, e, w = g[order], start[known][order], end[known][order], words[known][order]
    cm = _group_cummax(e, g)
    first = _firsts(g)
    new_run = first | (s > np.r_[-np.inf, cm[:-1]])
    run_first = np.flatnonzero(new_run)
    run_last = np.r_[run_first[1:] - 1, len(g) - 1] if len(g) else run_first
    mg, ms, me = g[run_first], s[run_first], cm[run_last] if len(g) else cm
    side_talk = np.bincount(mg, me - ms, minlength=2 * calls).reshape(calls, 2)
    side_words = np.bincount(g, w, minlength=2 * calls).reshape(calls, 2)
    out["agent_talk_seconds"], out["customer_talk_seconds"] = side_talk[:, 0], side_talk[:, 1]
    out["agent_words"], out["customer_words"] = side_words[:, 0], side_words[:, 1]
    # --- overlaps: sweep over merged interval edges (ends before starts at the same time)
    mc, mr = mg // 2, mg % 2
    ev_c = np.r_[mc, mc]
    ev_t = np.r_[ms, me]
    ev_k = np.r_[np.ones(len(ms), int), -np.ones(len(me), int)]
    ev_r = np.r_[mr, mr]
    order = np.lexsort((ev_k, ev_t, ev_c))
    ev_c, ev_t, ev_k, ev_r = ev_c[order], ev_t[order], ev_k[order], ev_r[order]
    count = np.cumsum(ev_k)
    started = pd.Series(np.where(ev_k > 0, ev_t, np.nan))
    last_start = [started.where(ev_r == r).groupby(ev_c, sort=False).ffill().to_numpy() for r in (0, 1)]
    at = np.flatnonzero(count[:-1] == 2) if len(count) else np.zeros(0, int)
    o_c, o_a, o_b = ev_c[at], ev_t[at], ev_t[at + 1]
    positive = o_b > o_a
    at, o_c, o_a, o_b = at[positive], o_c[positive], o_a[positive], o_b[positive]
    a_start, c_start = last_start[0][at], last_start[1][at]
    who = np.where(np.abs(a_start - c_start) <= 0.05, -1, np.where(a_start > c_start, 0, 1))
    join_new = _firsts(o_c) | (o_a - np.r_[-np.inf, o_b[:-1]] > join)
    j_first = np.flatnonzero(join_new)
    j_last = np.r_[j_first[1:] - 1, len(o_c) - 1] if len(o_c) else j_first
    j_c, j_a, j_b, j_who = o_c[j_first], o_a[j_first], o_b[j_last], who[j_first]
    counted = (j_b - j_a) >= min_overlap
    j_c, j_len, j_who = j_c[counted], (j_b - j_a)[counted], j_who[counted]
    out["overlap_count"] = np.bincount(j_c, minlength=calls)
    out["overlap_seconds"] = np.bincount(j_c, j_len, minlength=calls)
    out["agent_interruptions"] = np.bincount(j_c[j_who == 0], minlength=calls)
    out["customer_interruptions"] = np.bincount(j_c[j_who == 1], minlength=calls)
    # --- longest monologue: runs of a side's merged intervals (see _longest_monologue)
    scale = 10**6
    span = int(np.ceil(max(float(duration.max(initial=0.0)), float(me.max(initial=0.0))))) + 10
    key = lambda call, t: call.astype(np.int64) * (span * scale) + np.round(t * scale).astype(np.int64)  # noqa: E731
    monologue = np.zeros((calls, 2))
    for side in (0, 1):
        own = mr == side
        oc, os_, oe = mc[own], ms[own], me[own]
        other = mr == 1 - side
        xc, xs, xe = mc[other], ms[other], me[other]
        first = _firsts(oc)
        p0, p1 = np.r_[np.nan, oe[:-1]], os_
        broken = first | (p1 - p0 > pause)
        check = np.flatnonzero(~broken)
        if len(check) and len(xc):
            j0 = np.searchsorted(key(xc, xe), key(oc[check], p0[check]), side="right")
            j1 = np.searchsorted(key(xc, xs), key(oc[check], p1[check]), side="left")
            hit = np.zeros(len(check), dtype=bool)
            for k in range(int((j1 - j0).max(initial=0))):
                j = j0 + k
                valid = j < j1
                jj = np.minimum(j, len(xc) - 1)
                clip = np.minimum(xe[jj], p1[check]) - np.maximum(xs[jj], p0[check])
                hit |= valid & (clip > backchannel)
            broken[check] = hit
        r_first = np.flatnonzero(broken)
        r_last = np.r_[r_first[1:] - 1, len(oc) - 1] if len(oc) else r_first
        lengths = oe[r_last] - os_[r_first] if len(oc) else np.zeros(0)
        np.maximum.at(monologue[:, side], oc[r_first], lengths)
    out["agent_longest_monologue_seconds"] = monologue[:, 0]
    out["customer_longest_monologue_seconds"] = monologue[:, 1]
    # --- turns and response times
    kc, ks, ke, kr = ci[known], start[known], end[known], role[known]
    order = np.lexsort((kr, ke, ks, kc))
    kc, ks, ke, kr = kc[order], ks[order], ke[order], kr[order]
    new_turn = _firsts(kc) | (kr != np.r_[-1, kr[:-1]])
    t_first = np.flatnonzero(new_turn)
    t_c, t_s, t_r = kc[t_first], ks[t_first], kr[t_first]
    t_e = np.maximum.reduceat(ke, t_first) if len(t_first) else np.zeros(0)
    out["turns"] = np.bincount(t_c, minlength=calls)
    follows = ~_firsts(t_c)
    wait = np.maximum(0.0, t_s - np.r_[np.nan, t_e[:-1]])[follows]
    w_c, w_r = t_c[follows], t_r[follows]
    waits = pd.Series(wait).groupby(w_c)
    for name, q in (("response_time_median_seconds", 0.5), ("response_time_p90_seconds", 0.9)):
        column = nan.copy()
        if len(wait):
            result = waits.quantile(q)
            column[result.index.to_numpy()] = result.to_numpy()
        out[name] = column
    column = nan.copy()
    if (w_r == 0).any():
        result = pd.Series(wait[w_r == 0]).groupby(w_c[w_r == 0]).quantile(0.5)
        column[result.index.to_numpy()] = result.to_numpy()
    out["agent_response_time_median_seconds"] = column
    return out
