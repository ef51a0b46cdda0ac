"""``perftel download``, ``run`` and ``transcribe``: the pipeline from the command line, with progress."""

from __future__ import annotations

import argparse
from pathlib import Path

from perftel.cli.credentials import credential_store as _store
from perftel.console import stage_display, track
from perftel.errors import ConfigError, PerftelError
from perftel.models import Failure
from perftel.progress import TRANSCRIBE, CancelToken


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


def _whisper(args: argparse.Namespace):  # -> perftel.whisper_settings.WhisperSettings
    """The ``WhisperSettings`` of a command: ``--model``/``--device``/``--compute-type`` over the ``WHISPER_*``
    settings (:meth:`WhisperSettings.from_env`). Raises ConfigError for a bad value, before any work."""
    from perftel.whisper_settings import WhisperSettings

    return WhisperSettings.from_env(
        model=getattr(args, "model", None),
        device=getattr(args, "device", None),
        compute_type=getattr(args, "compute_type", None),
    )


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
    """``perftel download``: list calls and download their recordings, no transcription; exit 0, or 1
    when something failed (listed in the summary)."""

    return _run(args, transcribe=False)


def cmd_run(args: argparse.Namespace) -> int:
    """``perftel run``: the whole pipeline (list, download, transcribe, store); exit 0, or 1 when
    something failed (listed in the summary)."""

    return _run(args, transcribe=True)


def cmd_transcribe(args: argparse.Namespace) -> int:
    """``perftel transcribe --dir D``: transcribe every audio file in ``D`` into ``--output``
    (``<stem>.json`` + ``<stem>.txt``), keeping going past files that fail; exit 1 when any did."""

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
