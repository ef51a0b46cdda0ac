"""Conversation views: the agent scorecard, metric charts, a call timeline with transcript and player.

DataFrames in, tables/figures/widgets out. The four tables (columns; times in seconds from the start of
the recording unless said otherwise):

``calls``
    one row per call: ``call_id``, ``recording_id``, ``started_at`` (UTC, tz-aware), ``agent`` (name or
    extension; "(unknown)" when the provider does not say), ``direction``, ``duration_seconds`` (of the
    recording), ``channels`` (1 mono, 2 agent/customer), ``audio_path`` (the recording on disk or None).
``segments``
    one row per transcript segment: ``call_id``, ``start``, ``end`` (seconds), ``channel`` (None/NaN for
    mono), ``speaker`` ("agent", "customer", "channel N" or None), ``text``, ``words`` (a count).
``call_metrics``
    :data:`perftel.analytics.COLUMNS` (see :mod:`perftel.analytics.metrics` for every formula).
``tracker_hits``
    :data:`perftel.analytics.HIT_COLUMNS`: ``call_id``, ``tracker``, ``phrase``, ``speaker``, ``channel``,
    ``start_seconds``, ``matched_text``.

:func:`load_conversations` builds them from the transcripts on disk (metrics computed now, with
:mod:`perftel.analytics`); a dataset that already holds ``call_metrics`` and ``tracker_hits`` can hand its
tables to every other function instead.

The timeline (:func:`timeline_figure`) draws one lane per speaker (one "mono" lane when the call has one
channel), each segment as a bar from ``start`` to ``end``; overlaps (:func:`perftel.analytics.overlaps`,
the same rule as the metrics) as red bands; silences of at least ``dead_air_seconds`` and the call's
longest silence (the metrics' dead air) as grey bands; tracker hits as diamonds on the speaker's lane.
:class:`CallTimeline` puts it beside the transcript and an HTML5 ``<audio>`` element: a click on a
transcript line, or :meth:`CallTimeline.seek`, plays from that moment.
"""

from __future__ import annotations

import base64
import contextlib
import html
import math
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown, display
from plotly.subplots import make_subplots

from perftel import dates
from perftel.analytics import COLUMNS, HIT_COLUMNS, MONO_NOTE, call_metrics_frame, overlaps, scorecard
from perftel.analytics.metrics import DEFAULT_CHANNEL_ROLES, ROLES, gaps, missing, union
from perftel.notebook.common import guarded

CALL_COLUMNS = [
    "call_id",
    "recording_id",
    "started_at",
    "agent",
    "direction",
    "duration_seconds",
    "channels",
    "audio_path",
]
SEGMENT_COLUMNS = ["call_id", "start", "end", "channel", "speaker", "text", "words"]
LANE_COLOURS = {"agent": "#1f77b4", "customer": "#2ca02c", "mono": "#7f7f7f"}
TRACKER_COLOURS = ["#ff7f0e", "#9467bd", "#e377c2", "#bcbd22", "#17becf", "#8c564b"]
OVERLAP_COLOUR = "rgba(214,39,40,0.30)"
SILENCE_COLOUR = "rgba(127,127,127,0.22)"
NOT_AVAILABLE = "–"
#: audio files larger than this are not embedded in the notebook (bytes)
MAX_EMBED_BYTES = 25_000_000
_AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".m4a": "audio/mp4"}
_CELL = "text-align:left;vertical-align:top;padding:2px 6px"


def clock(seconds: float | None, *, floor: bool = False) -> str:
    """Seconds as ``m:ss`` (``h:mm:ss`` from an hour); "–" for None/NaN. 75.4 → "1:15"."""
    if seconds is None or missing(seconds):
        return NOT_AVAILABLE
    whole = int(math.floor(float(seconds))) if floor else int(round(float(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _pct(value: Any) -> str:
    return NOT_AVAILABLE if value is None or missing(value) else f"{float(value):.0%}"


def _num(value: Any, digits: int) -> str:
    return NOT_AVAILABLE if value is None or missing(value) else f"{float(value):.{digits}f}"


# -- loading ---------------------------------------------------------------------------------------
@dataclass
class ConversationTables:
    """The four tables of the module docstring, and where the trackers came from."""

    calls: pd.DataFrame
    segments: pd.DataFrame
    call_metrics: pd.DataFrame
    tracker_hits: pd.DataFrame
    trackers_source: str = ""
    trackers: list[str] = field(default_factory=list)

    def subset(self, call_ids: Any) -> ConversationTables:
        """Only the calls whose ``call_id`` is in ``call_ids`` (any iterable), and their rows in the others."""
        ids = set(call_ids)
        return ConversationTables(
            self.calls[self.calls["call_id"].isin(ids)].reset_index(drop=True),
            self.segments[self.segments["call_id"].isin(ids)].reset_index(drop=True),
            self.call_metrics[self.call_metrics["call_id"].isin(ids)].reset_index(drop=True),
            self.tracker_hits[self.tracker_hits["call_id"].isin(ids)].reset_index(drop=True),
            self.trackers_source,
            list(self.trackers),
        )

    def between(self, start: Any = None, end: Any = None, *, tz: Any = None) -> ConversationTables:
        """Only the calls whose local day (``tz``) is in ``[start, end]``, and their rows in the others."""
        keep = dates.in_range(self.calls["started_at"], start, end, tz=tz).to_numpy()
        return self.subset(self.calls.loc[keep, "call_id"])


def load_conversations(
    company: str,
    data_dir: str | Path | None = None,
    *,
    trackers: Any | None = None,
    snap: bool = True,
    use_dataset: bool = True,
) -> ConversationTables:
    """The company's transcribed calls as :class:`ConversationTables`, metrics and hits computed now.

    ``trackers``: a :class:`perftel.analytics.TrackerSet`; default the company's ``trackers.toml``, or the
    shipped example when it has none (``trackers_source`` says which). ``snap``: move segment edges to the
    speech energy of the recording when it is on disk (:func:`perftel.analytics.timing.snap_to_speech`),
    so talk, silence and overlaps are exact; the timeline then shows the same, snapped, times.
    One recording per call (the first transcribed one). Raises ConfigError for a bad trackers file.

    ``use_dataset`` (default): when the company has a dataset (:func:`perftel.open_dataset`), bring it up
    to date and read its ``call_metrics`` (snapped when the transcript was written, see
    :mod:`perftel.analytics.tables`), ``segments`` and the current trackers' hits from it; with ``snap`` the
    segments are snapped the same way, so the timeline shows what the metrics measured. Without a dataset:
    computed from the files.
    """
    from perftel.analytics import CompanyTrackers, parse_trackers
    from perftel.analytics.trackers import example_text
    from perftel.storage import CompanyStorage

    storage = CompanyStorage(company, data_dir)
    if trackers is None:
        own = CompanyTrackers(company, data_dir)
        trackers = own.reload()
        if not len(trackers):
            trackers = parse_trackers(example_text(), source="perftel's example trackers")
    if use_dataset:
        tables = _from_dataset(storage, trackers)
        if tables is not None:
            if snap:
                tables.segments = _snapped(tables.segments, tables.calls)
            return tables
    by_recording = {rec.id: call for call in storage.load_calls() for rec in call.recordings}
    call_rows: list[dict[str, Any]] = []
    segment_rows: list[dict[str, Any]] = []
    hit_rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for result in storage.load_transcriptions():
        call = by_recording.get(result.recording_id)
        call_id = call.id if call else result.recording_id
        if call_id in seen:
            continue
        seen.add(call_id)
        agents = [p.name or p.extension or "" for p in call.participants if p.role == "agent"] if call else []
        path = result.audio_path if result.audio_path and Path(result.audio_path).is_file() else None
        segments: list[Any] = list(result.segments)
        if snap and path and segments:
            from perftel.analytics.timing import snap_to_speech
            from perftel.errors import TranscriptionError

            with contextlib.suppress(TranscriptionError):  # undecodable: keep the transcript's times
                segments = snap_to_speech(segments, path)
        call_rows.append(
            {
                "call_id": call_id,
                "recording_id": result.recording_id,
                "started_at": call.started_at if call else None,
                "agent": ", ".join(a for a in agents if a) or "(unknown)",
                "direction": call.direction.value if call else None,
                "duration_seconds": float(result.duration or 0.0),
                "channels": int(result.channels or 1),
                "audio_path": path,
            }
        )
        found = trackers.find(  # on the segments themselves: their word times place each hit exactly
            segments, call_id=call_id, duration_seconds=result.duration, channels=int(result.channels or 1)
        )
        hit_rows.extend(hit.as_row() for hit in found)
        for seg in segments:
            get = seg.get if isinstance(seg, dict) else lambda k, s=seg: getattr(s, k, None)
            words = get("words")
            segment_rows.append(
                {
                    "call_id": call_id,
                    "start": float(get("start")),
                    "end": float(get("end")),
                    "channel": get("channel"),
                    "speaker": get("speaker"),
                    "text": (get("text") or "").strip(),
                    "words": len(words) if words else len((get("text") or "").split()),
                }
            )
    calls = pd.DataFrame(call_rows, columns=CALL_COLUMNS)
    calls["started_at"] = pd.to_datetime(calls["started_at"], utc=True)
    calls = calls.sort_values("started_at", kind="stable").reset_index(drop=True)
    segments_frame = pd.DataFrame(segment_rows, columns=SEGMENT_COLUMNS)
    metrics = call_metrics_frame(segments_frame, calls)
    hits = pd.DataFrame(hit_rows, columns=list(HIT_COLUMNS))
    return ConversationTables(
        calls, segments_frame, metrics, hits, str(trackers.source or ""), list(trackers.names)
    )


_DATASET_CALLS = """
SELECT coalesce(m.call_id, m.recording_id) AS call_id, m.recording_id, c.start_utc AS started_at,
       coalesce(nullif(c.agents, ''), '(unknown)') AS agent, c.direction,
       coalesce(t.audio_seconds, 0.0) AS duration_seconds, coalesce(t.channels, 1) AS channels, t.audio_path
FROM call_metrics m JOIN transcripts t USING (recording_id) LEFT JOIN calls c ON c.call_id = m.call_id
QUALIFY row_number() OVER (PARTITION BY coalesce(m.call_id, m.recording_id)
                           ORDER BY t.transcribed_at_utc NULLS LAST, m.recording_id) = 1
ORDER BY started_at NULLS LAST, call_id
"""
_DATASET_SEGMENTS = """
SELECT coalesce(s.call_id, s.recording_id) AS call_id, s.start_seconds AS start, s.end_seconds AS "end",
       s.channel, CASE WHEN s.channel IS NULL AND s.speaker = 'speaker' THEN NULL ELSE s.speaker END AS speaker,
       s.text, coalesce(w.n, CASE WHEN trim(s.text) = '' THEN 0
                                  ELSE len(regexp_split_to_array(trim(s.text), '\\s+')) END) AS words
FROM segments s
LEFT JOIN (SELECT recording_id, segment_index, count(*) AS n FROM words GROUP BY ALL) w
       USING (recording_id, segment_index)
WHERE s.recording_id IN (SELECT unnest(?::VARCHAR[]))
ORDER BY s.recording_id, s.start_seconds, s.segment_index
"""


def _snapped(segments: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """``segments`` with each call's edges snapped to the speech of its recording, where it is on disk
    (:func:`perftel.analytics.timing.snap_to_speech`, as the stored metrics were); else as they are."""
    from perftel.analytics.timing import snap_to_speech
    from perftel.errors import TranscriptionError

    paths = dict(zip(calls["call_id"], calls["audio_path"], strict=True))
    parts = []
    for call_id, group in segments.groupby("call_id", sort=False):
        path = paths.get(call_id)
        if path:
            with contextlib.suppress(TranscriptionError):  # undecodable: keep the transcript's times
                snapped = snap_to_speech(group.to_dict("records"), path)
                group = pd.DataFrame(snapped, index=group.index)[list(group.columns)]
        parts.append(group)
    return pd.concat(parts) if parts else segments


def _from_dataset(storage: Any, trackers: Any) -> ConversationTables | None:
    """:func:`load_conversations` from the company's dataset; None when it has none (or it is unreadable)."""
    from perftel.analytics.tables import tracker_hits_frame
    from perftel.dataset import index, open_dataset
    from perftel.errors import StorageError

    try:
        if index.read_manifest(index.dataset_dir(storage)) is None:
            return None
        ds = open_dataset(storage.company_id, storage.data_dir, update=True)
    except StorageError:
        return None
    with ds:
        ds.refresh()
        calls = ds._con.execute(_DATASET_CALLS).df()
        recordings = calls["recording_id"].tolist()
        columns = ", ".join(f'm."{c}"' for c in COLUMNS if c != "call_id")
        metrics = ds._con.execute(
            f"SELECT coalesce(m.call_id, m.recording_id) AS call_id, {columns} FROM call_metrics m "
            "WHERE m.recording_id IN (SELECT unnest(?::VARCHAR[]))",
            [recordings],
        ).df()
        segments = ds._con.execute(_DATASET_SEGMENTS, [recordings]).df()
        hits = tracker_hits_frame(ds, trackers)
    calls["started_at"] = pd.to_datetime(calls["started_at"], utc=True)
    calls["audio_path"] = [p if p and Path(p).is_file() else None for p in calls["audio_path"]]
    calls = calls[CALL_COLUMNS].reset_index(drop=True)
    order = {call_id: i for i, call_id in enumerate(calls["call_id"])}
    metrics = metrics.sort_values("call_id", key=lambda c: c.map(order)).reset_index(drop=True)[list(COLUMNS)]
    hits = hits[hits["recording_id"].isin(set(recordings))][list(HIT_COLUMNS)].reset_index(drop=True)
    return ConversationTables(
        calls, segments[SEGMENT_COLUMNS], metrics, hits, str(trackers.source or ""), list(trackers.names)
    )


def is_sandbox_company(company: str) -> bool:
    """True for ids the notebooks may fill with sandbox data: "sandbox", "sandbox-…", "sandbox_…"."""
    return company == "sandbox" or company.startswith(("sandbox-", "sandbox_"))


# -- scorecard -------------------------------------------------------------------------------------
def agent_scorecard(
    call_metrics: pd.DataFrame,
    tracker_hits: pd.DataFrame | None,
    calls: pd.DataFrame,
    *,
    trackers: list[str] | None = None,
) -> pd.DataFrame:
    """:func:`perftel.analytics.scorecard` per agent (numbers), with a ``rate_<tracker>`` column for every
    tracker in ``trackers`` (0 when never hit) — the table behind :func:`scorecard_table`."""
    card = scorecard(call_metrics, tracker_hits, calls=calls)
    for name in trackers or []:
        if f"rate_{name}" not in card:
            card[f"rate_{name}"] = 0.0
    return card


def scorecard_table(
    call_metrics: pd.DataFrame,
    tracker_hits: pd.DataFrame | None,
    calls: pd.DataFrame,
    *,
    trackers: list[str] | None = None,
) -> pd.DataFrame:
    """The scorecard as an analyst reads it: one row per agent, strings, no index.

    Columns: Agent, Calls, Two-channel calls, Talk-to-listen (median ratio, "1.25"), Agent talk share
    (median, "%"), Dead air (median longest silence, m:ss), Interruptions / call (the agent cutting in),
    Words / min (agent, median), and "<tracker> %" per tracker (share of the agent's calls with a hit).
    An agent whose calls are all mono shows "not available (mono)" in the speaker columns (dead air is
    still measured); "–" is a value that does not exist (e.g. no customer talk).
    """
    card = agent_scorecard(call_metrics, tracker_hits, calls, trackers=trackers)
    rows = []
    for row in card.to_dict("records"):
        mono = row["calls_two_channel"] == 0

        def speaker(text: str, mono: bool = mono) -> str:
            return MONO_NOTE if mono else text

        out = {
            "Agent": row["agent"],
            "Calls": str(int(row["calls"])),
            "Two-channel calls": str(int(row["calls_two_channel"])),
            "Talk-to-listen": speaker(_num(row["talk_to_listen_median"], 2)),
            "Agent talk share": speaker(_pct(row["agent_talk_share_median"])),
            "Dead air": clock(row["dead_air_median_seconds"]),
            "Interruptions / call": speaker(_num(row["interruptions_per_call"], 1)),
            "Words / min": speaker(_num(row["words_per_minute_median"], 0)),
        }
        for column in sorted(c for c in card.columns if c.startswith("rate_")):
            out[f"{column[5:]} %"] = _pct(row[column])
        rows.append(out)
    return pd.DataFrame(rows)


def styled(table: pd.DataFrame) -> Any:
    """A pandas Styler of a formatted table without the index (what a notebook cell shows)."""
    return table.style.hide(axis="index")


# -- charts ----------------------------------------------------------------------------------------
DISTRIBUTIONS = {
    "talk_to_listen_ratio": "Talk-to-listen (agent ÷ customer)",
    "longest_silence_seconds": "Dead air (longest silence, s)",
    "agent_interruptions": "Interruptions by the agent",
    "agent_words_per_minute": "Agent words per minute",
}
TRENDS = {
    "talk_to_listen_median": "Talk-to-listen (median)",
    "dead_air_median_seconds": "Dead air (median, s)",
    "interruptions_per_call": "Interruptions per call",
    "words_per_minute_median": "Words per minute (median)",
}


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(
        title=title, template="plotly_white", height=height, margin=dict(l=50, r=20, t=60, b=40)
    )
    return fig


def _with_agent(call_metrics: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in ("call_id", "agent", "started_at") if c in calls]
    return call_metrics.drop(columns=[c for c in ("agent", "started_at") if c in call_metrics]).merge(
        calls[keep], on="call_id", how="left"
    )


def distribution_figure(call_metrics: pd.DataFrame, calls: pd.DataFrame) -> go.Figure:
    """One box per agent for each metric of :data:`DISTRIBUTIONS` (every call a point; mono calls, which
    have no speaker metrics, only in dead air)."""
    frame = _with_agent(call_metrics, calls)
    fig = make_subplots(rows=1, cols=len(DISTRIBUTIONS), subplot_titles=list(DISTRIBUTIONS.values()))
    agents = sorted(frame["agent"].fillna("(unknown)").unique())
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    for col, metric in enumerate(DISTRIBUTIONS, start=1):
        for i, agent in enumerate(agents):
            values = pd.to_numeric(frame.loc[frame["agent"] == agent, metric], errors="coerce").dropna()
            fig.add_trace(
                go.Box(
                    y=values,
                    name=agent,
                    legendgroup=agent,
                    showlegend=col == 1,
                    boxpoints="all",
                    jitter=0.4,
                    marker_color=palette[i % len(palette)],
                    meta=metric,
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(showticklabels=False)
    return _layout(fig, "Per call, by agent", height=380)


def trend_figure(
    call_metrics: pd.DataFrame,
    calls: pd.DataFrame,
    *,
    period: str = "day",
    timezone: Any = None,
) -> go.Figure:
    """The scorecard's medians per agent and local day or ISO week (``timezone``: IANA name or ZoneInfo;
    None = PERFTEL_TIMEZONE or UTC), one panel per metric of :data:`TRENDS`."""
    tz = dates.zone(timezone)
    name = getattr(tz, "key", None) or "UTC"
    card = scorecard(call_metrics, None, calls=calls, period=period, timezone=name)
    fig = make_subplots(rows=len(TRENDS), cols=1, shared_xaxes=True, subplot_titles=list(TRENDS.values()))
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    for i, agent in enumerate(sorted(card["agent"].unique())):
        rows = card[card["agent"] == agent].sort_values("period")
        for r, metric in enumerate(TRENDS, start=1):
            fig.add_trace(
                go.Scatter(
                    x=rows["period"],
                    y=rows[metric],
                    mode="lines+markers",
                    name=agent,
                    legendgroup=agent,
                    showlegend=r == 1,
                    line_color=palette[i % len(palette)],
                    meta=metric,
                ),
                row=r,
                col=1,
            )
    step = 86_400_000 * (7 if period == "week" else 1)  # ms: one tick per day or week, never hours
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d", dtick=step)
    fig.update_xaxes(
        title=f"local {period} ({name})" + (", weeks start on Monday" if period == "week" else ""),
        row=len(TRENDS),
        col=1,
    )
    return _layout(fig, f"Per agent and {period}", height=170 * len(TRENDS))


# -- one call: lanes, overlaps, dead air, trackers ------------------------------------------------------
def _role(speaker: Any, channel: Any, roles: dict[int, str]) -> str | None:
    if isinstance(speaker, str) and speaker in ROLES:
        return speaker
    if not missing(channel):
        return roles.get(int(channel))
    return None


def lanes(segments: pd.DataFrame, channels: int, roles: dict[int, str] | None = None) -> pd.Series:
    """The timeline lane of each segment: its role ("agent"/"customer"), "channel N" when the channel has
    no role, or "mono" for every segment of a one-channel call."""
    roles = roles if roles is not None else DEFAULT_CHANNEL_ROLES
    if channels < 2:
        return pd.Series("mono", index=segments.index, dtype=object)
    out = []
    for speaker, channel in zip(segments["speaker"], segments["channel"], strict=True):
        role = _role(speaker, channel, roles)
        out.append(role or (speaker if isinstance(speaker, str) else f"channel {channel}"))
    return pd.Series(out, index=segments.index, dtype=object)


@dataclass
class CallMarks:
    """What the timeline marks for one call (seconds): ``overlaps`` as (start, end, interrupter),
    ``silences`` of at least the dead-air threshold as (start, end), ``longest_silence`` (start, end) or
    None, and whether speaker-based marks are available (not for mono calls)."""

    overlaps: list[tuple[float, float, str | None]]
    silences: list[tuple[float, float]]
    longest_silence: tuple[float, float] | None
    speakers_available: bool


def call_marks(
    segments: pd.DataFrame,
    duration_seconds: float,
    channels: int,
    *,
    dead_air_seconds: float = 3.0,
    min_overlap_seconds: float = 0.3,
    roles: dict[int, str] | None = None,
) -> CallMarks:
    """Overlaps and silences of one call, by the same rules as :func:`perftel.analytics.call_metrics`
    (so the marks agree with ``overlap_count`` and ``longest_silence_seconds``/``_start``)."""
    roles = roles if roles is not None else DEFAULT_CHANNEL_ROLES
    starts = segments["start"].astype(float).clip(lower=0).tolist()
    ends = segments["end"].astype(float).clip(lower=0).tolist()
    duration = max([float(duration_seconds or 0.0), *ends])
    talk = union(zip(starts, ends, strict=True))
    silent = gaps(talk, 0.0, duration)
    longest = max(silent, key=lambda g: g[1] - g[0], default=None)
    long_ones = [g for g in silent if g[1] - g[0] >= dead_air_seconds]
    found: list[tuple[float, float, str | None]] = []
    available = channels >= 2
    if available:
        by_role: dict[str, list[tuple[float, float]]] = {"agent": [], "customer": []}
        for speaker, channel, a, b in zip(
            segments["speaker"], segments["channel"], starts, ends, strict=True
        ):
            role = _role(speaker, channel, roles)
            if role:
                by_role[role].append((a, b))
        found = [
            (o.start, o.end, o.interrupter)
            for o in overlaps(by_role, min_overlap_seconds=min_overlap_seconds)
        ]
    return CallMarks(found, long_ones, longest, available)


def timeline_figure(
    segments: pd.DataFrame,
    *,
    duration_seconds: float,
    channels: int,
    tracker_hits: pd.DataFrame | None = None,
    title: str = "",
    dead_air_seconds: float = 3.0,
    min_overlap_seconds: float = 0.3,
) -> go.Figure:
    """The call timeline (see the module docstring): x is seconds from the start of the call.

    Traces: one ``go.Bar`` per lane (``name`` = lane, ``base`` = segment starts, ``x`` = lengths), then
    one ``go.Scatter`` of diamonds per tracker hit (``name`` = tracker, ``meta`` = "tracker hits"). Shapes: rectangles named "overlap",
    "silence" and "longest silence". A mono call gets one lane "mono" and the note
    "speakers: not available (mono)" instead of overlap marks.
    """
    segments = segments.sort_values("start", kind="stable").reset_index(drop=True)
    lane = lanes(segments, channels)
    order = [x for x in ("agent", "customer") if x in set(lane)] + sorted(set(lane) - {"agent", "customer"})
    if channels >= 2:
        order = [*dict.fromkeys(["agent", "customer", *order])]
    elif not order:
        order = ["mono"]
    fig = go.Figure()
    for name in order:
        rows = segments[lane == name]
        fig.add_trace(
            go.Bar(
                y=[name] * len(rows),
                base=rows["start"].astype(float).tolist(),
                x=(rows["end"].astype(float) - rows["start"].astype(float)).tolist(),
                orientation="h",
                name=name,
                marker_color=LANE_COLOURS.get(name, "#8c564b"),
                customdata=[
                    [clock(a), clock(b), html.escape(str(t))[:120]]
                    for a, b, t in zip(rows["start"], rows["end"], rows["text"], strict=True)
                ],
                hovertemplate="%{customdata[0]}–%{customdata[1]}<br>%{customdata[2]}<extra>"
                + name
                + "</extra>",
            )
        )
    marks = call_marks(
        segments,
        duration_seconds,
        channels,
        dead_air_seconds=dead_air_seconds,
        min_overlap_seconds=min_overlap_seconds,
    )
    for a, b in marks.silences:
        if marks.longest_silence != (a, b):
            fig.add_vrect(x0=a, x1=b, fillcolor=SILENCE_COLOUR, line_width=0, layer="below", name="silence")
    if marks.longest_silence:
        a, b = marks.longest_silence
        fig.add_vrect(
            x0=a,
            x1=b,
            fillcolor=SILENCE_COLOUR,
            line=dict(color="#7f7f7f", dash="dot", width=1),
            layer="below",
            name="longest silence",
            annotation_text=f"dead air {clock(b - a)}",
            annotation_position="top left",
        )
    for a, b, who in marks.overlaps:
        fig.add_vrect(
            x0=a,
            x1=b,
            fillcolor=OVERLAP_COLOUR,
            line_width=0,
            layer="below",
            name="overlap",
            annotation_text=f"{who} cuts in" if who else "",
            annotation_position="bottom left",
        )
    if tracker_hits is not None and len(tracker_hits):
        hit_lane = []
        for speaker, channel in zip(tracker_hits["speaker"], tracker_hits["channel"], strict=True):
            if channels < 2:
                hit_lane.append("mono")
            else:
                role = _role(speaker, channel, DEFAULT_CHANNEL_ROLES)
                hit_lane.append(role or (f"channel {channel}" if not missing(channel) else order[0]))
        hits = tracker_hits.assign(lane=hit_lane)
        for k, (name, rows) in enumerate(hits.groupby("tracker", sort=True)):
            fig.add_trace(
                go.Scatter(
                    x=rows["start_seconds"].astype(float).tolist(),
                    y=rows["lane"].tolist(),
                    mode="markers",
                    name=str(name),
                    meta="tracker hits",
                    showlegend=True,
                    marker=dict(
                        symbol="diamond",
                        size=13,
                        color=TRACKER_COLOURS[k % len(TRACKER_COLOURS)],
                        line=dict(color="black", width=1),
                    ),
                    customdata=rows[["matched_text"]].astype(str).to_numpy(),
                    hovertemplate=f"{html.escape(str(name))}: “%{{customdata[0]}}” at %{{x:.1f}} s<extra></extra>",
                )
            )
    end = max([float(duration_seconds or 0.0), *segments["end"].astype(float).tolist()])
    fig.update_xaxes(range=[0, max(end, 1.0)], title="seconds from the start of the call")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(order)), title="")
    for trace in fig.data:
        if trace.type == "bar":
            trace.showlegend = False  # the lanes are named on the axis; the legend names the trackers
    fig.update_layout(
        barmode="overlay",
        bargap=0.35,
        legend=dict(
            orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1, title_text="tracker hits: "
        ),
    )
    if not marks.speakers_available:
        fig.add_annotation(
            text=f"speakers: {MONO_NOTE}",
            xref="paper",
            yref="paper",
            x=1,
            y=1.08,
            showarrow=False,
            font=dict(color="#7f7f7f"),
        )
    return _layout(fig, title or "Call timeline", height=150 + 70 * len(order))


def transcript_html(segments: pd.DataFrame, *, player_id: str | None = None, channels: int = 2) -> str:
    """The call's transcript as an HTML table (time m:ss, lane, text). With ``player_id``, a click on a
    line plays the ``<audio id=player_id>`` element from that line's start (in the browser, no kernel)."""
    if segments.empty:
        return "<i>No speech in this recording.</i>"
    segments = segments.sort_values("start", kind="stable")
    lane = lanes(segments, channels)
    rows = []
    for (_, row), who in zip(segments.iterrows(), lane, strict=True):
        start = float(row["start"])
        click = (
            f" onclick=\"var a=document.getElementById('{player_id}');if(a){{a.currentTime={start:.2f};a.play();}}\""
            f" style='cursor:pointer'"
            if player_id
            else ""
        )
        rows.append(
            f"<tr class='perftel-seg' data-start='{start:.2f}'{click}>"
            f"<td style='{_CELL}'>{clock(start, floor=True)}</td>"
            f"<td style='{_CELL};color:{LANE_COLOURS.get(who, '#8c564b')}'><b>{html.escape(str(who))}</b></td>"
            f"<td style='{_CELL}'>{html.escape(str(row['text']))}</td></tr>"
        )
    return f"<table class='perftel-transcript' style='font-size:12px'>{''.join(rows)}</table>"


def audio_html(path: str | Path | None, *, start: float = 0.0, element_id: str = "perftel-audio") -> str:
    """An HTML5 ``<audio>`` element playing ``path`` from ``start`` seconds: the file embedded as a data
    URL with a ``#t=start`` media fragment (W3C Media Fragments), and ``currentTime`` set once the
    metadata is loaded (for browsers that ignore fragments on data URLs). A missing file or one larger
    than :data:`MAX_EMBED_BYTES` gives a short note instead."""
    if path is None or missing(path) or not str(path) or not Path(path).is_file():
        return "<i>The recording file is not on this machine.</i>"
    size = Path(path).stat().st_size
    if size > MAX_EMBED_BYTES:
        return f"<i>The recording is {size / 1e6:.0f} MB: too large to embed here; open {html.escape(Path(path).name)}.</i>"
    kind = _AUDIO_TYPES.get(Path(path).suffix.lower(), "audio/wav")
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    start = max(0.0, float(start))
    return (
        f"<audio id='{element_id}' controls preload='auto' data-start='{start:.2f}' "
        f"onloadedmetadata='this.currentTime={start:.2f}' "
        f"src='data:{kind};base64,{data}#t={start:.2f}'></audio>"
        f"<div style='font-size:11px;color:#666'>plays from {clock(start, floor=True)}</div>"
    )


class CallTimeline:
    """Pick a call: its timeline, the transcript beside it, and the recording playable from any moment.

    Times of day are on ``timezone``'s clock (IANA name or ZoneInfo; None = PERFTEL_TIMEZONE or UTC).
    ``open_call(call_id)`` redraws everything; ``seek(seconds)`` (or the "Play from" box, or the "Jump
    to" list of segments) moves the player; a click on a transcript line plays from there in the browser.
    """

    def __init__(
        self, tables: ConversationTables, call_id: str | None = None, *, timezone: Any = None
    ) -> None:
        self.tables = tables
        self.timezone = dates.zone(timezone)
        self.player_id = f"perftel-audio-{uuid.uuid4().hex[:8]}"
        options = [
            (f"{_when(r.started_at, self.timezone)} · {r.agent} · {clock(r.duration_seconds)}", r.call_id)
            for r in tables.calls.itertuples()
        ]
        self.call = w.Dropdown(options=options, description="Call", layout=w.Layout(width="60%"))
        self.jump = w.Dropdown(description="Jump to", layout=w.Layout(width="60%"))
        self.play_from = w.BoundedFloatText(
            value=0.0,
            min=0.0,
            max=1e6,
            step=1.0,
            description="Play from (s)",
            style={"description_width": "initial"},
        )
        self.summary = w.HTML()
        self.chart = w.Output(layout=w.Layout(width="62%"))
        self.transcript = w.HTML(layout=w.Layout(width="38%", max_height="420px", overflow="auto"))
        self.player = w.HTML()
        self.status = w.HTML()
        self.figure: go.Figure | None = None
        self.segments = pd.DataFrame(columns=SEGMENT_COLUMNS)
        self.position = 0.0
        self.call.observe(guarded(lambda: self.open_call(self.call.value), self.status), names="value")
        self.jump.observe(guarded(lambda: self._jump(), self.status), names="value")
        self.play_from.observe(guarded(lambda: self.seek(self.play_from.value), self.status), names="value")
        self.widget = w.VBox(
            [
                self.call,
                self.summary,
                w.HBox([self.chart, self.transcript]),
                w.HBox([self.jump, self.play_from]),
                self.player,
                self.status,
            ]
        )
        first = call_id if call_id is not None else (options[0][1] if options else None)
        if first is not None and self.call.value != first:
            self.call.value = first  # observer opens it
        else:
            self.open_call(first)

    def _ipython_display_(self) -> None:
        display(self.widget)

    def _jump(self) -> None:
        if self.jump.value is not None:
            self.seek(self.jump.value)

    def open_call(self, call_id: str | None) -> go.Figure | None:
        """Show one call: summary line, timeline, transcript, player at 0:00. Returns the figure."""
        self.status.value = ""
        if call_id is None:
            self.figure, self.summary.value, self.transcript.value, self.player.value = None, "", "", ""
            self.chart.clear_output()
            return None
        call = self.tables.calls[self.tables.calls["call_id"] == call_id].iloc[0]
        self.segments = self.tables.segments[self.tables.segments["call_id"] == call_id].sort_values("start")
        hits = self.tables.tracker_hits[self.tables.tracker_hits["call_id"] == call_id]
        metrics = self.tables.call_metrics[self.tables.call_metrics["call_id"] == call_id]
        channels = int(call["channels"])
        self.figure = timeline_figure(
            self.segments,
            duration_seconds=float(call["duration_seconds"]),
            channels=channels,
            tracker_hits=hits,
            title=f"{call['agent']} · {_when(call['started_at'], self.timezone)}",
        )
        self.summary.value = call_summary_html(metrics.iloc[0] if len(metrics) else None, hits)
        self.transcript.value = transcript_html(self.segments, player_id=self.player_id, channels=channels)
        self.jump.options = [
            (f"{clock(s, floor=True)} {str(t)[:50]}", float(s))
            for s, t in zip(self.segments["start"], self.segments["text"], strict=True)
        ]
        self.jump.value = None
        with self.chart:
            self.chart.clear_output(wait=True)
            self.figure.show()
        self.seek(0.0)
        return self.figure

    def seek(self, seconds: float) -> float:
        """Set the player to start at ``seconds`` (clipped to the call, rounded to 0.01 s); returns the
        position used. The "Play from" box follows."""
        call = self.tables.calls[self.tables.calls["call_id"] == self.call.value]
        if call.empty:
            return 0.0
        row = call.iloc[0]
        end = max([float(row["duration_seconds"] or 0.0), *self.segments["end"].astype(float).tolist()])
        self.position = round(min(max(0.0, float(seconds or 0.0)), end), 2)
        self.player.value = audio_html(row["audio_path"], start=self.position, element_id=self.player_id)
        self.play_from.value = round(self.position, 2)  # its observer seeks to the same place again: no-op
        return self.position


def _when(moment: Any, tz: Any = None) -> str:
    """A UTC instant as local ``YYYY-MM-DD HH:MM`` on ``tz``'s clock ("?" when unknown)."""
    if moment is None or missing(moment):
        return "?"
    return dates.to_local(pd.Timestamp(moment).to_pydatetime(), tz).strftime("%Y-%m-%d %H:%M")


def call_summary_html(metrics: Any, hits: pd.DataFrame | None = None) -> str:
    """One line of a call's metrics (a ``call_metrics`` row): talk share, dead air, overlaps, wpm, hits;
    "not available (mono)" for the speaker metrics of a mono call."""
    if metrics is None:
        return ""
    parts = [
        f"duration {clock(metrics['duration_seconds'])}",
        f"dead air {clock(metrics['longest_silence_seconds'])}",
    ]
    if isinstance(metrics.get("speaker_metrics_note"), str):
        parts.append(f"speaker metrics: {html.escape(metrics['speaker_metrics_note'])}")
    else:
        parts += [
            f"agent talk share {_pct(metrics['agent_talk_share'])}",
            f"talk-to-listen {_num(metrics['talk_to_listen_ratio'], 2)}",
            f"overlaps {_num(metrics['overlap_count'], 0)} (agent cut in {_num(metrics['agent_interruptions'], 0)})",
            f"agent {_num(metrics['agent_words_per_minute'], 0)} words/min",
        ]
    if hits is not None and len(hits):
        parts.append("trackers: " + ", ".join(html.escape(t) for t in dict.fromkeys(hits["tracker"])))
    return "<div style='font-size:12px'>" + " · ".join(parts) + "</div>"


# -- report section --------------------------------------------------------------------------------
def reading(call_metrics: pd.DataFrame, tracker_hits: pd.DataFrame | None, calls: pd.DataFrame) -> str:
    """A few plain sentences (Markdown) on the period's conversations, from the tables."""
    if calls.empty:
        return "No transcribed call in this period."
    frame = _with_agent(call_metrics, calls)
    two = frame[frame["speaker_metrics_note"].isna()]
    lines = [
        f"{len(frame)} transcribed call(s) by {frame['agent'].nunique()} agent(s); {len(two)} with two channels."
    ]
    if len(two):
        share = pd.to_numeric(two["agent_talk_share"], errors="coerce").median()
        lines.append(f"Agents spoke {_pct(share)} of the talk time (median call).")
        cut = two.groupby("agent")["agent_interruptions"].mean()
        if cut.max() > 0:
            lines.append(f"Most interruptions: {cut.idxmax()} ({cut.max():.1f} per call).")
    else:
        lines.append(f"Speaker metrics: {MONO_NOTE} — one channel cannot tell who spoke.")
    longest = pd.to_numeric(frame["longest_silence_seconds"], errors="coerce")
    if longest.notna().any():
        at = frame.loc[longest.idxmax()]
        lines.append(
            f"Median dead air {clock(longest.median())}; the longest was {clock(longest.max())} "
            f"(call {at['call_id']}, {at['agent']})."
        )
    if tracker_hits is not None and len(tracker_hits):
        rates = tracker_hits.groupby("tracker")["call_id"].nunique() / len(frame)
        lines.append(
            "Trackers: " + ", ".join(f"{name} {_pct(rate)} of calls" for name, rate in rates.items()) + "."
        )
    return " ".join(lines)


@dataclass
class ConversationsSection:
    """The report's conversations section: :attr:`table` (formatted scorecard), :attr:`figure`, and
    :attr:`text` (the reading). Displaying it shows a heading, the reading, the table and the chart."""

    table: pd.DataFrame
    figure: go.Figure
    text: str

    def _ipython_display_(self) -> None:
        display(Markdown("## Conversations\n\n" + self.text))
        display(styled(self.table))
        self.figure.show()


def conversations_section(tables: ConversationTables) -> ConversationsSection:
    """Scorecard, the per-call distribution chart and a short reading, for a period's tables (filter
    them first with :meth:`ConversationTables.between`)."""
    return ConversationsSection(
        scorecard_table(tables.call_metrics, tables.tracker_hits, tables.calls, trackers=tables.trackers),
        distribution_figure(tables.call_metrics, tables.calls),
        reading(tables.call_metrics, tables.tracker_hits, tables.calls),
    )


def local_calls(calls: pd.DataFrame, timezone: Any = None) -> pd.DataFrame:
    """``calls`` with ``started_local`` (the same instant on ``timezone``'s clock) and ``day`` (local)."""
    out = calls.copy()
    out["started_local"] = dates.to_local(out["started_at"], timezone)
    out["day"] = out["started_local"].dt.date
    return out


__all__ = [
    "CALL_COLUMNS",
    "COLUMNS",
    "SEGMENT_COLUMNS",
    "CallMarks",
    "CallTimeline",
    "ConversationTables",
    "ConversationsSection",
    "agent_scorecard",
    "audio_html",
    "call_marks",
    "call_summary_html",
    "clock",
    "conversations_section",
    "distribution_figure",
    "is_sandbox_company",
    "lanes",
    "load_conversations",
    "local_calls",
    "reading",
    "scorecard_table",
    "styled",
    "timeline_figure",
    "transcript_html",
    "trend_figure",
]
