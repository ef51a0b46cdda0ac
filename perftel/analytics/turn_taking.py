"""Turns and response times.

Turns: the segments of known speakers ordered by start, consecutive segments of the same speaker merged;
their count (A, B, A = 3 turns). Response time: at each change of turn, the new speaker's start minus the
previous turn's end in seconds, clipped at 0 (an interruption answers in 0 s); the call's median and
90th percentile (linear interpolation, numpy's default), and the median over the agent's answers to the
customer only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from perftel.analytics.grouped import firsts
from perftel.analytics.intervals import Interval, percentile


class Turn(NamedTuple):
    """One turn: ``start`` and ``end`` in seconds from the start of the call, and its ``speaker``."""

    start: float
    end: float
    speaker: str


class ResponseTimes(NamedTuple):
    """A call's response times in seconds (None with no change of turn / no agent answer), rounded to ms."""

    median_seconds: float | None
    p90_seconds: float | None
    agent_median_seconds: float | None


def turns(talk: Mapping[str, Sequence[Interval]]) -> list[Turn]:
    """The turns of a call, in order, from each speaker's segment intervals (``talk``: speaker →
    ``(start, end)`` seconds, any order)."""
    order = sorted((start, end, speaker) for speaker, intervals in talk.items() for start, end in intervals)
    merged: list[list[Any]] = []
    for start, end, speaker in order:
        if merged and merged[-1][2] == speaker:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, speaker])
    return [Turn(*turn) for turn in merged]


def response_times(call_turns: Sequence[Turn]) -> ResponseTimes:
    """Median and 90th percentile of the waits between ``call_turns`` (see the module docstring), and the
    median of the agent's."""
    waits: list[float] = []
    agent_waits: list[float] = []
    for previous, current in zip(call_turns, call_turns[1:], strict=False):
        wait = max(0.0, current.start - previous.end)
        waits.append(wait)
        if current.speaker == "agent":
            agent_waits.append(wait)
    waits.sort()
    agent_waits.sort()
    return ResponseTimes(
        round(percentile(waits, 0.5), 3) if waits else None,
        round(percentile(waits, 0.9), 3) if waits else None,
        round(percentile(agent_waits, 0.5), 3) if agent_waits else None,
    )


def turn_arrays(call: Any, start: Any, end: Any, role: Any, calls: int) -> dict[str, Any]:
    """Turns and response times of many calls at once (the same definitions).

    Arrays with one entry per segment: ``call`` index, ``start``/``end`` seconds, ``role`` (0 agent,
    1 customer, -1 unknown: left out); ``calls``: how many calls. Returns arrays indexed by call, NaN
    where there is no wait, under the keys ``turns``, ``response_time_median_seconds``,
    ``response_time_p90_seconds`` and ``agent_response_time_median_seconds`` (not rounded).
    """
    import numpy as np
    import pandas as pd

    known = role >= 0
    kc, ks, ke, kr = call[known], start[known], end[known], role[known]
    order = np.lexsort((kr, ke, ks, kc))
    kc, ks, ke, kr = kc[order], ks[order], ke[order], kr[order]
    new_turn = firsts(kc) | (kr != np.r_[-1, kr[:-1]])
    t_first = np.flatnonzero(new_turn)
    t_c, t_s, t_r = kc[t_first], ks[t_first], kr[t_first]
    t_e = np.maximum.reduceat(ke, t_first) if len(t_first) else np.zeros(0)
    out: dict[str, Any] = {"turns": np.bincount(t_c, minlength=calls)}
    follows = ~firsts(t_c)
    wait = np.maximum(0.0, t_s - np.r_[np.nan, t_e[:-1]])[follows]
    w_c, w_r = t_c[follows], t_r[follows]

    def quantile_per_call(values: Any, groups: Any, q: float) -> Any:
        column = np.full(calls, np.nan)
        if len(values):
            result = pd.Series(values).groupby(groups).quantile(q)
            column[result.index.to_numpy()] = result.to_numpy()
        return column

    out["response_time_median_seconds"] = quantile_per_call(wait, w_c, 0.5)
    out["response_time_p90_seconds"] = quantile_per_call(wait, w_c, 0.9)
    agent = w_r == 0
    out["agent_response_time_median_seconds"] = quantile_per_call(wait[agent], w_c[agent], 0.5)
    return out
