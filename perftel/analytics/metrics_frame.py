"""The ``call_metrics`` table of many calls at once: :func:`call_metrics_frame`, vectorised with numpy.

The same definitions as :func:`perftel.analytics.metrics.call_metrics` (the formulas live in
:mod:`~perftel.analytics.talk_time`, :mod:`~perftel.analytics.dead_air`,
:mod:`~perftel.analytics.interruptions`, :mod:`~perftel.analytics.monologue`,
:mod:`~perftel.analytics.speech_rate` and :mod:`~perftel.analytics.turn_taking`, each in a scalar and an
array version), so the values equal ``call_metrics`` call by call. numpy and pandas are imported when
called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from perftel.analytics.dead_air import dead_air_arrays, silence_share_array
from perftel.analytics.interruptions import MIN_OVERLAP_SECONDS, overlap_arrays
from perftel.analytics.monologue import BACKCHANNEL_SECONDS, MONOLOGUE_PAUSE_SECONDS, longest_monologue_arrays
from perftel.analytics.segments import MONO_NOTE, NO_ROLES_NOTE, channel_array, role_codes, word_count_array
from perftel.analytics.speech_rate import words_per_minute_array
from perftel.analytics.talk_time import agent_talk_share_array, side_talk, talk_to_listen_ratio_array
from perftel.analytics.turn_taking import turn_arrays


def call_metrics_frame(
    segments: Any,
    calls: Any,
    *,
    channel_roles: Mapping[int, str] | None = None,
    min_overlap_seconds: float = MIN_OVERLAP_SECONDS,
    backchannel_seconds: float = BACKCHANNEL_SECONDS,
    monologue_pause_seconds: float = MONOLOGUE_PAUSE_SECONDS,
) -> Any:
    """Metrics of many calls as a ``call_metrics`` DataFrame (one row per call in ``calls``, same order).

    ``segments``: DataFrame with ``call_id``, ``start``, ``end`` (seconds), ``channel``, ``speaker`` and
    ``words`` (a count) or ``text``; segments of calls not in ``calls`` are ignored. ``calls``: DataFrame
    with ``call_id``, ``duration_seconds`` and optionally ``channels`` (else inferred from the
    segments). Returns the columns of :data:`perftel.analytics.metrics.COLUMNS`, in order. A call without
    segments gets zero talk. Vectorised (numpy over all calls at once); the values equal
    :func:`~perftel.analytics.metrics.call_metrics` call by call. Numbers that are not available are NaN
    here (None in :class:`~perftel.analytics.metrics.CallMetrics`). Raises KeyError when a needed
    column is missing.
    """
    import numpy as np
    import pandas as pd

    from perftel.analytics.metrics import COLUMNS

    ids = calls["call_id"].to_numpy()
    n_calls = len(ids)
    ci = pd.Index(ids).get_indexer(segments["call_id"].to_numpy())
    inside = ci >= 0
    seg = segments[inside]
    ci = ci[inside]
    start = np.maximum(seg["start"].to_numpy(dtype=float), 0.0)
    end = np.maximum(seg["end"].to_numpy(dtype=float), 0.0)
    channel = channel_array(seg)
    role, assumed_row = role_codes(seg, channel, channel_roles)
    words = word_count_array(seg)
    seg_count = np.bincount(ci, minlength=n_calls)
    inferred = np.where(np.bincount(ci, ~np.isnan(channel), minlength=n_calls) > 0, 2, 1)
    if "channels" in calls:
        given = pd.to_numeric(calls["channels"], errors="coerce").to_numpy(dtype=float)
        channels = np.where(np.isnan(given), inferred, given).astype(int)
    else:
        channels = inferred
    unknown = np.bincount(ci, role < 0, minlength=n_calls) > 0
    mono = channels < 2
    ok = ~mono & ~(unknown & (seg_count > 0))
    duration = pd.to_numeric(calls["duration_seconds"], errors="coerce").fillna(0).to_numpy(dtype=float)

    air = dead_air_arrays(ci, start, end, duration)
    dur, talk = air["duration_seconds"], air["talk_seconds"]
    frame = pd.DataFrame(
        {
            "call_id": ids,
            "duration_seconds": np.round(dur, 3),
            "channels": channels,
            "segments": seg_count,
            "words": np.bincount(ci, words, minlength=n_calls).astype(int),
            "talk_seconds": np.round(talk, 3),
        }
    )
    frame["silence_seconds"] = np.round(dur - talk, 3)
    frame["silence_share"] = silence_share_array(dur - talk, dur)
    frame["longest_silence_seconds"] = np.round(air["longest_silence_seconds"], 3)
    frame["longest_silence_start"] = np.round(air["longest_silence_start"], 3)

    sides = side_talk(ci, start, end, role, words, n_calls)
    agent, customer = sides.seconds[:, 0], sides.seconds[:, 1]
    agent_words, customer_words = sides.words[:, 0], sides.words[:, 1]
    overlap = overlap_arrays(sides, n_calls, min_overlap_seconds)
    monologue = longest_monologue_arrays(sides, dur, backchannel_seconds, monologue_pause_seconds)
    turns = turn_arrays(ci, start, end, role, n_calls)
    speaker_columns = {
        "agent_talk_seconds": np.round(agent, 3),
        "customer_talk_seconds": np.round(customer, 3),
        "talk_to_listen_ratio": talk_to_listen_ratio_array(agent, customer),
        "agent_talk_share": agent_talk_share_array(agent, customer),
        "overlap_count": overlap["overlap_count"],
        "overlap_seconds": np.round(overlap["overlap_seconds"], 3),
        "agent_interruptions": overlap["agent_interruptions"],
        "customer_interruptions": overlap["customer_interruptions"],
        "agent_longest_monologue_seconds": np.round(monologue[:, 0], 3),
        "customer_longest_monologue_seconds": np.round(monologue[:, 1], 3),
        "agent_words": agent_words,
        "customer_words": customer_words,
        "agent_words_per_minute": words_per_minute_array(agent_words, agent),
        "customer_words_per_minute": words_per_minute_array(customer_words, customer),
        "turns": turns["turns"],
        "response_time_median_seconds": np.round(turns["response_time_median_seconds"], 3),
        "response_time_p90_seconds": np.round(turns["response_time_p90_seconds"], 3),
        "agent_response_time_median_seconds": np.round(turns["agent_response_time_median_seconds"], 3),
    }
    for name, values in speaker_columns.items():
        frame[name] = np.where(ok, values.astype(float), np.nan)
    frame["roles_assumed"] = ok & (np.bincount(ci, assumed_row, minlength=n_calls) > 0)
    frame["speaker_metrics_note"] = np.where(mono, MONO_NOTE, np.where(ok, None, NO_ROLES_NOTE))
    return frame[list(COLUMNS)]
