"""Tables an analyst reads: local times with the zone named, durations as m:ss, shares as percentages,
yes/no, no index; sortable and paged (``itables``) when shown in a notebook or report.

Each ``*_view`` takes the plain tables of :mod:`perftel.notebook.charts` (UTC timestamps, seconds,
booleans, shares 0–1) and returns a new DataFrame of display strings; the inputs are not changed::

    show_table(calls_view(calls, "America/Sao_Paulo"))
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pandas as pd

#: rows shown per page before a table is paged
PAGE = 15
#: what a table shows for a value that does not exist
NOT_AVAILABLE = "–"
_ITABLES_READY = False


def clock(seconds: float | None, *, floor: bool = False) -> str:
    """A duration in seconds as ``m:ss`` (``h:mm:ss`` from one hour), rounded to the nearest second, or
    with ``floor`` the second it is in (as a media player counts); "–" for None, NaN or pandas' NA.

    >>> clock(55.6), clock(816), clock(3725), clock(19.5, floor=True)
    ('0:56', '13:36', '1:02:05', '0:19')
    """
    if seconds is None or pd.isna(seconds):
        return NOT_AVAILABLE
    whole = int(math.floor(float(seconds))) if floor else int(round(float(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(share: float | None) -> str:
    """A share 0–1 as a whole percentage ("45%"); "–" for None, NaN or pandas' NA."""
    if share is None or pd.isna(share):
        return NOT_AVAILABLE
    return f"{float(share):.0%}"


def decimal(value: float | None, digits: int) -> str:
    """A number with ``digits`` decimals ("1.25" for 1.2468 and 2); "–" for None, NaN or pandas' NA."""
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{float(value):.{digits}f}"


def yes_no(value: object) -> str:
    """True → "yes", False → "no", missing → "–"."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "yes" if bool(value) else "no"


def zone_name(tz: str | ZoneInfo | None) -> str:
    """The IANA name of a zone ("UTC" for None)."""
    return getattr(tz, "key", None) or (str(tz) if tz else "UTC")


def local_times(stamps: pd.Series, tz: str | ZoneInfo | None, fmt: str = "%Y-%m-%d %H:%M") -> pd.Series:
    """UTC timestamps as local wall-clock text in ``tz`` (an IANA name); "–" where missing."""
    local = pd.to_datetime(stamps, utc=True).dt.tz_convert(zone_name(tz))
    return local.dt.strftime(fmt).fillna("–")


def started_column(tz: str | ZoneInfo | None) -> str:
    """The header of a local start time, naming the zone: ``Started (America/Sao_Paulo)``."""
    return f"Started ({zone_name(tz)})"


def _direction(value: object) -> str:
    return str(value).capitalize() if isinstance(value, str) and value else "–"


def _excerpt(text: object, limit: int | None) -> str:
    text = str(text or "").strip() or "(no speech)"
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def calls_view(calls: pd.DataFrame, tz: str | ZoneInfo | None) -> pd.DataFrame:
    """One row per call: local start, direction, answered, duration (m:ss), agent, customer's number."""
    frame = calls.sort_values("started_at", kind="stable")
    inbound = frame["direction"] == "INBOUND"
    customer = frame["caller_number"].where(inbound, frame["callee_number"]).fillna("")
    return pd.DataFrame(
        {
            started_column(tz): local_times(frame["started_at"], tz).to_numpy(),
            "Direction": frame["direction"].map(_direction).to_numpy(),
            "Answered": frame["answered"].map(yes_no).to_numpy(),
            "Duration": frame["duration_seconds"].map(clock).to_numpy(),
            "Agent": frame["agents"].fillna("").to_numpy(),
            "Customer": customer.to_numpy(),
        }
    )


def transcripts_view(
    transcripts: pd.DataFrame, tz: str | ZoneInfo | None, *, excerpt: int | None = 160
) -> pd.DataFrame:
    """One row per transcribed recording: local start, direction, answered, duration, agent, language,
    transcript (cut to ``excerpt`` characters; ``None``: whole)."""
    frame = transcripts
    return pd.DataFrame(
        {
            started_column(tz): local_times(frame["started_at"], tz).to_numpy(),
            "Direction": frame["direction"].map(_direction).to_numpy(),
            "Answered": frame["answered"].map(yes_no).to_numpy(),
            "Duration": frame["duration_seconds"].map(clock).to_numpy(),
            "Agent": frame["agents"].fillna("").to_numpy(),
            "Language": frame["language"].fillna("").to_numpy(),
            "Transcript": frame["text"].map(lambda t: _excerpt(t, excerpt)).to_numpy(),
        }
    )


def talk_view(talk: pd.DataFrame) -> pd.DataFrame:
    """Talk time per agent / channel: who, talk time (m:ss), calls, share of all speech."""
    return pd.DataFrame(
        {
            "Agent / channel": talk["who"].to_numpy(),
            "Talk time": talk["talk_seconds"].map(clock).to_numpy(),
            "Calls": talk["calls"].astype(int).to_numpy(),
            "Share of speech": talk["share"].map(percent).to_numpy(),
        }
    )


def show_table(frame: pd.DataFrame, *, caption: str | None = None, page: int = PAGE, empty: str = "") -> None:
    """Show a display table in a notebook: no index, sortable, paged past ``page`` rows (itables, loaded
    offline once per kernel, so an exported report needs no internet). ``empty``: the sentence shown
    instead of an empty table."""
    from IPython.display import HTML, display

    if frame.empty:
        display(HTML(f"<p class='perftel-empty'><i>{empty or 'Nothing to show.'}</i></p>"))
        return
    import itables

    global _ITABLES_READY
    if not _ITABLES_READY:
        itables.init_notebook_mode(all_interactive=False, connected=False)
        _ITABLES_READY = True
    itables.show(
        frame,
        caption=caption,
        showIndex=False,
        paging=len(frame) > page,
        pageLength=page,
        lengthMenu=[page, 50, 100],
        classes="display compact",
        allow_html=False,
        order=[],
        columnDefs=[{"className": "dt-left", "targets": "_all"}],  # text reads from the left
    )
