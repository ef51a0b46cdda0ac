"""How the command line shows a run's progress: bars on a terminal, plain lines in a log, or nothing.

:func:`stage_display` picks one from where the output goes; each is an ``on_progress(step, current,
total)`` callback (see :mod:`perftel.progress`) with a ``close()``:

* a terminal: one tqdm bar per stage, closed when its stage ends, so its elapsed time is the stage's
  own (not the whole run's);
* a pipe or a file (``perftel run … 2> log``): one plain line per finished stage, e.g.
  ``listing calls: 33 calls in 4.6 s`` — no carriage returns, no cursor movements;
* ``--quiet``: nothing.

A stage ends when ``current == total``, when the next stage starts, or at ``close()`` (then it says
``stopped``: a cancelled or failed run). Login is not shown (the summary says when it failed).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from perftel.progress import FETCH, LOGIN, STEPS

_T = TypeVar("_T")

STAGE_LABELS = {FETCH: "listing calls", "download": "downloading", "transcribe": "transcribing"}
STAGE_UNITS = {FETCH: "calls", "download": "recordings", "transcribe": "recordings"}


@dataclass
class _Stage:
    step: str
    label: str
    unit: str
    started: float
    current: int = 0
    total: int | None = None
    bar: Any = None
    ended: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class StageDisplay:
    """The base display: tracks stages (start time, counts, end); shows nothing. Thread-safe.

    Args:
        stream: where to write (default ``sys.stderr``).
        units: unit per step, overriding :data:`STAGE_UNITS` (e.g. ``{"transcribe": "files"}``).
        clock: seconds, monotonic (tests pass a fake one).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        units: dict[str, str] | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.units = {**STAGE_UNITS, **(units or {})}
        self._clock = clock
        self._stages: dict[str, _Stage] = {}
        self._lock = threading.Lock()

    def __call__(self, step: str, current: int, total: int | None) -> None:
        """The ``on_progress(step, current, total)`` callback: start, update or end the display of ``step``.

        A new step ends the stage before it; ``current == total`` ends this one; login is ignored.
        """
        if step == LOGIN:
            return
        with self._lock:
            stage = self._stages.get(step)
            if stage is None:
                for other in self._stages.values():  # stages run one after the other
                    if not other.ended:
                        self._end(other, stopped=False)
                stage = _Stage(
                    step,
                    STAGE_LABELS.get(step, step),
                    self.units.get(step, "items"),
                    self._clock(),
                    current,
                    total,
                )
                self._stages[step] = stage
                self._start(stage)
            if stage.ended:
                return
            stage.current, stage.total = current, total
            if total is not None and current >= total:
                self._end(stage, stopped=False)
            else:
                self._update(stage)

    def close(self) -> None:
        """End the stages still open (a stopped run)."""
        with self._lock:
            for step in sorted(self._stages, key=lambda s: STEPS.index(s) if s in STEPS else len(STEPS)):
                stage = self._stages[step]
                if not stage.ended:
                    self._end(stage, stopped=True)

    def _end(self, stage: _Stage, *, stopped: bool) -> None:
        stage.ended = True
        self._finish(stage, self._clock() - stage.started, stopped)

    # what the subclasses show
    def _start(self, stage: _Stage) -> None:
        pass

    def _update(self, stage: _Stage) -> None:
        pass

    def _finish(self, stage: _Stage, seconds: float, stopped: bool) -> None:
        pass


class PlainStages(StageDisplay):
    """One line per stage when it ends: ``downloading: 19/19 recordings in 12.0 s``."""

    def _finish(self, stage: _Stage, seconds: float, stopped: bool) -> None:
        # a listing's total is only its count once it ends: "33 calls", not "33/33 calls"
        count = (
            f"{stage.current}"
            if stage.total is None or stage.step == FETCH
            else f"{stage.current}/{stage.total}"
        )
        self.stream.write(
            f"{stage.label}: {count} {stage.unit} in {seconds:.1f} s{' (stopped)' if stopped else ''}\n"
        )
        self.stream.flush()


class TerminalBars(StageDisplay):
    """One tqdm bar per stage; each is closed as its stage ends, so it keeps the stage's own time."""

    BAR = "{desc:<14} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit} [{elapsed_s:.1f} s]"
    COUNT = "{desc:<14} {n_fmt} {unit} [{elapsed_s:.1f} s]"  # a listing: its total is only known at the end

    def _start(self, stage: _Stage) -> None:
        from tqdm import tqdm

        stage.bar = tqdm(
            desc=stage.label,
            total=None if stage.step == FETCH else stage.total,
            initial=stage.current,
            unit=stage.unit,
            leave=True,
            dynamic_ncols=True,
            file=self.stream,
            bar_format=self._format(stage),
            mininterval=0.1,
        )

    def _format(self, stage: _Stage) -> str:
        return self.COUNT if stage.total is None or stage.step == FETCH else self.BAR

    def _update(self, stage: _Stage) -> None:
        bar = stage.bar
        bar.bar_format = self._format(stage)
        if stage.total is not None and stage.step != FETCH and bar.total != stage.total:
            bar.total = stage.total
        bar.n = stage.current
        bar.refresh()

    def _finish(self, stage: _Stage, seconds: float, stopped: bool) -> None:
        self._update(stage)
        if stopped:
            stage.bar.set_description_str(f"{stage.label} (stopped)", refresh=False)
        stage.bar.close()


def stage_display(
    *, quiet: bool = False, stream: TextIO | None = None, units: dict[str, str] | None = None
) -> StageDisplay:
    """The display for ``stream`` (default ``sys.stderr``): nothing when ``quiet``, bars on a terminal,
    plain lines otherwise."""
    stream = stream if stream is not None else sys.stderr
    if quiet:
        return StageDisplay(stream, units=units)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty() and _has_width(stream):
        return TerminalBars(stream, units=units)
    return PlainStages(stream, units=units)


def _has_width(stream: TextIO) -> bool:
    """False for a terminal that reports 0 columns (a bare pseudo-terminal): bars would draw nothing."""
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):  # no file descriptor (e.g. a test's stream): assume a width
        return True


def track(items: Sequence[_T], display: StageDisplay, step: str) -> Iterator[_T]:
    """Yield ``items`` while ``display`` shows them as stage ``step``; the display is closed at the end
    (also when the loop stops early)."""
    try:
        for number, item in enumerate(items):
            display(step, number, len(items))
            yield item
        display(step, len(items), len(items))
    finally:
        display.close()
