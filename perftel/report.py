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
import os
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from perftel import config, dates
from perftel.company import validate_company_id
from perftel.errors import ConfigError, PerftelError
from perftel.providers import normalise_name

REPORT_NOTEBOOK = "04_call_report.ipynb"


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
    from nbconvert import HTMLExporter

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
    # The kernel inherits this environment: plotly.js goes inline so the HTML opens offline.
    with _environ(PLOTLY_RENDERER="notebook"):
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
            )
        except papermill.PapermillExecutionError as exc:
            raise ReportError(
                f"The report notebook failed at cell {exc.exec_count}: {exc.ename}: {exc.evalue}. "
                f"The executed notebook is the log: {log_path}",
                log=log_path,
            ) from exc
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(log_path, as_version=4))
    html_path.write_text(body, encoding="utf-8")
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
        raise ConfigError("Give --start and --end (YYYY-MM-DD), or --days N.", field="start" if start is None else "end")
    start_day, end_day = dates.to_day(start, tz=tz, field="--start"), dates.to_day(end, tz=tz, field="--end")
    if end_day < start_day:
        raise ConfigError(f"The end ({end_day}) is before the start ({start_day}).", field="end")
    return start_day, end_day


# -- the command line ------------------------------------------------------------------------------
def add_report_command(sub: Any, commands: MutableMapping[str, Callable[[argparse.Namespace], int]]) -> None:
    """Add ``perftel report`` to the CLI's sub-commands and register its handler."""
    p = sub.add_parser(
        "report", help="a period's call report: standalone HTML + the executed notebook as its log"
    )
    p.add_argument("--start", help="first day, YYYY-MM-DD (a local day of the company's time zone)")
    p.add_argument("--end", help="last day, YYYY-MM-DD (included)")
    p.add_argument("--days", type=int, help="instead of --start/--end: the last N local days, today included")
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
        days=args.days,
        company=args.company,
        provider=args.provider,
        data_dir=args.data_dir,
        output=args.output,
    )
    print(f"report: {files.html}\nlog:    {files.notebook}")
    return 0
