"""The longest monologue of each speaker (Gong's "longest monologue",
https://help.gong.io/hc/en-us/articles/10598977885453-Analyze-team-performance).

A monologue runs from the start of one of the speaker's stretches of talk to the end of a later one,
such that in each of its pauses the other speaker talks for at most ``backchannel_seconds`` (default
:data:`BACKCHANNEL_SECONDS`: a short "mm-hm" does not end a monologue) and no pause is longer than
``monologue_pause_seconds`` (default :data:`MONOLOGUE_PAUSE_SECONDS`). Talk *over* the speaker is an
overlap, not the end of a monologue. All times in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from perftel.analytics.grouped import firsts, run_lasts
from perftel.analytics.intervals import Interval
from perftel.analytics.talk_time import SideTalk

#: the other speaker's talk inside a pause up to this long does not end a monologue, seconds
BACKCHANNEL_SECONDS = 1.0
#: a pause longer than this ends a monologue, seconds
MONOLOGUE_PAUSE_SECONDS = 3.0


def longest_monologue(
    own: Sequence[Interval],
    other: Sequence[Interval],
    backchannel_seconds: float = BACKCHANNEL_SECONDS,
    monologue_pause_seconds: float = MONOLOGUE_PAUSE_SECONDS,
) -> float:
    """Seconds of the longest monologue in ``own`` talk, given the ``other`` speaker's talk (both merged
    interval lists, see :func:`~perftel.analytics.intervals.union`); 0.0 with no talk."""
    best = 0.0
    run_start: float | None = None
    run_end = 0.0
    j = 0
    for a, b in own:
        if run_start is not None:
            broken = a - run_end > monologue_pause_seconds
            if not broken:  # the other speaker's talk inside the pause between run_end and a
                while j < len(other) and other[j][1] <= run_end:
                    j += 1
                k = j
                while k < len(other) and other[k][0] < a:
                    if min(other[k][1], a) - max(other[k][0], run_end) > backchannel_seconds:
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


def longest_monologue_arrays(
    talk: SideTalk,
    duration: Any,
    backchannel_seconds: float = BACKCHANNEL_SECONDS,
    monologue_pause_seconds: float = MONOLOGUE_PAUSE_SECONDS,
) -> Any:
    """:func:`longest_monologue` of both sides of many calls at once.

    ``talk``: the merged talk of every (call, side) (:func:`~perftel.analytics.talk_time.side_talk`);
    ``duration``: seconds per call (at least the last segment's end). Returns an array of shape
    (calls, 2): seconds, column 0 the agent, 1 the customer.
    """
    import numpy as np

    calls = len(duration)
    # one sortable key per (call, time): the call's number, then the time in microseconds
    scale = 10**6
    span = int(np.ceil(max(float(duration.max(initial=0.0)), float(talk.end.max(initial=0.0))))) + 10

    def key(call: Any, seconds: Any) -> Any:
        return call.astype(np.int64) * (span * scale) + np.round(seconds * scale).astype(np.int64)

    monologue = np.zeros((calls, 2))
    for side in (0, 1):
        own = talk.side == side
        oc, os_, oe = talk.call[own], talk.start[own], talk.end[own]
        other = talk.side == 1 - side
        xc, xs, xe = talk.call[other], talk.start[other], talk.end[other]
        p0, p1 = np.r_[np.nan, oe[:-1]], os_
        broken = firsts(oc) | (p1 - p0 > monologue_pause_seconds)
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
                hit |= valid & (clip > backchannel_seconds)
            broken[check] = hit
        r_first = np.flatnonzero(broken)
        lengths = oe[run_lasts(r_first, len(oc))] - os_[r_first] if len(oc) else np.zeros(0)
        np.maximum.at(monologue[:, side], oc[r_first], lengths)
    return monologue
