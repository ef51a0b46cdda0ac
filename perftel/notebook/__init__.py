"""perftel in Jupyter: widget forms, live progress, charts beside transcripts.

The only part of perftel that imports ipywidgets and plotly (``pip install 'perftel[notebook]'``)::

    from perftel import notebook as nb

    form = nb.SyncForm(company="acme")       # credentials, dates, options, Run/Cancel, progress
    form                                      # shows it; or headless: form.run(); form.wait()
    nb.CallExplorer.for_company("acme")       # filters, charts, transcript table, one call's audio

Everything a button does is a method, so notebooks run the same with and without a browser.
"""

from __future__ import annotations

from perftel.notebook.charts import (
    CallTables,
    add_time_columns,
    answered_figure,
    answered_per_day,
    call_figures,
    call_segments,
    calls_per_day,
    calls_per_day_figure,
    calls_per_hour,
    calls_per_hour_figure,
    duration_figure,
    filter_calls,
    filter_transcripts,
    load_tables,
    model_comparison_figure,
    period_summary,
    talk_time,
    talk_time_figure,
)
from perftel.notebook.common import Secret
from perftel.notebook.credentials_form import CredentialsForm
from perftel.notebook.explore import CallExplorer, segments_html, transcript_table_html
from perftel.notebook.options import QUICK_RANGES, DateRange, RunOptions, quick_range
from perftel.notebook.run_form import PipelineJob, SyncForm
from perftel.notebook.sample_data import ensure_sandbox_data, start_sandbox

__all__ = [
    "QUICK_RANGES",
    "CallExplorer",
    "CallTables",
    "CredentialsForm",
    "DateRange",
    "PipelineJob",
    "RunOptions",
    "Secret",
    "SyncForm",
    "add_time_columns",
    "answered_figure",
    "answered_per_day",
    "call_figures",
    "call_segments",
    "calls_per_day",
    "calls_per_day_figure",
    "calls_per_hour",
    "calls_per_hour_figure",
    "duration_figure",
    "ensure_sandbox_data",
    "filter_calls",
    "filter_transcripts",
    "load_tables",
    "model_comparison_figure",
    "period_summary",
    "quick_range",
    "segments_html",
    "start_sandbox",
    "talk_time",
    "talk_time_figure",
    "transcript_table_html",
]
