"""Overlaps (agent and customer talking at once) and who interrupted whom.

An overlap is a stretch where both speakers' talk intersects; stretches closer than
:data:`JOIN_SECONDS` are one overlap, and only overlaps at least ``min_overlap_seconds`` long count
(default :data:`MIN_OVERLAP_SECONDS`, so word-time jitter of the transcript is not an overlap). The
interrupter is the speaker whose stretch of talk *started while the other was already speaking* (Amazon
Transcribe Call Analytics: "one participant cuts off the other participant midsentence",
https://docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html); when both started within
:data:`SAME_START_SECONDS` nobody is credited. All times in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from perftel.analytics.grouped import firsts, run_lasts
from perftel.analytics.intervals import Interval, intersect, union
from perftel.analytics.talk_time import SideTalk

#: shortest overlap that counts, seconds
MIN_OVERLAP_SECONDS = 0.3
#: overlaps at most this far apart are one, seconds
JOIN_SECONDS = 0.2
#: both speakers starting at most this far apart started together: no interrupter, seconds
SAME_START_SECONDS = 0.05


@dataclass(frozen=True)
class Overlap:
    """Agent and customer talking at once over ``[start, end)`` (seconds from the start of the call);
    ``interrupter`` started while the other was speaking ("agent", "customer" or None when both started
    together)."""

    start: float
    end: float
    interrupter: str | None

    @property
    def seconds(self) -> float:
        """Length of the overlap in seconds."""
        return self.end - self.start


def overlaps(
    speaker_segments: Mapping[str, Sequence[Interval]],
    *,
    min_overlap_seconds: float = MIN_OVERLAP_SECONDS,
    join_seconds: float = JOIN_SECONDS,
) -> list[Overlap]:
    """The counted overlaps between the "agent" and "customer" entries of ``speaker_segments`` (raw,
    unmerged lists of ``(start, end)`` seconds; a missing key is no talk), in order of time."""
    agent = union(speaker_segments.get("agent", ()))
    customer = union(speaker_segments.get("customer", ()))
    joined: list[list[float]] = []
    for a, b in intersect(agent, customer):
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
        if abs(agent_start - customer_start) <= SAME_START_SECONDS:
            who = None
        else:
            who = "agent" if agent_start > customer_start else "customer"
        out.append(Overlap(a, b, who))
    return out


def overlap_arrays(
    talk: SideTalk,
    calls: int,
    min_overlap_seconds: float = MIN_OVERLAP_SECONDS,
    join_seconds: float = JOIN_SECONDS,
) -> dict[str, Any]:
    """:func:`overlaps` of many calls at once, counted per call.

    ``talk``: the merged talk of every (call, side) (:func:`~perftel.analytics.talk_time.side_talk`);
    ``calls``: how many calls. Returns arrays indexed by call under the keys ``overlap_count``,
    ``overlap_seconds``, ``agent_interruptions`` and ``customer_interruptions``.
    """
    import numpy as np
    import pandas as pd

    # sweep over the merged intervals' edges (ends before starts at the same time)
    ev_c = np.r_[talk.call, talk.call]
    ev_t = np.r_[talk.start, talk.end]
    ev_k = np.r_[np.ones(len(talk.start), int), -np.ones(len(talk.end), int)]
    ev_r = np.r_[talk.side, talk.side]
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
    who = np.where(np.abs(a_start - c_start) <= SAME_START_SECONDS, -1, np.where(a_start > c_start, 0, 1))
    join_new = firsts(o_c) | (o_a - np.r_[-np.inf, o_b[:-1]] > join_seconds)
    j_first = np.flatnonzero(join_new)
    j_last = run_lasts(j_first, len(o_c))
    j_c, j_a, j_b, j_who = o_c[j_first], o_a[j_first], o_b[j_last], who[j_first]
    counted = (j_b - j_a) >= min_overlap_seconds
    j_c, j_len, j_who = j_c[counted], (j_b - j_a)[counted], j_who[counted]
    return {
        "overlap_count": np.bincount(j_c, minlength=calls),
        "overlap_seconds": np.bincount(j_c, j_len, minlength=calls),
        "agent_interruptions": np.bincount(j_c[j_who == 0], minlength=calls),
        "customer_interruptions": np.bincount(j_c[j_who == 1], minlength=calls),
    }
