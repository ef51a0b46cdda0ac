"""``perftel trackers init|check``: write the example trackers file, or check and list a company's trackers.

The file itself (its format, validation and the example) is :mod:`perftel.analytics.trackers`, imported
when the command runs.
"""

from __future__ import annotations

import argparse


def cmd_trackers(args: argparse.Namespace) -> int:
    """``perftel trackers init|check --company X``: write the example file (``init``), then check and list it.

    Returns the exit code: 0 when the file is valid, 1 when it does not exist. Raises ConfigError (the CLI
    prints it, exit 2) for an invalid file (naming its line), an existing file on ``init`` without
    ``--force``, or an invalid company id.
    """
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
