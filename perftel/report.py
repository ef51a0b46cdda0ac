"""Period reports: run ``notebooks/04_call_report.ipynb`` with papermill, write a standalone HTML file.

::

    perftel report --start 2026-11-01 --end 2026-11-07 --company acme
    # → reports/calls_acme_2026-11-01_2026-11-07.html   (code hidden, charts inline: opens offline)
    #   reports/calls_acme_2026-11-01_2026-11-07.ipynb  (the executed notebook: the run's log)

Parameters are the dates, the company and the data folder only — never a secret (papermill writes
parameters into the executed notebook). The report reads saved data; it does not call the provider.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from perftel import config
from perftel.company import validate_company_id
from perftel.errors import ConfigError, PerftelError
from perftel.providers import normalise_name

REPORT_NOTEBOOK = "04_call_report.ipynb"
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
    html: Path
    notebook: Path


def default_notebook() -> Path:
    """``notebooks/04_call_report.ipynb`` of this checkout (or ``PERFTEL_REPORT_NOTEBOOK``)."""
    explicit = config.env("PERFTEL_REPORT_NOTEBOOK")
    return Path(explicit) if explicit else Path(__file__).resolve().parents[1] / "notebooks" / REPORT_NOTEBOOK


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
    start: date | str,
    end: date | str,
    company: str,
    provider: str | None = None,
    data_dir: str | Path | None = None,
    output: str | Path | None = None,
    notebook: str | Path | None = None,
    timeout: int = 600,
) -> ReportFiles:
    """Execute the report notebook for ``[start, end]`` (both days included) and convert it to HTML.

    Args:
        start, end: the period, ``YYYY-MM-DD``.
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

    start_day, end_day = _day(start, "start"), _day(end, "end")
    if end_day < start_day:
        raise ConfigError(f"The end ({end_day}) is before the start ({start_day}).", field="end")
    validate_company_id(company)
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
                cwd=str(source.parent),
                execution_timeout=timeout,
                progress_bar=False,
                log_output=False,
                kernel_name="python3",
                extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no transport notice on the terminal
            )
        except papermill.PapermillExecutionError as exc:
            raise ReportError(
                f"The report notebook failed at cell {exc.exec_count}: {exc.ename}: {exc.evalue}. "
                f"The executed notebook is the log: {log_path}",
                log=log_path,
            ) from exc
    html_path.write_text(
        report_html(nbformat.read(log_path, as_version=4), title=f"Calls of {company}, {start_day} to {end_day}"),
        encoding="utf-8",
    )
    return ReportFiles(html=html_path, notebook=log_path)


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


def _day(value: date | str, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ConfigError(f"--{name} {value!r} is not a date (use YYYY-MM-DD).", field=name) from exc


# -- the command line ------------------------------------------------------------------------------
def add_report_command(sub: Any, commands: MutableMapping[str, Callable[[argparse.Namespace], int]]) -> None:
    """Add ``perftel report`` to the CLI's sub-commands and register its handler."""
    p = sub.add_parser(
        "report", help="a period's call report: standalone HTML + the executed notebook as its log"
    )
    p.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--end", required=True, help="last day, YYYY-MM-DD (included)")
    p.add_argument(
        "--company",
        default=config.env("PERFTEL_COMPANY", "default"),
        help="company id (default: $PERFTEL_COMPANY or 'default')",
    )
    p.add_argument("--provider", help="only this provider's calls (default: every provider's)")
    p.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")
    p.add_argument("--output", help="HTML file (default: reports/calls_<company>_<start>_<end>.html)")
    commands["report"] = cmd_report


def cmd_report(args: argparse.Namespace) -> int:
    files = build_report(
        start=args.start,
        end=args.end,
        company=args.company,
        provider=args.provider,
        data_dir=args.data_dir,
        output=args.output,
    )
    print(f"report: {files.html}\nlog:    {files.notebook}")
    return 0
