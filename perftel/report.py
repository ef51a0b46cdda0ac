"""Period reports: run the report notebook with papermill, write a standalone HTML file.

::

    perftel report --start 2026-11-01 --end 2026-11-07 --company acme
    # → reports/calls_acme_2026-11-01_2026-11-07.html   (code hidden, charts inline: opens offline)
    #   reports/calls_acme_2026-11-01_2026-11-07.ipynb  (the executed notebook: the run's log)

Parameters are the dates, the company and the data folder only — never a secret (papermill writes
parameters into the executed notebook). The report reads saved data; it does not call the provider.

The notebook run is the package's copy, ``perftel/templates/call_report.ipynb`` (package data, so an
installed wheel has it). Its source is the repository's ``notebooks/04_call_report.ipynb`` (the one opened
in Jupyter and run by nbval); ``tests/test_packaging.py`` checks the two are identical. The command line
(``perftel report``) is defined in :mod:`perftel.cli`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from perftel import config, dates
from perftel.company import validate_company_id
from perftel.errors import ConfigError, PerftelError
from perftel.providers import normalise_name

REPORT_TEMPLATE = "call_report.ipynb"  # in perftel/templates/; copied from notebooks/04_call_report.ipynb
# The page template: nbconvert's "lab" page without the scripts it would fetch from the internet
# (require.js, MathJax, Mermaid, the widget manager); plotly.js and the table library are inlined by the notebook.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


class ReportError(PerftelError):
    """The report notebook could not be run or converted. ``log`` is the executed notebook, if any."""

    def __init__(self, message: str, *, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class ReportFiles:
    """The files a report run wrote: the ``html`` report and the executed ``notebook`` (its log)."""

    html: Path
    notebook: Path


def default_notebook() -> Path:
    """The report notebook: ``PERFTEL_REPORT_NOTEBOOK`` if set, else the package's own template
    (``perftel/templates/call_report.ipynb``, there in a checkout and in an installed wheel alike)."""
    explicit = config.env("PERFTEL_REPORT_NOTEBOOK")
    return (
        Path(explicit) if explicit else Path(str(resources.files("perftel") / "templates" / REPORT_TEMPLATE))
    )


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_report(
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    company: str,
    days: int | None = None,
    provider: str | None = None,
    data_dir: str | Path | None = None,
    output: str | Path | None = None,
    notebook: str | Path | None = None,
    timeout: int = 600,
) -> ReportFiles:
    """Execute the report notebook for ``[start, end]`` (both days included) and convert it to HTML.

    Args:
        start, end: the period's first and last local day (any date-like of :mod:`perftel.dates`; a
            datetime stands for its local day). Or ``days=N``: the last N local days, today included.
            Days are the company's (``PERFTEL_TIMEZONE``, else its settings file, else UTC).
        company: whose saved calls (``<data_dir>/<company>/calls``).
        provider: only this provider's calls (default: all).
        data_dir: default ``PERFTEL_DATA_DIR`` or ``./data`` (resolved from the current folder).
        output: the HTML file (default ``reports/calls_<company>_<start>_<end>.html``); the executed
            notebook is written beside it with the ``.ipynb`` suffix.
        notebook: the report notebook (default: :func:`default_notebook`).

    Raises:
        ConfigError: bad dates, company or a missing notebook. ReportError: the notebook failed.
    """
    import nbformat
    import papermill

    validate_company_id(company)
    start_day, end_day = report_period(company, start, end, days=days, data_dir=data_dir)
    source = Path(notebook) if notebook else default_notebook()
    if not source.is_file():
        raise ConfigError(
            f"The report notebook {source} is not there (set PERFTEL_REPORT_NOTEBOOK).", field="notebook"
        )
    html_path = Path(output) if output else Path("reports") / f"calls_{company}_{start_day}_{end_day}.html"
    html_path = html_path.with_suffix(".html").resolve()
    log_path = html_path.with_suffix(".ipynb")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    parameters = {
        "COMPANY": company,
        "PROVIDER": normalise_name(provider) if provider else "",
        "START": start_day.isoformat(),
        "END": end_day.isoformat(),
        "DATA_DIR": str(config.data_dir(data_dir).resolve()),
        "USE_SANDBOX_IF_EMPTY": False,
    }
    # The kernel inherits this environment: figures become HTML with plotly.js inline (once), no CDN.
    with _environ(PERFTEL_OFFLINE_HTML="1", PYDEVD_DISABLE_FILE_VALIDATION="1"), _quiet():
        try:
            papermill.execute_notebook(
                str(source),
                str(log_path),
                parameters=parameters,
                cwd=str(html_path.parent),  # never the installed package's folder
                execution_timeout=timeout,
                progress_bar=False,
                log_output=False,
                kernel_name="python3",
                # nothing of the kernel's own log on the terminal: its transport notices, and the
                # "KeyboardInterrupt caught in kernel" that jupyter_client's shutdown (interrupt, then
                # shutdown request) can make a busy kernel log on a loaded machine; a failing cell or a
                # dead kernel is still an error of papermill's
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except papermill.PapermillExecutionError as exc:
            raise ReportError(
                f"The report notebook failed at cell {exc.exec_count}: {exc.ename}: {exc.evalue}. "
                f"The executed notebook is the log: {log_path}",
                log=log_path,
            ) from exc
    html_path.write_text(
        report_html(
            nbformat.read(log_path, as_version=4), title=f"Calls of {company}, {start_day} to {end_day}"
        ),
        encoding="utf-8",
    )
    return ReportFiles(html=html_path, notebook=log_path)


def report_period(
    company: str,
    start: Any = None,
    end: Any = None,
    *,
    days: int | None = None,
    data_dir: str | Path | None = None,
    now: datetime | None = None,
) -> tuple[date, date]:
    """The report's first and last local day in the company's time zone (both included).

    ``start``/``end`` are date-likes (a datetime stands for its local day), or ``days`` the last N days up
    to today. Raises ConfigError for bad dates, a missing bound, both forms at once, or end before start.
    """
    from perftel.company import company_settings

    tz = company_settings(company, data_dir).timezone
    if days is not None:
        if start is not None or end is not None:
            raise ConfigError("Give --start and --end, or --days, not both.", field="days")
        return dates.last_days_dates(days, now=now, tz=tz)
    if start is None or end is None:
        raise ConfigError(
            "Give --start and --end (YYYY-MM-DD), or --days N.", field="start" if start is None else "end"
        )
    start_day, end_day = dates.to_day(start, tz=tz, field="--start"), dates.to_day(end, tz=tz, field="--end")
    if end_day < start_day:
        raise ConfigError(f"The end ({end_day}) is before the start ({start_day}).", field="end")
    return start_day, end_day


def report_html(notebook: Any, *, title: str) -> str:
    """An executed report notebook as one self-contained HTML page: no code, no prompts, no script or
    style fetched from the internet (plotly.js and the tables' script are inside, once)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_loaders=[DictLoader({"perftel_report.html.j2": _OFFLINE_TEMPLATE})],
        template_file="perftel_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    notebook.metadata.pop("widgets", None)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep papermill's and the kernel client's chatter (parameter inference, transport notices) off the
    user's terminal; errors still raise."""
    loggers = [logging.getLogger(name) for name in ("papermill", "traitlets", "nbclient")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
