"""Figures as self-contained HTML for reports that must open offline (no CDN, no MathJax)."""

from __future__ import annotations

import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer


class OfflineHtmlRenderer(MimetypeRenderer):
    """A plotly renderer for HTML exports that must open offline: each figure as HTML, plotly.js inlined
    in the first one only, no MathJax (plotly's own ``notebook`` renderer always links MathJax's CDN).
    plotly copies renderers before use, so "already included" is kept on the class, once per kernel."""

    included = False

    def to_mimebundle(self, fig_dict: dict) -> dict:
        """``{"text/html": ...}`` for one figure (a plotly figure dict): a ``<div>`` at 100 % width, with
        plotly.js inlined the first time in this kernel."""
        html = pio.to_html(
            fig_dict,
            include_plotlyjs=not self.included,
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            config={"displaylogo": False, "responsive": True},
        )
        OfflineHtmlRenderer.included = True
        return {"text/html": html}


def use_offline_html_renderer() -> None:
    """Render figures as self-contained HTML from now on in this kernel (the report's kernel does, through
    ``PERFTEL_OFFLINE_HTML=1``, see :mod:`perftel.report`)."""
    if "perftel_offline" not in pio.renderers:
        pio.renderers["perftel_offline"] = OfflineHtmlRenderer()
    pio.renderers.default = "perftel_offline"
