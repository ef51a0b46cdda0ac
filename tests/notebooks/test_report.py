"""`perftel report`: papermill runs 04_call_report, nbconvert writes standalone HTML; no secret in either."""

from __future__ import annotations

import json
import re
from datetime import date

import nbformat

from perftel import cli


def test_report_is_standalone_html_with_the_executed_notebook_as_log(synced, report_files):
    log = report_files.notebook
    html, log_text = report_files.html.read_text("utf-8"), log.read_text("utf-8")

    # no secret anywhere: not in parameters, outputs or widget state
    for secret in synced.secrets:
        assert secret not in html and secret not in log_text
    # code hidden, charts inline (plotly.js embedded, no CDN), the tables there
    assert "nb.load_tables" not in html and "import os" not in html
    assert "Plotly.newPlot" in html and len(re.findall(r"plotly-graph-div", html)) >= 4
    assert not re.search(r"<script[^>]+src=[\"']https?://cdn\.plot\.ly", html)
    assert len(html) > 3_000_000  # plotly.js itself is inside
    assert "Answer rate" in html and "Transcripts" in html and "Started (UTC)" in html
    # for its reader: a real title and an introduction, no instruction for the developer
    start, end = date.fromisoformat(synced.start), date.fromisoformat(synced.end)
    title = f"Calls of {synced.company}, {start:%d %b %Y} to {end:%d %b %Y}"
    assert f"<title>Calls of {synced.company}, {synced.start} to {synced.end}</title>" in html
    assert "<h1" in html and title in html and "Days and times are local to" in html
    assert "perftel report" not in html and "standalone HTML" not in html
    # offline: nothing fetched from the internet (no require.js, MathJax, widget manager, CDN), plotly.js once
    assert not re.search(r"<script[^>]+src=[\"']https?://", html)
    assert "cdnjs.cloudflare.com" not in html and "require.min.js" not in html and "html-manager" not in html
    assert html.count("* plotly.js v") == 1

    # the log: papermill's parameters are the dates, company and data folder only
    notebook = nbformat.read(log, as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    params = injected[0].source
    assert f'COMPANY = "{synced.company}"' in params and f'START = "{synced.start}"' in params
    assert "USE_SANDBOX_IF_EMPTY = False" in params
    assert set(re.findall(r"^(\w+) =", params, re.M)) == {
        "COMPANY",
        "PROVIDER",
        "START",
        "END",
        "DATA_DIR",
        "USE_SANDBOX_IF_EMPTY",
    }
    assert all(c.get("outputs") is not None for c in notebook.cells if c.cell_type == "code")
    assert not [
        o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert json.loads(log_text)["metadata"]["papermill"]["parameters"]["COMPANY"] == synced.company


def test_report_of_an_empty_period_says_so(synced, tmp_path, capfd):
    output = tmp_path / "empty.html"
    code = cli.main(
        [
            "report",
            "--start",
            "2020-01-01",
            "--end",
            "2020-01-02",
            "--company",
            "nobody",
            "--data-dir",
            str(synced.data_dir),
            "--output",
            str(output),
        ]
    )
    html = output.read_text("utf-8")
    assert code == 0 and "No calls in this period" in html
    assert "plotly-graph-div" not in html  # no empty charts
    printed = capfd.readouterr()
    assert printed.err.strip() == "", printed.err  # no papermill or kernel warnings
    assert "Passed unknown parameter" not in printed.out and "WARNING" not in printed.out
