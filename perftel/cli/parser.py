"""The ``perftel`` argument parser: every command, its options and their help.

The handlers are in :data:`perftel.cli.COMMANDS`; :func:`perftel.cli.main` runs the one named.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from perftel import config
from perftel.errors import PerftelError
from perftel.providers import provider_names


def _add_company(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--company",
        default=config.env("PERFTEL_COMPANY", "default"),
        help="company id (default: $PERFTEL_COMPANY or 'default')",
    )
    parser.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")


def _add_common(parser: argparse.ArgumentParser, *, provider: bool = True) -> None:
    parser.add_argument(
        "--company",
        default=config.env("PERFTEL_COMPANY", "default"),
        help="company id (default: $PERFTEL_COMPANY or 'default')",
    )
    if provider:
        parser.add_argument(
            "--provider",
            default=config.env("PERFTEL_PROVIDER", "goto_connect"),
            help=f"one of {', '.join(provider_names())} (default: $PERFTEL_PROVIDER or goto_connect)",
        )
        parser.add_argument("--base-url", help="API base URL override (a sandbox or proxy)")
    parser.add_argument("--config-dir", help="credential store folder (default: $PERFTEL_CONFIG_DIR)")


def _add_range(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days", type=int, help="the last N local days, today included (default 7 unless --start/--end)"
    )
    parser.add_argument(
        "--start", help="first day, YYYY-MM-DD (a local day), or an ISO time such as 2026-11-01T09:00"
    )
    parser.add_argument("--end", help="last day, YYYY-MM-DD (included), or an ISO time (excluded)")
    parser.add_argument(
        "--timezone",
        help="IANA zone of those days, e.g. America/Sao_Paulo "
        "(default: $PERFTEL_TIMEZONE, else the company's settings, else UTC)",
    )
    parser.add_argument("--answered-only", action="store_true", help="skip missed calls")
    parser.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress, only the summary and errors (without it: bars on a terminal, "
        "one plain line per stage when the output is a file or a pipe)",
    )


def _add_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="Whisper model size or directory (default: $WHISPER_MODEL or base)")
    parser.add_argument("--device", help="cpu or cuda (default: $WHISPER_DEVICE or cpu)")
    parser.add_argument(
        "--compute-type", help="int8, float16, float32 (default: $WHISPER_COMPUTE_TYPE or int8)"
    )
    parser.add_argument(
        "--language",
        type=_language_arg,
        help="pin the language (pt, pt-BR, Portuguese), or detect among a list (en,pt); "
        "default: detect per call",
    )


def _language_arg(value: str) -> str | None:
    """``--language`` checked before any work: Whisper's code(s), or exit 2 with the valid choices."""
    from perftel.languages import canonical_language

    try:
        return canonical_language(value)
    except PerftelError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The ``perftel`` parser: ``args.command`` names the command (a key of ``perftel.cli.COMMANDS``),
    ``args.action`` the sub-action of ``credentials``, ``settings`` and ``trackers``. Bad input makes
    ``parse_args`` exit 2 with the valid choices."""
    parser = argparse.ArgumentParser(
        prog="perftel", description="Call metadata, recordings and local transcripts."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log HTTP retries and details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("test-connection", help="check a company's provider credentials")
    _add_common(p)

    p = sub.add_parser("download", help="list calls and download recordings (no transcription)")
    _add_common(p)
    _add_range(p)
    _add_quiet(p)

    p = sub.add_parser("run", help="the whole pipeline: list, download, transcribe")
    _add_common(p)
    _add_range(p)
    _add_model(p)
    _add_quiet(p)
    p.add_argument(
        "--scheduler", help="transcribe on a Dask cluster, e.g. tcp://host:8786 (default: this machine)"
    )

    p = sub.add_parser("transcribe", help="transcribe every audio file in a folder")
    p.add_argument("--dir", required=True, type=Path, help="folder with audio files")
    p.add_argument(
        "--output",
        type=Path,
        help="where .json/.txt go (default: the sibling 'transcriptions' "
        "folder for a 'recordings' folder, else --dir)",
    )
    p.add_argument(
        "--force", action="store_true", help="transcribe again files that already have a transcript"
    )
    _add_model(p)
    _add_quiet(p)

    p = sub.add_parser("credentials", help="save, list or delete a company's provider credentials")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = csub.add_parser(
        "set",
        help="test the credentials (asks for secrets), then save them encrypted; nothing is saved on failure",
    )
    _add_common(c)
    c.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a non-secret value; secrets are asked for, or read from PERFTEL_<PROVIDER>_<FIELD> "
        "variables (e.g. PERFTEL_GOTO_CONNECT_CLIENT_SECRET)",
    )
    c.add_argument(
        "--replace", action="store_true", help="overwrite the credentials already saved for this company"
    )
    c.add_argument(
        "--no-test",
        action="store_true",
        help="save without contacting the provider (no test, no one-time consent); "
        "check later with `perftel test-connection`",
    )
    c = csub.add_parser("list", help="list saved credentials (names and dates, never secrets)")
    c.add_argument("--company", help="only this company")
    c.add_argument("--config-dir")
    c = csub.add_parser("delete", help="delete a company's credentials for a provider")
    _add_common(c)

    p = sub.add_parser("settings", help="show or change a company's settings (time zone, languages, country)")
    ssub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("show", "print the resolved settings and where each comes from"),
        ("set", "set one setting, e.g. timezone America/Sao_Paulo or languages pt,en"),
        ("unset", "remove one setting from the company's file"),
    ):
        c = ssub.add_parser(action, help=text)
        c.add_argument(
            "--company",
            default=config.env("PERFTEL_COMPANY", "default"),
            help="company id (default: $PERFTEL_COMPANY or 'default')",
        )
        c.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")
        if action != "show":
            c.add_argument("key", choices=("timezone", "languages", "country"))
        if action == "set":
            c.add_argument("value")

    p = sub.add_parser("sandbox", help="run a provider's local emulator")
    p.add_argument("--provider", default="goto_connect")
    p.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    p.add_argument("--seed", type=int, default=7)

    p = sub.add_parser("demo", help="start the GoTo sandbox and run the whole pipeline against it")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--data-dir", type=Path, default=None, help="default: ./data")
    _add_model(p)
    _add_quiet(p)

    p = sub.add_parser(
        "index", help="bring the company's dataset (its calls as tables) up to date with its files"
    )
    _add_common(p, provider=False)
    p.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the dataset from the JSON files alone")

    p = sub.add_parser(
        "export", help="write the company's tables as Parquet or CSV, partitioned by company and month"
    )
    _add_common(p, provider=False)
    p.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--out", required=True, type=Path, help="destination folder")

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

    p = sub.add_parser("trackers", help="a company's trackers (phrases found in transcripts): init, check")
    tsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("init", "write the example trackers file (Portuguese and English) for the company"),
        ("check", "validate the company's trackers file and list its trackers"),
    ):
        c = tsub.add_parser(action, help=text)
        _add_company(c)
        if action == "init":
            c.add_argument("--force", action="store_true", help="overwrite an existing trackers file")

    p = sub.add_parser(
        "redact",
        help="apply the company's privacy policy ([privacy] in its settings) to transcripts already on disk",
    )
    _add_company(p)

    p = sub.add_parser("dashboard", help="the call explorer as a local web page, code hidden (Voilà)")
    _add_company(p)
    p.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    p.add_argument(
        "--start", type=date.fromisoformat, help="first day shown, YYYY-MM-DD (default: the first)"
    )
    p.add_argument("--end", type=date.fromisoformat, help="last day shown, YYYY-MM-DD (default: the last)")
    return parser
