"""Interval algebra on ``[start, end)`` stretches of a call, in seconds from the start of the recording.

Every talk and silence metric is built from these: a speaker's talk is the :func:`union` of its segments,
silence the :func:`gaps` between them, an overlap the :func:`intersect` of two speakers' talk. Plus the
percentile the response-time metrics use. Pure Python; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: ``(start, end)`` in seconds, end exclusive
Interval = tuple[float, float]


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, merged ``[start, end)`` intervals (touching ones merged); empty ones dropped.

    ``intervals`` in any order, seconds. Returns a new list sorted by start, no two overlapping or touching.
    """
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
    """Summed length in seconds of ``intervals``; merge them with :func:`union` first to count overlaps
    once."""
    return sum(b - a for a, b in intervals)


def gaps(intervals: Sequence[Interval], start: float, end: float) -> list[Interval]:
    """The parts of ``[start, end)`` not covered by merged ``intervals`` (silences), in order, none empty."""
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
    """Intersection of two merged interval lists (two-pointer sweep), sorted, in seconds."""
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


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) of an already sorted, non-empty sequence, by linear interpolation
    between the closest ranks (numpy's and pandas' default method); IndexError when it is empty."""
    position = (len(sorted_values) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)
