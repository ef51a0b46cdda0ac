"""``perftel trackers``: write the example trackers file, or check and list a company's trackers."""

from __future__ import annotations

import argparse
from collections.abc import Callable, MutableMapping
from typing import Any

from perftel import config


def add_trackers_command(
    sub: Any, commands: MutableMapping[str, Callable[[argparse.Namespace], int]]
) -> None:
    """Add ``perftel trackers init|check`` to the CLI's sub-commands and register its handler."""
    p = sub.add_parser("trackers", help="a company's trackers (phrases found in transcripts): init, check")
    tsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("init", "write the example trackers file (Portuguese and English) for the company"),
        ("check", "validate the company's trackers file and list its trackers"),
    ):
        c = tsub.add_parser(action, help=text)
        c.add_argument(
            "--company",
            default=config.env("PERFTEL_COMPANY", "default"),
            help="company id (default: $PERFTEL_COMPANY or 'default')",
        )
        c.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")
        if action == "init":
            c.add_argument("--force", action="store_true", help="overwrite an existing trackers file")
    commands["trackers"] = cmd_trackers


def cmd_trackers(args: argparse.Namespace) -> int:
    from perftel.analytics.trackers import init_trackers, load_trackers, trackers_path

    if args.action == "init":
        path = init_trackers(args.company, args.data_dir, force=args.force)
        print(f"wrote {path}: edit the phrases, then run `perftel trackers check --company {args.company}`")
    path = trackers_path(args.company, args.data_dir)
    trackers = load_trackers(path)  # ConfigError (with the line) is printed by the CLI
    if not path.is_file():
        print(f"{path} does not exist: `perftel trackers init --company {args.company}` writes an example")
        return 1
    print(f"{path}: {len(trackers)} trackers, valid")
    for tracker in trackers:
        limits = ", ".join(str(x) for x in (tracker.speaker, tracker.window) if x) or "anyone, whole call"
        print(f"  {tracker.name} ({limits}): {len(tracker.phrases)} phrases")
    return 0
