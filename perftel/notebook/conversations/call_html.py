"""One call as HTML: the transcript (a click on a line plays the recording from there, in the browser), the
recording as an HTML5 ``<audio>`` element that starts at a chosen moment, and a line of its metrics."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

from perftel.analytics.segments import missing
from perftel.notebook.conversations.timeline import LANE_COLOURS, OTHER_LANE_COLOUR, lanes
from perftel.notebook.tables import clock, decimal, percent

#: audio files larger than this are not embedded in the notebook (bytes)
MAX_EMBED_BYTES = 25_000_000
_AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".m4a": "audio/mp4"}
_CELL = "text-align:left;vertical-align:top;padding:2px 6px"


def transcript_html(segments: pd.DataFrame, *, player_id: str | None = None, channels: int = 2) -> str:
    """The call's transcript as an HTML table, by start: time (m:ss, floored as a player counts), lane
    (see :func:`~perftel.notebook.conversations.timeline.lanes`), text (escaped). ``segments``: one call's
    rows of the ``segments`` table. With ``player_id``, a click on a line plays the
    ``<audio id=player_id>`` element from that line's start (in the browser, no kernel)."""
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
            f"<td style='{_CELL};color:{LANE_COLOURS.get(who, OTHER_LANE_COLOUR)}'><b>{html.escape(str(who))}</b></td>"
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


def call_summary_html(metrics: Any, hits: pd.DataFrame | None = None) -> str:
    """One line of a call's metrics (a ``call_metrics`` row, Series or dict): duration and dead air (m:ss),
    talk share, talk-to-listen, overlaps, words per minute, and the trackers hit (``hits``: the call's
    ``tracker_hits`` rows); "not available (mono)" for the speaker metrics of a mono call; "" for None."""
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
            f"agent talk share {percent(metrics['agent_talk_share'])}",
            f"talk-to-listen {decimal(metrics['talk_to_listen_ratio'], 2)}",
            f"overlaps {decimal(metrics['overlap_count'], 0)} (agent cut in {decimal(metrics['agent_interruptions'], 0)})",
            f"agent {decimal(metrics['agent_words_per_minute'], 0)} words/min",
        ]
    if hits is not None and len(hits):
        parts.append("trackers: " + ", ".join(html.escape(t) for t in dict.fromkeys(hits["tracker"])))
    return "<div style='font-size:12px'>" + " · ".join(parts) + "</div>"
