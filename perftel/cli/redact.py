"""``perftel redact --company X``: apply the company's privacy policy to the transcripts already on disk.

The work is :func:`perftel.privacy.store.redact_folder` under the company's lock; the policy is
:func:`perftel.privacy.policy.company_policy` (its ``[privacy]`` settings). Both are imported when the
command runs.
"""

from __future__ import annotations

import argparse


def cmd_redact(args: argparse.Namespace) -> int:
    """``perftel redact --company X``: apply the company's privacy policy to its transcripts on disk.

    Waits for any running pipeline of the company (:meth:`CompanyStorage.exclusive`), then rewrites what
    the policy finds and prints counts (kinds found, never the values). Returns 0. Raises ConfigError for
    an invalid policy file or company id.
    """
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
