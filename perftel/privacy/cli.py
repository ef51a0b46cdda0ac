"""``perftel redact --company X``: apply the company's privacy policy to the transcripts already on disk."""

from __future__ import annotations

import argparse
from collections.abc import Callable, MutableMapping
from typing import Any

from perftel import config


def add_redact_command(sub: Any, commands: MutableMapping[str, Callable[[argparse.Namespace], int]]) -> None:
    """Add ``perftel redact`` to the CLI's sub-commands and register its handler."""
    p = sub.add_parser(
        "redact",
        help="apply the company's privacy policy ([privacy] in its settings) to transcripts already on disk",
    )
    p.add_argument(
        "--company",
        default=config.env("PERFTEL_COMPANY", "default"),
        help="company id (default: $PERFTEL_COMPANY or 'default')",
    )
    p.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")
    commands["redact"] = cmd_redact


def cmd_redact(args: argparse.Namespace) -> int:
    from perftel.privacy.policy import company_policy
    from perftel.privacy.store import redact_folder
    from perftel.storage import CompanyStorage

    policy = company_policy(args.company, args.data_dir)
    storage = CompanyStorage(args.company, args.data_dir)
    if not policy.active:
        print(f"company {args.company}: the privacy policy is off ([privacy] enabled = false); nothing to do")
        return 0
    with storage.exclusive():  # no pipeline writes this company's transcripts meanwhile
        report = redact_folder(storage.transcriptions_dir, policy)
    found = ", ".join(f"{kind} {count}" for kind, count in (report.found or {}).items())
    print(
        f"company {args.company}: {report.seen} transcripts checked, {report.rewritten} rewritten "
        f"(new values found: {found}); recordings silenced: {report.audio}"
    )
    return 0
