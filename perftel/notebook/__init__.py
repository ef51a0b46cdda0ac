"""perftel in Jupyter: widget forms, live progress, charts beside transcripts.

The only part of perftel that imports ipywidgets and plotly (``pip install 'perftel[notebook]'``)::

    from perftel import notebook as nb

    form = nb.SyncForm(company="acme")       # credentials, dates, options, Run/Cancel, progress
    form                                      # shows it; or headless: form.run(); form.wait()
    nb.CallExplorer.for_company("acme")       # filters, charts, transcript table, one call's audio
    ds = nb.open_dataset("acme")               # the calls as tables; nb.store_* aggregate them in SQL

Everything a button does is a method, so notebooks run the same with and without a browser.
"""

from __future__ import annotations

import os

from perftel.dataset import open_dataset
from perftel.notebook.charts import (
    CallTables,
    add_time_columns,
    answered_chart,
    answered_figure,
    answered_per_day,
    call_figures,
    call_segments,
    calls_per_day,
    calls_per_day_chart,
    calls_per_day_figure,
    calls_per_hour,
    calls_per_hour_chart,
    calls_per_hour_figure,
    calls_with_words,
    duration_bins,
    duration_chart,
    duration_figure,
    empty_figure,
    filter_calls,
    filter_transcripts,
    load_tables,
    model_comparison_figure,
    no_calls_message,
    period_summary,
    talk_time,
    talk_time_chart,
    talk_time_figure,
    timeline_figure,
    use_offline_html_renderer,
)
from perftel.notebook.common import Secret
from perftel.notebook.credentials_form import CredentialsForm
from perftel.notebook.explore import (
    CallExplorer,
    call_rows,
    calls_table_html,
    segments_html,
    transcript_table_html,
)
from perftel.notebook.options import QUICK_RANGES, DateRange, RunOptions, quick_range
from perftel.notebook.run_form import PipelineJob, SyncForm
from perftel.notebook.sample_data import (
    SANDBOX_COMPANIES,
    ensure_sandbox_data,
    is_sandbox_company,
    prepare_sandbox_company,
    require_sandbox_company,
    start_sandbox,
)
from perftel.notebook.store import (
    first_day_last_day,
    store_answered_per_day,
    store_calls,
    store_calls_per_day,
    store_calls_per_hour,
    store_duration_bins,
    store_figures,
    store_segments,
    store_summary,
    store_talk_time,
    store_transcripts,
    store_word_matches,
)
from perftel.notebook.tables import (
    calls_view,
    clock,
    local_times,
    percent,
    show_table,
    talk_view,
    transcripts_view,
    yes_no,
)
from perftel.whisper_settings import WhisperSettings

if os.environ.get("PERFTEL_OFFLINE_HTML") == "1":  # set by perftel.report for the report's kernel
    use_offline_html_renderer()

__all__ = [
    "first_day_last_day",
    "store_answered_per_day",
    "store_calls",
    "store_calls_per_day",
    "store_calls_per_hour",
    "store_duration_bins",
    "store_figures",
    "store_segments",
    "store_summary",
    "store_talk_time",
    "store_transcripts",
    "store_word_matches",
    "open_dataset",
    "QUICK_RANGES",
    "SANDBOX_COMPANIES",
    "CallExplorer",
    "CallTables",
    "CredentialsForm",
    "DateRange",
    "PipelineJob",
    "RunOptions",
    "Secret",
    "SyncForm",
    "WhisperSettings",
    "add_time_columns",
    "answered_chart",
    "answered_figure",
    "answered_per_day",
    "call_figures",
    "call_rows",
    "call_segments",
    "calls_per_day",
    "calls_per_day_chart",
    "calls_per_day_figure",
    "calls_per_hour",
    "calls_per_hour_chart",
    "calls_per_hour_figure",
    "calls_table_html",
    "calls_view",
    "calls_with_words",
    "clock",
    "duration_bins",
    "duration_chart",
    "duration_figure",
    "empty_figure",
    "ensure_sandbox_data",
    "filter_calls",
    "filter_transcripts",
    "is_sandbox_company",
    "load_tables",
    "local_times",
    "model_comparison_figure",
    "no_calls_message",
    "percent",
    "period_summary",
    "prepare_sandbox_company",
    "quick_range",
    "require_sandbox_company",
    "segments_html",
    "start_sandbox",
    "show_table",
    "talk_time",
    "talk_time_chart",
    "talk_time_figure",
    "talk_view",
    "timeline_figure",
    "transcript_table_html",
    "transcripts_view",
    "use_offline_html_renderer",
    "yes_no",
]
