"""The pipeline: login → fetch (and save metadata) → download → transcribe → store → update the dataset.

Reruns are cheap and safe: recordings already on disk are not downloaded again, recordings
already transcribed are not transcribed again, and nothing is written half-way. Each step
reports ``on_progress(step, current, total)``; one failing call never stops the others.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perftel.credentials import CredentialStore
from perftel.dates import DateLike, ZoneLike, last_days, utc_range
from perftel.download import DownloadedRecording, download_recordings
from perftel.errors import ConfigError, PerftelError
from perftel.executors import DaskExecutor, LocalExecutor, TranscriptionJob
from perftel.languages import canonical_language
from perftel.models import CallMetadata, Failure, PipelineResult
from perftel.progress import FETCH, LOGIN, TRANSCRIBE, CancelToken, ProgressCallback, no_progress
from perftel.providers import Provider, create_provider
from perftel.storage import CompanyStorage

if TYPE_CHECKING:
    from perftel.transcribe import Transcriber
    from perftel.whisper_settings import TranscribeOptions, WhisperSettings

log = logging.getLogger("perftel.pipeline")
INDEX = "index"


def run_pipeline(
    provider: str | Provider,
    company_id: str | None = None,
    start_date: DateLike | None = None,
    end_date: DateLike | None = None,
    *,
    days: int | None = None,
    tz: ZoneLike = None,
    answered_only: bool = False,
    download: bool = True,
    transcribe: bool = True,
    transcriber: Transcriber | None = None,
    whisper: WhisperSettings | None = None,
    language: str | Callable[[CallMetadata], str | None] | None = None,
    data_dir: str | Path | None = None,
    filename_prefix: str | None = None,
    base_url: str | None = None,
    credentials: Mapping[str, Any] | None = None,
    store: CredentialStore | None = None,
    on_progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    max_downloads: int = 4,
    executor: LocalExecutor | DaskExecutor | None = None,
) -> PipelineResult:
    """Run the whole pipeline for one company and date range.

    Args:
        provider: a provider name (``"goto_connect"``) or a ready ``Provider``.
        company_id: the tenant (taken from the ``Provider`` when one is given).
        start_date, end_date: the range, read by :func:`perftel.dates.utc_range`: a whole day
            (``"2026-11-01"``, ``date``, a datetime/Timestamp/datetime64 at midnight) is that local day, end
            day included; an explicit time is honoured. Or ``days=N``: the last N local days up to now.
        tz: the zone of those days: default the company's (``PERFTEL_TIMEZONE``, else
            ``<data_dir>/<company>/settings.toml``, else UTC). Data on disk stays UTC.
        answered_only: skip missed calls.
        download, transcribe: stop after listing / after downloading when False.
        transcriber: a ready ``Transcriber`` (its model stays loaded between runs; it carries its own
            settings); else one is made from ``whisper`` when there is something to transcribe.
        whisper: the Whisper settings (:class:`~perftel.whisper_settings.WhisperSettings`: model, device,
            compute type, threads, decoding options) of the transcriber made for this run; default
            :meth:`~perftel.whisper_settings.WhisperSettings.from_env` (the ``WHISPER_*`` settings). Giving
            it with a ``transcriber`` or ``executor`` (which carry their own) is a ConfigError. The
            company's vocabulary (``[vocabulary]`` in its settings file, :mod:`perftel.vocabulary`) is added
            as hotwords unless the options already set them (a bad one is warned about and left out); a
            privacy policy that silences audio turns word times on.
        language: pin the transcription language (``"pt"``, ``"pt-BR"``, ``"Portuguese"``), or a list to
            detect among (``"en,pt"``); None detects per call; a function of the
            :class:`~perftel.models.CallMetadata` gives each call its own. An unknown one is a ConfigError,
            raised before any work (for a function: when the call is transcribed).
        data_dir: where company folders live (default ``PERFTEL_DATA_DIR`` or ``./data``).
        filename_prefix: prefix of file names (default: the provider name).
        on_progress: called as ``(step, current, total)`` for login, fetch, download, transcribe.
        cancel: a ``CancelToken``; when set, the run stops between items and says so.
        executor: where transcription runs: ``None`` for this process, or a ``DaskExecutor`` (checked
            before any work starts: an unreachable cluster or a worker without the model is a ``ConfigError``).

    Returns:
        A ``PipelineResult`` with the calls, downloaded files, new transcriptions and failures.
    """
    if not callable(language):
        language = canonical_language(language)  # checked before any work
    if whisper is not None and (transcriber is not None or executor is not None):
        raise ConfigError(
            "Give the Whisper settings once: whisper=... makes the transcriber; a ready transcriber or "
            "executor already carries its own (Transcriber(settings), DaskExecutor(..., settings=...)).",
            field="whisper",
        )
    if isinstance(provider, Provider):
        driver, owned = provider, False
        company_id = company_id or provider.company_id
    else:
        if not company_id:
            raise ConfigError("A company id is needed.", field="company_id")
        driver = create_provider(
            provider, company_id, base_url=base_url, credentials=credentials, store=store
        )
        owned = True
    if days is None and (start_date is None or end_date is None):
        raise ConfigError("Give start_date and end_date, or days=N.", field="start_date")
    if tz is None:
        from perftel.company import company_settings

        tz = company_settings(company_id, data_dir).timezone
    if days is not None:
        start, end = last_days(days, tz=tz)
    else:
        start, end = utc_range(start_date, end_date, tz=tz)

    storage = CompanyStorage(company_id, data_dir)
    prefix = filename_prefix or driver.name
    result = PipelineResult(company_id=company_id, provider=driver.name, output_dir=storage.root / "calls")
    cancel = cancel or CancelToken()
    if executor is not None and transcribe and download:
        executor.check()
    stack = contextlib.ExitStack()
    locked = False
    try:
        # 1. login: nothing is written when the credentials do not work.
        on_progress(LOGIN, 0, 1)
        try:
            driver.login()
        except PerftelError as exc:
            result.failed.append(Failure(LOGIN, driver.name, str(exc), exc.retryable))
            return result
        on_progress(LOGIN, 1, 1)
        stack.enter_context(storage.exclusive())  # one run per company at a time; clears crash leftovers
        locked = True

        # 2. fetch: each call's detail is saved as it arrives; the listing file at the end.
        complete = _fetch(driver, storage, start, end, answered_only, result, on_progress, cancel)
        result.metadata_file = storage.save_listing(
            result.calls, prefix=prefix, provider=driver.name, start=start, end=end, complete=complete
        )
        if not download or cancel.cancelled:
            result.cancelled = cancel.cancelled
            return result

        # 3. download
        report = download_recordings(
            driver,
            result.calls,
            storage.recordings_dir,
            prefix=prefix,
            on_progress=on_progress,
            cancel=cancel,
            max_workers=max_downloads,
        )
        result.downloaded = [d.path for d in report.recordings if d.fresh]
        result.skipped_downloads = sum(not d.fresh for d in report.recordings)
        result.failed.extend(report.failures)
        if not transcribe or cancel.cancelled:
            result.cancelled = cancel.cancelled
            return result

        # 4. transcribe
        _transcribe(
            report.recordings,
            storage,
            prefix,
            result,
            on_progress,
            cancel,
            executor=executor,
            transcriber=transcriber,
            whisper=whisper,
            language=language,
            options=_company_options(
                company_id, data_dir, whisper.options if whisper else None, executor, transcriber
            ),
        )
        result.cancelled = cancel.cancelled
        return result
    finally:
        if locked:
            _update_dataset(storage, result)
        stack.close()
        if owned:
            driver.close()


def _update_dataset(storage: CompanyStorage, result: PipelineResult) -> None:
    """Bring the company's dataset up to date with the files this run wrote. The files are already
    saved: a failure here is one more ``Failure`` (step "index"), never a lost run."""
    try:
        from perftel.dataset.index import update

        report = update(storage)
    except Exception as exc:  # noqa: BLE001 - the run's files are safe; say what went wrong and go on
        log.warning("Updating the dataset failed: %s", exc)
        result.failed.append(
            Failure(
                INDEX,
                storage.company_id,
                f"dataset update failed: {exc}; run `perftel index --company ...` to retry",
                retryable=True,
            )
        )
        return
    for path, reason in report.skipped:
        result.failed.append(Failure(INDEX, path, f"not indexed: {reason}"))


def _company_options(
    company_id: str,
    data_dir: str | Path | None,
    options: TranscribeOptions | None,
    executor: LocalExecutor | DaskExecutor | None,
    transcriber: Transcriber | None,
) -> TranscribeOptions | None:
    """The options every call of this run is decoded with: the given ones plus the company's vocabulary
    (None: the executor's/transcriber's own, unchanged)."""
    from perftel.vocabulary import company_vocabulary

    vocabulary, problem = company_vocabulary(company_id, data_dir)
    base = (
        options
        or getattr(executor, "options", None)
        or getattr(getattr(executor, "transcriber", None), "options", None)
    )
    base = base or getattr(transcriber, "options", None)
    if (vocabulary is None and problem is None) or (
        base is not None and (base.hotwords or base.initial_prompt)
    ):
        return options
    if base is None:
        from perftel.whisper_settings import TranscribeOptions

        base = TranscribeOptions()
    if vocabulary is None:
        return replace(base, vocabulary_problem=problem)
    return replace(base, hotwords=vocabulary.prompt, vocabulary_source=vocabulary.source)


def _fetch(
    driver: Provider,
    storage: CompanyStorage,
    start,
    end,
    answered_only: bool,
    result: PipelineResult,
    on_progress: ProgressCallback,
    cancel: CancelToken,
) -> bool:
    on_progress(FETCH, 0, None)
    listed: set[str] = set()  # the run keeps every call anyway; a call listed twice is kept once
    try:
        for call in driver.iter_calls(start, end, answered_only=answered_only):
            if call.id in listed:
                continue
            listed.add(call.id)
            storage.save_call(call)
            result.calls.append(call)
            on_progress(FETCH, len(result.calls), None)
            if cancel.cancelled:
                return False
    except PerftelError as exc:
        result.failed.append(Failure(FETCH, f"{start:%Y-%m-%d}..{end:%Y-%m-%d}", str(exc), exc.retryable))
        return False
    finally:
        on_progress(FETCH, len(result.calls), len(result.calls))
    return True


def _transcribe(
    recordings: list[DownloadedRecording],
    storage: CompanyStorage,
    prefix: str,
    result: PipelineResult,
    on_progress: ProgressCallback,
    cancel: CancelToken,
    *,
    executor: LocalExecutor | DaskExecutor | None,
    transcriber: Transcriber | None,
    whisper: WhisperSettings | None,
    language: str | Callable[[CallMetadata], str | None] | None,
    options: TranscribeOptions | None = None,
) -> None:
    todo = [d for d in recordings if not storage.has_transcription(prefix, d.recording.id)]
    result.skipped_transcriptions = len(recordings) - len(todo)
    total = len(recordings)
    done = result.skipped_transcriptions
    on_progress(TRANSCRIBE, done, total)
    if not todo:
        return
    if executor is None:
        try:
            if transcriber is None:
                from perftel.privacy.policy import transcribe_options
                from perftel.transcribe import Transcriber
                from perftel.whisper_settings import WhisperSettings

                whisper = whisper if whisper is not None else WhisperSettings.from_env()
                if transcribe_options(storage.company_id, storage.data_dir) is not None:
                    whisper = whisper.with_options(word_timestamps=True)  # word times for audio redaction
                    if options is not None:
                        options = replace(options, word_timestamps=True)
                transcriber = Transcriber(whisper)
            executor = LocalExecutor(transcriber)
            executor.check()
        except PerftelError as exc:
            result.failed.extend(Failure(TRANSCRIBE, d.recording.id, str(exc)) for d in todo)
            return
    by_id = {d.recording.id: d for d in todo}
    jobs = [
        TranscriptionJob(
            str(d.path),
            d.recording.id,
            dict(d.recording.channel_roles),
            canonical_language(language(d.call)) if callable(language) else language,
            options=options,
        )
        for d in sorted(todo, key=lambda d: d.call.started_at)
    ]
    for job, outcome in executor.run(jobs, cancel=cancel):
        item = by_id[job.recording_id]
        if isinstance(outcome, PerftelError):
            result.failed.append(Failure(TRANSCRIBE, job.recording_id, str(outcome), outcome.retryable))
        else:
            try:
                storage.save_transcription(outcome, prefix=prefix, call=item.call)
            except (PerftelError, OSError) as exc:
                result.failed.append(Failure(TRANSCRIBE, job.recording_id, f"could not save: {exc}"))
            else:
                result.transcribed.append(outcome)
        done += 1
        on_progress(TRANSCRIBE, done, total)
