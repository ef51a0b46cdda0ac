"""``perftel sandbox`` and ``perftel demo``: the local emulators, and the whole pipeline against one."""

from __future__ import annotations

import argparse

from perftel.cli.run import _whisper
from perftel.console import stage_display


def cmd_sandbox(args: argparse.Namespace) -> int:
    """``perftel sandbox``: serve a provider's emulator (perftel-sandbox) in the foreground until
    Ctrl-C. Raises ConfigError, saying how to install it, when perftel-sandbox is missing."""

    from perftel._sandbox import require_sandbox

    require_sandbox().serve(args.provider, port=args.port, seed=args.seed)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``perftel demo``: start the GoTo Connect sandbox and run the whole pipeline against it (company
    ``demo``); exit 0 when the only failures are recordings the sandbox keeps 'processing'."""

    from perftel.demo import run_demo

    bars = stage_display(quiet=args.quiet)
    echo = (lambda *a, **k: None) if args.quiet else print
    try:
        result = run_demo(
            days=args.days,
            data_dir=args.data_dir,
            whisper=_whisper(args),
            language=args.language,
            on_progress=bars,
            echo=echo,
        )
    finally:
        bars.close()
    print(result.summary())
    # The sandbox keeps some recordings "processing" on purpose: the demo succeeded if that is all.
    return 0 if result.only_retryable_failures and not result.cancelled else 1
