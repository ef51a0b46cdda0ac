"""The sync form: credentials, dates, options, and Run/Cancel with one live progress bar per stage.

The pipeline runs in a worker thread; widgets are updated only through their traits from there
(never ``print`` or ``with output:`` from a thread). ``SyncForm.run()`` is what the Run button calls
and what a notebook cell calls headless; ``wait()`` blocks until the run ends.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from perftel.credentials import CredentialStore
from perftel.errors import PerftelError
from perftel.http.redact import redact_text
from perftel.models import PipelineResult
from perftel.notebook.common import guarded, log, status_html
from perftel.notebook.credentials_form import CredentialsForm
from perftel.notebook.options import DateRange, RunOptions
from perftel.progress import DOWNLOAD, FETCH, LOGIN, TRANSCRIBE, CancelToken

if TYPE_CHECKING:
    from perftel.transcribe import Transcriber
    from perftel.whisper_settings import WhisperSettings

STAGES = {FETCH: "Listing calls", DOWNLOAD: "Downloading", TRANSCRIBE: "Transcribing"}


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class StageBar:
    """One stage's bar: name, progress, "current / total · elapsed"."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.bar = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="320px"))
        self.label = w.Label("waiting")
        self.widget = w.HBox([w.Label(STAGES[step], layout=w.Layout(width="140px")), self.bar, self.label])
        self.reset()

    def reset(self) -> None:
        """Back to "waiting" (before a new run): count, total, times and outcome cleared."""
        self.current, self.total = 0, None
        self.started: float | None = None
        self.finished: float | None = None
        self.outcome = ""  # "done", "cancelled" or "failed" once the stage has ended
        self.bar.value, self.bar.max, self.bar.bar_style = 0, 1, ""
        self.label.value = "waiting"

    def update(self, current: int, total: int | None) -> None:
        """Show ``current`` of ``total`` items (``total`` None: still counting, "N found"); the stage is
        done, green, when ``current`` reaches ``total``. Elapsed time is monotonic, from the first update."""
        now = time.monotonic()
        self.started = self.started or now
        self.current, self.total = current, total
        if total is None:
            self.bar.max = max(current, 1)
            self.bar.value, self.bar.bar_style = current, "info"
        else:
            self.bar.max = max(total, 1)
            self.bar.value = current if total else 1
            if current >= total:
                self.finished, self.bar.bar_style, self.outcome = now, "success", "done"
        self.refresh()

    def refresh(self) -> None:
        """Redraw the label ("current / total · m:ss elapsed · outcome"); nothing before the first update."""
        if self.started is None:
            return
        elapsed = _clock((self.finished or time.monotonic()) - self.started)
        count = f"{self.current} found" if self.total is None else f"{self.current} / {self.total}"
        self.label.value = f"{count} · {elapsed}" + (f" · {self.outcome}" if self.outcome else "")

    def stop(self, outcome: str) -> None:
        """End a stage that had not finished: ``outcome`` is "cancelled" or "failed" (said on the bar)."""
        if self.finished is None and self.started is not None:
            self.finished, self.outcome = time.monotonic(), outcome
            self.bar.bar_style = "warning" if outcome == "cancelled" else "danger"
        elif self.started is None and outcome == "cancelled":
            self.label.value = "not started (cancelled)"
            return
        self.refresh()


class PipelineJob:
    """One pipeline run in a worker thread, feeding the stage bars; ``cancel()`` stops it cleanly."""

    def __init__(
        self,
        kwargs: dict[str, Any],
        bars: dict[str, StageBar],
        *,
        status: w.HTML,
        on_done: Callable[[PipelineJob], None],
        secrets: Callable[[], list[str]] = list,
    ) -> None:
        self.kwargs, self.bars, self.status, self.on_done = kwargs, bars, status, on_done
        self.token = CancelToken()
        self.result: PipelineResult | None = None
        self.error: str | None = None
        self.exception: BaseException | None = None
        self.secrets = secrets  # what to redact from anything shown
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="perftel-pipeline", daemon=True)
        self._ticker = threading.Thread(target=self._tick, name="perftel-progress", daemon=True)

    def start(self) -> PipelineJob:
        """Start the worker thread (the run) and the once-a-second bar ticker; returns this job."""
        self._thread.start()
        self._ticker.start()
        return self

    @property
    def running(self) -> bool:
        """True until the run has ended (done, cancelled or failed)."""
        return not self._done.is_set()

    def cancel(self) -> None:
        """Ask the run to stop after its current item (the :class:`~perftel.progress.CancelToken`); returns
        at once, the run ends on its own (see :meth:`wait`)."""
        self.token.cancel()
        self.status.value = status_html(None, "Cancelling: stopping after the current item…")

    def wait(self, timeout: float | None = None) -> PipelineResult | None:
        """Block until the run ends; the result (``None`` when it failed — see ``error``)."""
        self._thread.join(timeout)
        self._ticker.join(timeout)
        return self.result

    def on_progress(self, step: str, current: int, total: int | None) -> None:
        """The pipeline's progress callback (:mod:`perftel.progress`): the login step goes to the status line,
        the listing, download and transcription steps to their bars; other steps are ignored. Called from
        the worker thread; widgets are changed through their traits only."""
        with self._lock:
            if step == LOGIN:
                self.status.value = status_html(
                    None, "Logging in…" if current < (total or 1) else "Logged in."
                )
            elif step in self.bars:
                self.bars[step].update(current, total)

    def _work(self) -> None:
        from perftel.pipeline import run_pipeline

        try:
            self.result = run_pipeline(**self.kwargs, on_progress=self.on_progress, cancel=self.token)
        except PerftelError as exc:
            self.error, self.exception = str(exc), exc
        except Exception as exc:  # shown in plain words; the kernel goes on
            log.debug("pipeline crashed", exc_info=True)
            self.error, self.exception = f"Unexpected error ({type(exc).__name__}): {exc}", exc
        finally:
            self._done.set()
            try:
                self.on_done(self)
            except Exception:  # never let a display problem escape the thread
                log.debug("on_done failed", exc_info=True)

    def _tick(self) -> None:
        while not self._done.wait(1.0):
            with self._lock:
                for bar in self.bars.values():
                    bar.refresh()


class SyncForm:
    """Credentials, dates, options, Run/Cancel with live progress, and the run's summary."""

    def __init__(
        self,
        *,
        company: str = "",
        provider: str = "goto_connect",
        base_url: str = "",
        start: date | str | None = None,
        end: date | str | None = None,
        whisper: WhisperSettings | None = None,
        language: str = "",
        answered_only: bool = False,
        data_dir: str | Path | None = None,
        store: CredentialStore | None = None,
        transcriber: Transcriber | None = None,
        sandbox: Any = None,
    ) -> None:
        self.transcriber = (
            transcriber  # a ready one (its model stays loaded between runs); else from `whisper`
        )
        self.credentials = CredentialsForm(
            company=company, provider=provider, base_url=base_url, store=store, sandbox=sandbox
        )
        self.data_dir = data_dir
        self.dates = DateRange(start, end, tz=self._timezone)  # quick ranges end on the company's today
        self.options = RunOptions(whisper=whisper, language=language, answered_only=answered_only)
        self.job: PipelineJob | None = None
        self.error = ""
        self.run_button = w.Button(description="Run", button_style="success", icon="play")
        self.cancel_button = w.Button(description="Cancel", button_style="danger", icon="stop", disabled=True)
        self.status = w.HTML()
        self.summary = w.HTML()
        self.bars = {step: StageBar(step) for step in STAGES}
        self.run_button.on_click(guarded(self.run, self.status))
        self.cancel_button.on_click(guarded(self.cancel, self.status))
        # a "fix this first" message goes as soon as it is fixed
        for widget in (
            self.dates.start,
            self.dates.end,
            self.credentials.company,
            self.credentials.status_html,
        ):
            widget.observe(guarded(self._recheck, self.status), names="value")
        self.widget = w.VBox(
            [
                self.credentials.widget,
                w.HTML("<b>Calls to fetch</b>"),
                self.dates.widget,
                self.options.widget,
                w.HBox([self.run_button, self.cancel_button, self.status]),
                w.VBox([bar.widget for bar in self.bars.values()]),
                self.summary,
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # -- headless API ---------------------------------------------------------------------------
    def run(self) -> PipelineJob | None:
        """Check the inputs and start the pipeline in a worker thread (what the Run button does)."""
        if self.job is not None and self.job.running:
            return self.job
        self.error, self.summary.value = "", ""
        problem = self._check()
        if problem:
            self.error = problem
            self.status.value = status_html(False, problem)
            return None
        creds = self.credentials
        for bar in self.bars.values():
            bar.reset()
        kwargs = dict(
            provider=creds.provider_name,
            company_id=creds.company_id,
            start_date=self.dates.start.value,
            end_date=self.dates.end.value,
            answered_only=self.options.answered_only.value,
            whisper=self.options.whisper_settings() if self.transcriber is None else None,
            language=self._language(),
            data_dir=self.data_dir,
            base_url=creds.base_url_value,
            store=creds.store,
            transcriber=self.transcriber,
        )
        self.run_button.disabled, self.cancel_button.disabled = True, False
        self.status.value = status_html(None, "Starting…")
        self.job = PipelineJob(
            kwargs, self.bars, status=self.status, on_done=self._done, secrets=self._stored_secrets
        ).start()
        return self.job

    def wait(self, timeout: float | None = None) -> PipelineResult | None:
        """Block until the current run ends; its ``PipelineResult`` (``None`` when there was none or it failed)."""
        return self.job.wait(timeout) if self.job is not None else None

    def cancel(self) -> None:
        """What the Cancel button does: stop the current run after its current item (nothing when idle)."""
        if self.job is not None and self.job.running:
            self.cancel_button.disabled = True
            self.job.cancel()

    def _timezone(self) -> Any:
        """The company's time zone for quick ranges; None (``PERFTEL_TIMEZONE``, else UTC) while unknown."""
        from perftel.company import company_settings

        company = self.credentials.company_id
        if not company:
            return None
        try:
            return company_settings(company, self.data_dir).timezone
        except PerftelError:  # an invalid id or settings file: reported where it is filled in, and by Run
            return None

    def _recheck(self) -> None:
        """After a refused Run: say what is still wrong, or nothing once all is fixed."""
        if not self.error or (self.job is not None and self.job.running):
            return
        problem = self._check(mark=False)
        if problem != self.error:
            self.error = problem
            self.status.value = status_html(False, problem) if problem else ""

    def _language(self) -> Any:
        """The language option; empty against the local sandbox: each call pinned to its recorded language."""
        typed = self.options.language_code
        sandbox = self.credentials.sandbox
        if not typed and sandbox is not None and self.credentials.base_url_value == sandbox.base_url:
            from perftel._sandbox import require_sandbox

            return require_sandbox().language_of
        return typed

    def _check(self, *, mark: bool = True) -> str:
        problem = self.dates.validate()
        if problem:
            return "Fix the dates: " + problem
        problem = self.options.validate()
        if problem:
            return "Fix the language: " + problem
        try:
            self.options.whisper_settings()
        except PerftelError as exc:
            return "Fix the Whisper settings: " + str(exc)
        creds = self.credentials
        if creds.errors.get("provider"):
            return creds.errors["provider"]
        if not creds.company_id:
            if mark:
                creds._set_error("company_id", "Required.")
            return "Fill in the company id."
        try:
            saved = creds.store.exists(creds.company_id, creds.provider_name)
        except PerftelError as exc:
            return str(exc)
        if not saved:
            return (
                f"No saved {creds.provider.label} credentials for company {creds.company_id}: "
                "fill in the form above and press “Save and test” first."
            )
        return ""

    def _stored_secrets(self) -> list[str]:
        """This company's stored secrets, only to redact them from anything shown."""
        creds = self.credentials
        try:
            values = creds.store.load(creds.company_id, creds.provider_name)
            tokens = creds.store.tokens(creds.company_id, creds.provider_name).load()
        except PerftelError:
            return []
        secret_names = {f for f, widget in creds.fields.items() if isinstance(widget, w.Password)}
        return [v for k, v in values.items() if k in secret_names] + [
            t for t in (tokens.access_token, tokens.refresh_token) if t
        ]

    def _done(self, job: PipelineJob) -> None:
        self.run_button.disabled, self.cancel_button.disabled = False, True
        secrets = job.secrets()
        result = job.result
        if result is None:
            self.error = redact_text(job.error or "The run failed.", secrets, limit=600)
            for bar in self.bars.values():
                bar.stop("failed")
            self.status.value = status_html(False, self.error)
            return
        for bar in self.bars.values():
            bar.stop("cancelled" if result.cancelled else "failed")
        if result.cancelled:
            headline, ok = "Cancelled: what was done so far is kept; run again to go on.", None
        elif result.failed and not result.calls and any(f.step == LOGIN for f in result.failed):
            headline, ok = f"Could not log in: {result.failed[0].reason}", False
        elif result.failed:
            headline, ok = (
                (
                    f"Done, with {len(result.failed)} item(s) not processed "
                    f"({'all retried on the next run' if result.only_retryable_failures else 'see below'})."
                ),
                None if result.only_retryable_failures else False,
            )
        else:
            headline, ok = "Done.", True
        self.status.value = status_html(ok, redact_text(headline, secrets, limit=600))
        self.summary.value = f"<pre style='font-size:12px'>{html.escape(redact_text(result.summary(), secrets, limit=20_000))}</pre>"
