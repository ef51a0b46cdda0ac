"""Download the recordings of listed calls: bounded concurrency, resume, one failure never stops the rest."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from perftel.errors import PerftelError, RecordingNotReadyError
from perftel.models import CallMetadata, Failure, Recording
from perftel.progress import DOWNLOAD, CancelToken, ProgressCallback, no_progress
from perftel.providers.base import Provider


@dataclass
class DownloadedRecording:
    """One recording on disk: the call that lists it, the recording, its ``path`` and ``fresh`` (True when
    downloaded by this run, False when it was already there).
    """

    call: CallMetadata
    recording: Recording
    path: Path
    fresh: bool  # False when it was already on disk


@dataclass
class DownloadReport:
    """What :func:`download_recordings` did: the recordings on disk (fresh or already there), one
    :class:`~perftel.models.Failure` (step ``"download"``, item = recording id) per recording that could
    not be fetched, and whether it was cancelled before the end.
    """

    recordings: list[DownloadedRecording] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    cancelled: bool = False


def download_recordings(
    provider: Provider,
    calls: list[CallMetadata],
    output_dir: Path,
    *,
    prefix: str,
    on_progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    max_workers: int = 4,
) -> DownloadReport:
    """Fetch every recording of ``calls`` into ``output_dir`` that is not there yet.

    Files are named ``<prefix>_<recording id>.<ext>`` by the provider; a recording two calls list is
    fetched once. Up to ``max_workers`` downloads run at a time. Nothing is raised for a recording that
    fails: it becomes a ``Failure`` in the report (retryable when the provider says so or the recording
    is not ready yet). ``on_progress("download", done, total)`` counts recordings, those already on disk
    included.
    """
    report = DownloadReport()
    todo: list[tuple[CallMetadata, Recording]] = []
    listed: set[str] = set()
    for call in calls:
        for rec in call.recordings:
            if rec.id in listed:  # a recording two calls name (Twilio legs) is fetched once
                continue
            listed.add(rec.id)
            existing = provider.existing_recording(output_dir, prefix, rec.id)
            if existing is not None:
                report.recordings.append(DownloadedRecording(call, rec, existing, fresh=False))
            else:
                todo.append((call, rec))
    total = len(report.recordings) + len(todo)
    done = len(report.recordings)
    on_progress(DOWNLOAD, done, total)
    if not todo:
        return report

    def fetch(item: tuple[CallMetadata, Recording]) -> Path:
        if cancel is not None and cancel.cancelled:
            raise _Cancelled
        return provider.download_recording(item[1].id, output_dir, prefix, recording=item[1])

    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="perftel-download") as pool:
        futures = {pool.submit(fetch, item): item for item in todo}
        for future in as_completed(futures):
            call, rec = futures[future]
            try:
                path = future.result()
            except _Cancelled:
                report.cancelled = True
                continue
            except PerftelError as exc:
                later = exc.retryable or isinstance(exc, RecordingNotReadyError)
                report.failures.append(Failure("download", rec.id, str(exc), later))
            except Exception as exc:  # a bug in one download must not lose the others
                report.failures.append(Failure("download", rec.id, f"{type(exc).__name__}: {exc}"))
            else:
                report.recordings.append(DownloadedRecording(call, rec, path, fresh=True))
            done += 1
            on_progress(DOWNLOAD, done, total)
    return report


class _Cancelled(Exception):
    pass
