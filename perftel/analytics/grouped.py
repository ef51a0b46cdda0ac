"""numpy helpers for rows sorted by a group key (a call, or a call and speaker): where each group or run
starts and ends, and running maxima within a group. Used by the vectorised metrics of
:func:`perftel.analytics.metrics_frame.call_metrics_frame`; numpy and pandas are imported when called.
"""

from __future__ import annotations

from typing import Any


def firsts(groups: Any) -> Any:
    """Boolean array, True where a row starts a new group (``groups``: 1-d array sorted by group)."""
    import numpy as np

    out = np.ones(len(groups), dtype=bool)
    if len(groups) > 1:
        out[1:] = groups[1:] != groups[:-1]
    return out


def run_lasts(run_firsts: Any, rows: int) -> Any:
    """Index of each run's last row, given the index of each run's first row (sorted) and the row count."""
    import numpy as np

    return np.r_[run_firsts[1:] - 1, rows - 1] if rows else run_firsts


def group_cummax(values: Any, groups: Any) -> Any:
    """Running maximum of ``values`` within each group of ``groups`` (same length, rows sorted by group)."""
    import pandas as pd

    return pd.Series(values).groupby(groups, sort=False).cummax().to_numpy()
