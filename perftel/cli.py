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
perftel dashboard --company acme
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import logging
import sys
from datetime import date
from pathlib import Path

from perftel import config
from perftel.console import stage_display, track
from perftel.credentials import CredentialStore
from perftel.errors import ConfigError, PerftelError
from perftel.models import Failure
from perftel.progress import TRANSCRIBE, CancelToken
from perftel.providers import ConsentFlow, create_provider, get_provider_class, normalise_name, provider_names


def _add_company(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--company",
        default=config.env("PERFTEL_COMPANY", "default"),
        help="company id (default: $PERFTEL_COMPANY or 'default')",
    )
    parser.add_argument("--data-dir", help="data folder (default: $PERFTEL_DATA_DIR or ./data)")


def _lazy(target: str):
    """A command handler imported when the command runs (``"module:function"``), so `perftel --help` stays fast."""

    def handler(args: argparse.Namespace) -> int:
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)(args)

    return handler


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


def _whisper(args: argparse.Namespace):  # -> perftel.whisper_settings.WhisperSettings
    """The ``WhisperSettings`` of a command: ``--model``/``--device``/``--compute-type`` over the ``WHISPER_*``
    settings (:meth:`WhisperSettings.from_env`). Raises ConfigError for a bad value, before any work."""
    from perftel.whisper_settings import WhisperSettings

    return WhisperSettings.from_env(
        model=getattr(args, "model", None),
        device=getattr(args, "device", None),
        compute_type=getattr(args, "compute_type", None),
    )


def _language_arg(value: str) -> str | None:
    """``--language`` checked before any work: Whisper's code(s), or exit 2 with the valid choices."""
    from perftel.languages import canonical_language

    try:
        return canonical_language(value)
    except PerftelError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
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
    c = csub.add_parser("set", help="save credentials (asks for secrets) and test them at once")
    _add_common(c)
    c.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a non-secret value; secrets are asked for, or read from PERFTEL_<PROVIDER>_<FIELD> "
        "variables (e.g. PERFTEL_GOTO_CONNECT_CLIENT_SECRET)",
    )
    c.add_argument("--no-test", action="store_true", help="do not test the connection after saving")
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


def main(argv: list[str] | None = None) -> int:
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


def _store(args: argparse.Namespace) -> CredentialStore:
    return CredentialStore(getattr(args, "config_dir", None))


def cmd_test_connection(args: argparse.Namespace) -> int:
    with create_provider(args.provider, args.company, base_url=args.base_url, store=_store(args)) as provider:
        status = provider.test_connection()
    print(("ok: " if status.success else "failed: ") + status.message)
    return 0 if status.success else 1


def _range(args: argparse.Namespace) -> dict:
    """The run's range: local days in ``--timezone`` or the company's zone (read by perftel.dates)."""
    tz = {"tz": args.timezone} if getattr(args, "timezone", None) else {}
    if args.start or args.end:
        if not (args.start and args.end):
            raise ConfigError("Give both --start and --end (or --days N).", field="start_date")
        if args.days is not None:
            raise ConfigError("Give --start/--end or --days, not both.", field="days")
        return {"start_date": args.start, "end_date": args.end, **tz}
    return {"days": 7 if args.days is None else args.days, **tz}


def _run(args: argparse.Namespace, *, transcribe: bool) -> int:
    from perftel.pipeline import run_pipeline

    whisper = _whisper(args) if transcribe else None
    executor = None
    if getattr(args, "scheduler", None):
        from perftel.executors import DaskExecutor

        executor = DaskExecutor(args.scheduler, settings=whisper)
    bars = stage_display(quiet=args.quiet)
    cancel = CancelToken()
    try:
        result = run_pipeline(
            args.provider,
            args.company,
            **_range(args),
            answered_only=args.answered_only,
            transcribe=transcribe,
            whisper=whisper if executor is None else None,  # the executor carries them
            language=getattr(args, "language", None),
            data_dir=args.data_dir,
            base_url=args.base_url,
            store=_store(args),
            on_progress=bars,
            cancel=cancel,
            executor=executor,
        )
    finally:
        bars.close()
        if executor is not None:
            executor.close()
    print(result.summary())
    return 0 if not result.failed else 1


def cmd_download(args: argparse.Namespace) -> int:
    return _run(args, transcribe=False)


def cmd_run(args: argparse.Namespace) -> int:
    return _run(args, transcribe=True)


def cmd_transcribe(args: argparse.Namespace) -> int:
    from perftel.audio import find_audio_files
    from perftel.storage import write_transcription
    from perftel.transcribe import create_transcriber

    folder: Path = args.dir
    if not folder.is_dir():
        raise PerftelError(f"{folder} is not a folder.")
    output = args.output or (folder.parent / "transcriptions" if folder.name == "recordings" else folder)
    failures: list[Failure] = []
    files, not_audio = find_audio_files(folder)
    for probe in not_audio:  # a file named as audio that does not decode is a failure; anything else is noise
        if probe.claims_audio:
            failures.append(Failure("transcribe", probe.path.name, probe.reason))
    ignored = [p for p in not_audio if not p.claims_audio]
    if ignored:
        print(f"skipped {len(ignored)} file(s) that are not audio:")
        for probe in ignored:
            print(f"  - {probe.path.name}: {probe.reason}")
    if not files:
        print(f"No audio files in {folder}.")
        for failure in failures:
            print(f"  - {failure.item}: {failure.reason}")
        return 0 if not failures else 1
    transcriber = create_transcriber(_whisper(args))
    transcriber.initialize()
    done = skipped = 0
    outside: list[str] = []
    display = stage_display(quiet=args.quiet, units={TRANSCRIBE: "files"})
    for path in track(files, display, TRANSCRIBE):
        json_path, txt_path = output / f"{path.stem}.json", output / f"{path.stem}.txt"
        if json_path.exists() and not args.force:
            skipped += 1
            continue
        try:
            result = transcriber.transcribe(path, language=args.language)
            write_transcription(result, json_path, txt_path)
            done += 1
            if result.language_outside_list:
                outside.append(f"{path.name} ({result.language})")
        except PerftelError as exc:
            failures.append(Failure("transcribe", path.name, str(exc)))
    print(f"transcribed {done}, already done {skipped}, failed {len(failures)} → {output}")
    if outside:
        print(
            f"outside the language list {args.language}, transcribed in their own language: {', '.join(outside)}"
        )
    for failure in failures:
        print(f"  - {failure.item}: {failure.reason}")
    return 0 if not failures else 1


def cmd_credentials(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.action == "list":
        infos = store.list(args.company)
        if not infos:
            print("No credentials saved.")
        for info in infos:
            print(
                f"{info.company_id:20} {info.provider:14} fields: {', '.join(info.fields) or '-':40} "
                f"tokens: {'yes' if info.has_tokens else 'no ':3}  saved {info.created_at}  updated {info.updated_at}"
            )
        return 0
    name = normalise_name(args.provider)
    if args.action == "delete":
        print(
            "deleted" if store.delete(args.company, name) else "nothing saved for that company and provider"
        )
        return 0
    return _credentials_set(args, store, name)


def credential_variable(provider: str, field: str) -> str:
    """The environment variable ``credentials set`` reads a field from: ``PERFTEL_<PROVIDER>_<FIELD>``,
    e.g. ``PERFTEL_GOTO_CONNECT_CLIENT_SECRET`` (one provider's, never two providers' at once)."""
    return f"PERFTEL_{provider.upper()}_{field.upper()}"


def _credentials_set(args: argparse.Namespace, store: CredentialStore, name: str) -> int:
    cls = get_provider_class(name)
    given = dict(item.split("=", 1) for item in args.field if "=" in item)
    values: dict[str, str] = {}
    for field in cls.credential_fields:
        env_value = config.env(credential_variable(name, field.name))
        value = given.get(field.name) or env_value
        if value is None and sys.stdin.isatty():
            prompt = f"{field.label}{'' if field.required else ' (optional)'}: "
            value = getpass.getpass(prompt) if field.secret else input(prompt)
        if value:
            values[field.name] = value.strip()
    cls.check_credentials(values)
    store.save(args.company, name, values)
    print(f"saved {cls.display_name} credentials for company {args.company} (encrypted in {store.root})")
    provider = create_provider(name, args.company, base_url=args.base_url, store=store)
    with provider:
        if not values.get("refresh_token") and isinstance(provider, ConsentFlow):
            print(
                "One-time consent: open this link, approve access, then paste the address you were sent to."
            )
            print(provider.authorization_url())
            provider.complete_authorization(input("Redirected URL (or code): "))
        if args.no_test:
            return 0
        status = provider.test_connection()
    print(("ok: " if status.success else "failed: ") + status.message)
    return 0 if status.success else 1


def cmd_settings(args: argparse.Namespace) -> int:
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


def cmd_sandbox(args: argparse.Namespace) -> int:
    from perftel._sandbox import require_sandbox

    require_sandbox().serve(args.provider, port=args.port, seed=args.seed)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
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


def cmd_index(args: argparse.Namespace) -> int:
    from perftel.dataset import update_dataset

    report = update_dataset(args.company, args.data_dir, rebuild=args.rebuild)
    print(report.summary())
    return 0 if not report.skipped else 1


def cmd_export(args: argparse.Namespace) -> int:
    from perftel.dataset import open_dataset

    with open_dataset(args.company, args.data_dir) as dataset:
        folders = dataset.export(args.out, format=args.format)
    print(f"exported {len(folders)} tables of company {args.company} to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
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


COMMANDS = {
    "test-connection": cmd_test_connection,
    "download": cmd_download,
    "run": cmd_run,
    "transcribe": cmd_transcribe,
    "credentials": cmd_credentials,
    "settings": cmd_settings,
    "sandbox": cmd_sandbox,
    "demo": cmd_demo,
    "trackers": _lazy("perftel.analytics.cli:cmd_trackers"),
    "redact": _lazy("perftel.privacy.cli:cmd_redact"),
    "dashboard": _lazy("perftel.dashboard:cmd_dashboard"),
    "index": cmd_index,
    "export": cmd_export,
    "report": cmd_report,
}

if __name__ == "__main__":
    raise SystemExit(main())
