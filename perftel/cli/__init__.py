"""The ``perftel`` command line: the twins of the notebook steps.

perftel test-connection --company acme --provider goto_connect
perftel download --company acme --days 7
perftel transcribe --dir data/acme/calls/recordings --model base
perftel run --company acme --days 7 --model base
perftel credentials set|list|delete --company acme --provider goto_connect
perftel sandbox --provider goto_connect
perftel demo
perftel index --company acme [--rebuild]
perftel export --company acme --format parquet --out exports/
perftel report --start 2026-11-01 --end 2026-11-07 --company acme
perftel trackers init|check --company acme
perftel redact --company acme
perftel dashboard --company acme

:mod:`~perftel.cli.parser` holds the options; the handlers live in :mod:`~perftel.cli.credentials`,
:mod:`~perftel.cli.run`, :mod:`~perftel.cli.sandbox`, :mod:`~perftel.cli.company`,
:mod:`~perftel.cli.trackers`, :mod:`~perftel.cli.redact` and :mod:`~perftel.cli.dashboard`; each imports
the work it calls (pandas, duckdb, Voilà, …) only when its command runs, so ``perftel --help`` stays fast.
Exit codes: 0 done, 1 something failed (listed), 2 bad input or configuration, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from perftel.cli.company import cmd_export, cmd_index, cmd_report, cmd_settings
from perftel.cli.credentials import cmd_credentials, cmd_test_connection, credential_variable
from perftel.cli.dashboard import cmd_dashboard
from perftel.cli.parser import build_parser
from perftel.cli.redact import cmd_redact
from perftel.cli.run import cmd_download, cmd_run, cmd_transcribe
from perftel.cli.sandbox import cmd_demo, cmd_sandbox
from perftel.cli.trackers import cmd_trackers
from perftel.errors import PerftelError

#: command name → handler(args) → exit code; every command ``build_parser`` defines is here
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "test-connection": cmd_test_connection,
    "download": cmd_download,
    "run": cmd_run,
    "transcribe": cmd_transcribe,
    "credentials": cmd_credentials,
    "settings": cmd_settings,
    "sandbox": cmd_sandbox,
    "demo": cmd_demo,
    "trackers": cmd_trackers,
    "redact": cmd_redact,
    "dashboard": cmd_dashboard,
    "index": cmd_index,
    "export": cmd_export,
    "report": cmd_report,
}


def main(argv: list[str] | None = None) -> int:
    """Run one ``perftel`` command (``argv`` default: ``sys.argv[1:]``); returns its exit code.

    A :class:`~perftel.errors.PerftelError` is printed as ``error: …`` on stderr (exit 2); Ctrl-C
    exits 130. Bad arguments exit 2 through argparse (``SystemExit``).
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return COMMANDS[args.command](args)
    except PerftelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


__all__ = ["COMMANDS", "build_parser", "credential_variable", "main"]
