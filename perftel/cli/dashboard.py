"""``perftel dashboard``: serve one company's call explorer as a local web page (Voilà on 127.0.0.1).

The serving itself is :func:`perftel.dashboard.serve_dashboard`, imported when the command runs; this
module passes it the parsed options and prints where the page is.
"""

from __future__ import annotations

import argparse


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``perftel dashboard --company X [--port 8866] [--start D --end D]``: serve until Ctrl-C.

    ``--start``/``--end`` are local days (:class:`datetime.date`) limiting what the explorer shows. Prints
    the page's address once Voilà is starting. Returns Voilà's exit code (0 after Ctrl-C). Raises
    ConfigError (exit 2) for an invalid company id, a company without saved calls, or a port in use.
    """
    from perftel.dashboard import serve_dashboard

    def announce(url: str) -> None:
        print(
            f"perftel dashboard for {args.company}: {url}  (this machine only; Ctrl-C stops it)", flush=True
        )

    return serve_dashboard(
        args.company,
        data_dir=args.data_dir,
        port=args.port,
        start=args.start,
        end=args.end,
        on_ready=announce,
    )
