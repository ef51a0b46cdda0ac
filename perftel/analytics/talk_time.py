"""Talk time per speaker, the talk-to-listen ratio and the agent's talk share.

A speaker's talk time is the union of its segments' ``[start, end)`` intervals in seconds (Amazon
Transcribe Call Analytics' "talk time" per participant,
https://docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html). The talk-to-listen ratio is
``agent / customer`` talk time (1.0 = equal); the agent's talk share is ``agent / (agent + customer)``,
Gong's "talk ratio" (0.43 = the agent spoke 43 % of the talk time; silence is in neither term;
https://help.gong.io/hc/en-us/articles/10598977885453-Analyze-team-performance).

Scalar formulas return None where the denominator is 0; the ``*_array`` ones NaN. :func:`side_talk`
merges each (call, speaker)'s segments for the vectorised metrics (numpy imported when called).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from perftel.analytics.grouped import firsts, group_cummax, run_lasts


def talk_to_listen_ratio(agent_seconds: float, customer_seconds: float) -> float | None:
    """``agent_seconds / customer_seconds`` rounded to 4 places; None when the customer never speaks."""
    return round(agent_seconds / customer_seconds, 4) if customer_seconds > 0 else None


def agent_talk_share(agent_seconds: float, customer_seconds: float) -> float | None:
    """``agent_seconds / (agent_seconds + customer_seconds)`` rounded to 4 places; None with no talk."""
    both = agent_seconds + customer_seconds
    return round(agent_seconds / both, 4) if both > 0 else None


def talk_to_listen_ratio_array(agent_seconds: Any, customer_seconds: Any) -> Any:
    """:func:`talk_to_listen_ratio` of arrays (NaN where the customer never speaks)."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(customer_seconds > 0, np.round(agent_seconds / customer_seconds, 4), np.nan)


def agent_talk_share_array(agent_seconds: Any, customer_seconds: Any) -> Any:
    """:func:`agent_talk_share` of arrays (NaN with no talk)."""
    import numpy as np

    both = agent_seconds + customer_seconds
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(both > 0, np.round(agent_seconds / both, 4), np.nan)


class SideTalk(NamedTuple):
    """The merged talk of each (call, speaker) of many calls, from :func:`side_talk`.

    ``call``, ``side`` (0 agent, 1 customer), ``start``, ``end`` (seconds): one entry per merged stretch
    of talk, sorted by call, side and start. ``seconds`` and ``words``: arrays of shape (calls, 2), talk
    time and words per call and side.
    """

    call: Any
    side: Any
    start: Any
    end: Any
    seconds: Any
    words: Any


def side_talk(call: Any, start: Any, end: Any, role: Any, words: Any, calls: int) -> SideTalk:
    """Merge the segments of each (call, role) into stretches of talk (see :class:`SideTalk`).

    Arrays with one entry per segment: ``call`` index, ``start``/``end`` seconds, ``role`` (0 agent,
    1 customer, -1 unknown: left out), ``words``; ``calls``: how many calls.
    """
    import numpy as np

    known = role >= 0
    g = call[known] * 2 + role[known]
    order = np.lexsort((end[known], start[known], g))
    g, s, e, w = g[order], start[known][order], end[known][order], words[known][order]
    cm = group_cummax(e, g)
    new_run = firsts(g) | (s > np.r_[-np.inf, cm[:-1]])
    run_first = np.flatnonzero(new_run)
    mg, ms, me = g[run_first], s[run_first], cm[run_lasts(run_first, len(g))]
    seconds = np.bincount(mg, me - ms, minlength=2 * calls).reshape(calls, 2)
    side_words = np.bincount(g, w, minlength=2 * calls).reshape(calls, 2)
    return SideTalk(mg // 2, mg % 2, ms, me, seconds, side_words)
