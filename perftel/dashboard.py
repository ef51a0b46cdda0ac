"""``perftel dashboard``: the call explorer as a web page for people who do not read code.

::

    perftel dashboard --company acme            # → http://127.0.0.1:8866/  (Ctrl-C stops it)

Voilà runs a small generated notebook (the explorer of one company's saved calls) and serves only its
outputs — no code cells, no editing — on 127.0.0.1, so only this machine can open it. It reads saved data;
it never calls a provider, and it holds no secret.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from perftel import config
from perftel.company import validate_company_id
from perftel.errors import ConfigError

DEFAULT_PORT = 8866
HOST = "127.0.0.1"


def dashboard_notebook(
    company: str, data_dir: str | Path, *, start: date | None = None, end: date | None = None
):
    """The notebook Voilà serves: one cell showing a title, a line on what the page shows, and the explorer.

    ``company`` and ``data_dir`` are written into it as text (never a secret). Raises ConfigError for an
    invalid company id.
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    validate_company_id(company)
    period = (
        f", start=date.fromisoformat({start.isoformat()!r}), end=date.fromisoformat({end.isoformat()!r})"
        if start and end
        else ""
    )
    source = f"""from datetime import date

from IPython.display import Markdown, display

from perftel import notebook as nb

dataset = nb.open_dataset({company!r}, {str(data_dir)!r})
display(Markdown(
    "# Calls of " + {company!r} + "\\n\\nFilter by date, direction, answered or missed and words said; open a call "
    "to see who spoke when and play it. Times are local to **" + dataset.tz.key + "**; durations read "
    "minutes:seconds. Only calls already synced are here."
))
nb.CallExplorer(dataset{period})"""
    notebook = new_notebook(
        cells=[new_code_cell(source)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.validate(notebook)
    return notebook


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def dashboard_command(notebook_path: Path, port: int) -> list[str]:
    """The Voilà command line: 127.0.0.1 only, no browser opened, sources stripped, no tracebacks shown."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook_path),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
    ]


def serve_dashboard(
    company: str,
    *,
    data_dir: str | Path | None = None,
    port: int = DEFAULT_PORT,
    start: date | None = None,
    end: date | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    """Serve the dashboard of ``company`` until Ctrl-C; returns Voilà's exit code (0 after Ctrl-C).

    ``start``/``end`` are local days limiting what the explorer shows (both or neither). ``on_ready(url)``
    is called with the page's address (``http://127.0.0.1:<port>/``) just before Voilà starts (the command
    line prints it). Raises ConfigError for an invalid company id, a company without saved calls, or a port
    in use.
    """
    validate_company_id(company)
    folder = config.data_dir(data_dir).resolve()
    if not (folder / company).is_dir():
        raise ConfigError(
            f"No saved data for company {company!r} in {folder}: sync calls first (notebook 01 or "
            f"`perftel run --company {company}`), or pass --data-dir.",
            field="company_id",
        )
    if not _port_free(port):
        raise ConfigError(f"Port {port} on {HOST} is in use: pass another with --port.", field="port")
    import nbformat

    with tempfile.TemporaryDirectory(prefix="perftel-dashboard-") as tmp:
        path = Path(tmp) / f"{company}.ipynb"
        nbformat.write(dashboard_notebook(company, folder, start=start, end=end), path)
        if on_ready is not None:
            on_ready(f"http://{HOST}:{port}/")
        process = subprocess.Popen(dashboard_command(path, port), cwd=tmp)
        try:  # a SIGTERM to perftel stops Voilà too (and Voilà its kernels): nothing left running
            previous = signal.signal(signal.SIGTERM, lambda *_: process.terminate())
        except ValueError:  # not the main thread: Ctrl-C only
            previous = None
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            return 0
        finally:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
