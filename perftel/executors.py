"""Where transcription runs: in this process (the default) or on a Dask cluster.

An executor takes :class:`TranscriptionJob` s and yields ``(job, result_or_error)`` as each finishes;
the pipeline stores results and reports errors the same way whichever executor ran them.

* :class:`LocalExecutor` — one model in this process, a few calls at once (``PERFTEL_TRANSCRIBE_WORKERS``).
* :class:`DaskExecutor` — one task per recording on a ``dask.distributed`` cluster. Each worker
  process builds the model once from the run's :class:`~perftel.whisper_settings.WhisperSettings` and keeps it (models cannot be pickled); audio
  reaches workers by path when they share storage with us, else as bytes. Failed tasks are retried
  (``retries``), a lost worker's tasks are rescheduled by Dask, and what still fails is reported —
  never dropped. dask is imported only here, and only when a ``DaskExecutor`` is made.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perftel.errors import ConfigError, PerftelError, TranscriptionError
from perftel.models import TranscriptionResult
from perftel.progress import CancelToken

if TYPE_CHECKING:
    import pandas as pd

    from perftel.transcribe import Transcriber
    from perftel.whisper_settings import TranscribeOptions, WhisperSettings


@dataclass(frozen=True)
class TranscriptionJob:
    """One recording to transcribe. ``audio`` carries the bytes when workers cannot read ``path``."""

    path: str
    recording_id: str
    channel_roles: dict[int, str] = field(default_factory=dict)
    language: str | None = None
    audio: bytes | None = None
    options: TranscribeOptions | None = None  # this call's decoding options (e.g. its company's vocabulary)


class LocalExecutor:
    """Transcribe in this process with one shared model, several calls at once.

    ``workers`` calls are decoded at the same time from Python threads, each with ``threads`` CTranslate2
    threads, by one model loaded with faster-whisper's ``num_workers`` (one copy of the weights). Default:
    :func:`perftel.config.transcription_concurrency` (``PERFTEL_TRANSCRIBE_WORKERS``; 2 × 1 on 2 cores).
    Results come out in job order (what finishes early waits for the jobs before it), a failing call is
    yielded as its ``PerftelError``, and after ``cancel`` no new call starts (calls already running finish
    and are yielded). A transcriber whose model is already loaded is used as it is.
    """

    def __init__(
        self, transcriber: Transcriber, *, workers: int | None = None, threads: int | None = None
    ) -> None:
        from perftel.config import transcription_concurrency

        auto_workers, auto_threads = transcription_concurrency()
        self.workers = max(1, workers or auto_workers)
        threads = threads or (auto_threads if workers is None else max(1, _cores() // self.workers))
        if (
            self.workers > 1
            and getattr(transcriber, "_whisper", True) is None
            and transcriber.num_workers < self.workers
        ):
            transcriber = transcriber.concurrent(self.workers, threads)
        self.workers = min(self.workers, getattr(transcriber, "num_workers", 1))
        self.transcriber = transcriber

    def check(self) -> None:
        """Load the model now, so a missing model fails before any work (raises ``ConfigError``)."""
        self.transcriber.initialize()

    def _one(self, job: TranscriptionJob) -> Any:
        extra = {"options": job.options} if job.options is not None else {}
        try:
            return self.transcriber.transcribe(
                job.path,
                recording_id=job.recording_id,
                channel_roles=job.channel_roles or None,
                language=job.language,
                **extra,
            )
        except PerftelError as exc:
            return exc

    def run(
        self, jobs: list[TranscriptionJob], *, cancel: CancelToken
    ) -> Iterator[tuple[TranscriptionJob, Any]]:
        """``(job, TranscriptionResult or PerftelError)`` for each job, in job order; after ``cancel`` no new
        call starts."""
        if self.workers <= 1:
            for job in jobs:
                if cancel.cancelled:
                    return
                yield job, self._one(job)
            return
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        pending: deque = deque()
        todo = iter(jobs)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="perftel-transcribe") as pool:
            try:
                yield from self._ordered(pool, todo, pending, cancel)
            finally:  # also when the caller stops reading: queued calls never start
                for _, future in pending:
                    future.cancel()

    def _ordered(
        self, pool: Any, todo: Iterator[TranscriptionJob], pending: Any, cancel: CancelToken
    ) -> Iterator[tuple[TranscriptionJob, Any]]:
        while True:
            while not cancel.cancelled and len(pending) < 2 * self.workers:  # a few queued keep all busy
                job = next(todo, None)
                if job is None:
                    break
                pending.append((job, pool.submit(self._one, job)))
            if not pending:
                return
            if cancel.cancelled:
                for _, future in pending:
                    future.cancel()  # not started yet: never starts
            job, future = pending.popleft()
            if not future.cancelled():
                yield job, future.result()  # _one turns PerftelError into a value; anything else is a bug


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# -- Dask ------------------------------------------------------------------------------------------


def _worker_name(worker: Any = None) -> str:
    try:
        from distributed import get_worker

        return (worker or get_worker()).address
    except (ImportError, ValueError, AttributeError):
        return f"{socket.gethostname()} pid {os.getpid()}"


def _worker_transcriber(settings: WhisperSettings, worker: Any = None) -> Transcriber:
    """This worker process's Transcriber for ``settings`` (the model inside is loaded once per process and
    kept). Raises ConfigError naming the worker when perftel or the model is missing there."""
    try:
        from perftel.transcribe import Transcriber
    except ImportError as exc:
        raise ConfigError(
            f"Dask worker {_worker_name(worker)} cannot import perftel's transcriber ({exc}): install "
            "perftel with faster-whisper on every worker."
        ) from exc
    transcriber = Transcriber(settings, num_workers=1)
    try:
        transcriber.initialize()
    except ConfigError as exc:
        raise ConfigError(f"Dask worker {_worker_name(worker)}: {exc}", field=exc.field) from exc
    return transcriber


def check_worker(settings: WhisperSettings, dask_worker: Any = None) -> str:
    """Run on each worker before any work: faster-whisper importable and the model loadable there.
    (``client.run`` passes ``dask_worker``.) Returns ``"ok"``; raises ConfigError naming the worker."""
    _worker_transcriber(settings, dask_worker)
    return "ok"


def transcribe_on_worker(job: TranscriptionJob, settings: WhisperSettings) -> dict[str, Any]:
    """The task: transcribe one job on whichever worker runs it with ``settings`` (``job.options``, when
    set, replace ``settings.options`` for this call); returns ``TranscriptionResult.to_dict()``."""
    transcriber = _worker_transcriber(settings)
    if job.audio is not None:
        import tempfile

        suffix = Path(job.path).suffix or ".audio"
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            handle.write(job.audio)
            handle.flush()
            result = transcriber.transcribe(
                handle.name,
                recording_id=job.recording_id,
                channel_roles=job.channel_roles or None,
                language=job.language,
                options=job.options,
            )
        result.audio_path = job.path
    else:
        result = transcriber.transcribe(
            job.path,
            recording_id=job.recording_id,
            channel_roles=job.channel_roles or None,
            language=job.language,
            options=job.options,
        )
    return result.to_dict()


class DaskExecutor:
    """Send transcription to a Dask cluster: ``DaskExecutor("tcp://host:8786")`` or ``DaskExecutor(client)``.

    Args:
        scheduler: the scheduler address, or a ready ``distributed.Client``.
        settings: what each worker loads and how it decodes (:class:`~perftel.whisper_settings.WhisperSettings`;
            default :meth:`~perftel.whisper_settings.WhisperSettings.from_env`, the ``WHISPER_*`` settings).
            ``settings.cpu_threads`` is the threads per worker's model (0: the cores the worker process may
            use; with several worker processes per machine, give cores ÷ workers).
        shared_storage: ``True`` when workers read our paths, ``False`` to send audio bytes,
            ``None`` to find out by asking one worker.
        retries: how often a failed task is tried again before it is reported.
        connect_timeout: seconds to wait for the scheduler.

    Raises:
        ConfigError: the scheduler cannot be reached (before any work starts).
    """

    def __init__(
        self,
        scheduler: str | Any,
        *,
        settings: WhisperSettings | None = None,
        shared_storage: bool | None = None,
        retries: int = 2,
        connect_timeout: float = 10.0,
    ) -> None:
        from perftel.whisper_settings import WhisperSettings

        try:
            from distributed import Client
        except ImportError as exc:
            raise ConfigError(
                "Dask is not installed: pip install 'perftel[dask]'.", field="scheduler"
            ) from exc
        self.settings = settings if settings is not None else WhisperSettings.from_env()
        self.retries = retries
        self.shared_storage = shared_storage
        if isinstance(scheduler, str):
            try:
                self.client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    f"Cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}). Check the address, "
                    "or start one with `dask scheduler` and `dask worker`.",
                    field="scheduler",
                ) from exc
            self._owns_client = True
        else:
            self.client, self._owns_client = scheduler, False

    @property
    def options(self) -> TranscribeOptions:
        """The decoding options every task uses unless its job carries its own: ``settings.options``."""
        return self.settings.options

    def close(self) -> None:
        """Close the Dask client when this executor opened it (a client given to it stays open)."""
        if self._owns_client:
            self.client.close()

    def check(self) -> None:
        """Every worker can import faster-whisper and load the model (raises ``ConfigError`` naming the worker)."""
        workers = self.client.scheduler_info().get("workers", {})
        if not workers:
            raise ConfigError(
                "The Dask cluster has no workers: start some with `dask worker <scheduler>`.",
                field="scheduler",
            )
        try:
            self.client.run(check_worker, self.settings)
        except ConfigError:
            raise
        except Exception as exc:  # a worker without perftel at all fails to unpickle the function
            raise ConfigError(
                f"A Dask worker cannot run perftel's transcriber: {type(exc).__name__}: {exc}",
                field="scheduler",
            ) from exc

    def _workers_share(self, path: str) -> bool:
        if self.shared_storage is None:
            self.shared_storage = bool(self.client.submit(os.path.exists, path, pure=False).result())
        return self.shared_storage

    def run(
        self, jobs: list[TranscriptionJob], *, cancel: CancelToken
    ) -> Iterator[tuple[TranscriptionJob, Any]]:
        """``(job, TranscriptionResult or PerftelError)`` for each job as its task finishes (any order);
        audio goes as bytes when workers cannot read our paths. After ``cancel`` the remaining tasks are
        cancelled. A task that still fails after ``retries`` is yielded as a TranscriptionError."""
        from distributed import as_completed

        if not jobs:
            return
        share = self._workers_share(jobs[0].path)
        futures = {}
        for job in jobs:
            payload = job if share else replace(job, audio=Path(job.path).read_bytes())
            future = self.client.submit(
                transcribe_on_worker,
                payload,
                self.settings,
                retries=self.retries,
                pure=False,
                key=f"perftel-{job.recording_id}-{uuid.uuid4().hex[:8]}",
            )
            futures[future] = job
        for future in as_completed(futures):
            job = futures[future]
            if cancel.cancelled:
                self.client.cancel(list(futures))
                return
            try:
                yield job, TranscriptionResult.from_dict(future.result())
            except PerftelError as exc:
                yield job, exc
            except Exception as exc:  # a worker crash that outlived the retries: reported, never dropped
                yield (
                    job,
                    TranscriptionError(
                        f"Dask task for {job.path} failed: {type(exc).__name__}: {exc}", path=job.path
                    ),
                )


# -- DataFrame users -------------------------------------------------------------------------------


def transcribe_frame(
    frame: pd.DataFrame,
    *,
    path_column: str = "path",
    settings: WhisperSettings | None = None,
    language: str | None = None,
) -> pd.DataFrame:
    """Transcribe a DataFrame of recording paths; returns it with ``text``, ``language``, ``duration``
    (seconds), ``segments`` (list of dicts, times in seconds) and ``error`` (message or None) columns.
    ``settings`` default to :meth:`~perftel.whisper_settings.WhisperSettings.from_env`; ``language``
    overrides ``settings.options.language``. Fits ``dask.dataframe.map_partitions``::

        whisper = WhisperSettings(model="base")
        ddf.map_partitions(transcribe_frame, settings=whisper, meta=transcribe_frame(ddf._meta, settings=whisper))

    A file that fails is a row with ``error`` set; a bad setting raises ConfigError.
    """
    from perftel.transcribe import create_transcriber

    out = frame.copy()
    columns = {"text": [], "language": [], "duration": [], "segments": [], "error": []}
    transcriber = create_transcriber(settings) if len(frame) else None
    for path in frame[path_column]:
        try:
            result = transcriber.transcribe(path, language=language)
        except PerftelError as exc:
            values = (None, None, None, [], str(exc))
        else:
            values = (
                result.text,
                result.language,
                result.duration,
                [s for s in result.to_dict()["segments"]],
                None,
            )
        for name, value in zip(columns, values, strict=True):
            columns[name].append(value)
    for name, values in columns.items():
        out[name] = values if len(frame) else []
    return out
