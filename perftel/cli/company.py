"""A company's own data from the command line: ``settings``, ``index``, ``export`` and ``report``."""

from __future__ import annotations

import argparse


def cmd_settings(args: argparse.Namespace) -> int:
    """``perftel settings show|set|unset``: a company's settings file (time zone, languages,
    country) and where each resolved value comes from. Raises ConfigError for an invalid value."""

    from perftel.company import company_settings, save_setting

    if args.action in ("set", "unset"):
        path = save_setting(
            args.company, args.key, args.value if args.action == "set" else None, args.data_dir
        )
        print(f"saved {path}")
    settings = company_settings(args.company, args.data_dir)
    exists = settings.path is not None and settings.path.is_file()
    print(
        f"company {settings.company_id} · settings file {settings.path}{'' if exists else ' (not created yet)'}"
    )
    print(f"  timezone:  {settings.timezone_name}")
    print(f"  languages: {', '.join(settings.languages) or '(any: detected per call)'}")
    print(f"  country:   {settings.country or '(none)'}")
    for name in sorted(settings.sections):
        print(f"  [{name}]:  {', '.join(sorted(settings.sections[name])) or '(empty)'}")
    print("  (PERFTEL_TIMEZONE, PERFTEL_LANGUAGES and PERFTEL_COUNTRY override the file)")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    """``perftel index``: bring the company's dataset up to date with its JSON files (``--rebuild``:
    from scratch); exit 1 when files were skipped."""

    from perftel.dataset import update_dataset

    report = update_dataset(args.company, args.data_dir, rebuild=args.rebuild)
    print(report.summary())
    return 0 if not report.skipped else 1


def cmd_export(args: argparse.Namespace) -> int:
    """``perftel export``: the company's tables as Parquet or CSV under ``--out``, partitioned by
    company and month."""

    from perftel.dataset import open_dataset

    with open_dataset(args.company, args.data_dir) as dataset:
        folders = dataset.export(args.out, format=args.format)
    print(f"exported {len(folders)} tables of company {args.company} to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``perftel report``: a period's HTML report and its executed notebook (papermill), from saved
    data only; never a secret in its parameters."""

    from perftel.report import build_report  # papermill + nbconvert, loaded only for this command

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
