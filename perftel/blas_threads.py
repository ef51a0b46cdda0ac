"""One BLAS thread while perftel transcribes, so a call reads the same in any process.

faster-whisper computes the log-mel features with NumPy (``mel_filters @ magnitudes``), and NumPy's BLAS
(OpenBLAS) splits a matrix product over as many threads as it is allowed. Different thread counts sum in a
different order, the features differ in the last bits, and Whisper's beam search can then choose other
words for the same audio: a Dask worker (``OMP_NUM_THREADS=1``/``OPENBLAS_NUM_THREADS=1``, set by
distributed) read a sandbox call differently from the notebook's process (issue 20, found with
``tests/test_executors.py::test_pipeline_on_dask_matches_local``). Whisper's own work runs on
CTranslate2's threads (``cpu_threads``), so BLAS threads only compete with it for the cores.

:func:`one_blas_thread` holds NumPy's BLAS at one thread while any call of the process is being
transcribed, and gives the earlier count back when the last one finishes (calls on several threads share
the limit; other work of the process meanwhile gets one BLAS thread too). With OpenBLAS (NumPy's wheels
on PyPI) the count is set with OpenBLAS's ``openblas_set_num_threads_local``, by every call's own thread:
process-wide in OpenBLAS's pthreads builds (NumPy's), per thread in its OpenMP builds, and obeyed from any
thread — unlike ``openblas_set_num_threads`` (threadpoolctl's way), which OpenBLAS ignores from a worker
thread once the main thread has set a count. With another BLAS (MKL, Accelerate) threadpoolctl's
``threadpool_limits`` is used.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@functools.cache
def _openblas_setters() -> tuple[Callable[[int], int], ...]:
    """``openblas_set_num_threads_local`` of every OpenBLAS NumPy has loaded (empty without one, or when an
    OpenBLAS is older than 0.3.27 and lacks it); each sets the count and returns the one before."""
    import numpy  # noqa: F401  (loads NumPy's BLAS, so threadpoolctl can see it)
    from threadpoolctl import ThreadpoolController

    setters = []
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        try:
            setter = ctypes.CDLL(lib.filepath).openblas_set_num_threads_local
        except (OSError, AttributeError):
            return ()
        setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
        setters.append(setter)
    return tuple(setters)


_lock = threading.Lock()
_holders = 0
_restore: Callable[[], None] | None = None  # gives the counts from before the first holder back


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Context in which NumPy's BLAS runs matrix products on one thread (see the module's text); re-entrant
    and safe from several threads at once: the counts from before the first holder come back when the last
    one leaves. Source: OpenBLAS's ``openblas_set_num_threads_local`` (0.3.27+), else threadpoolctl's
    ``threadpool_limits(limits=1, user_api="blas")``."""
    global _holders, _restore
    setters = _openblas_setters()
    with _lock:
        if setters:
            before = [setter(1) for setter in setters]  # every holder: per-thread counts in OpenMP builds
            if _holders == 0:
                _restore = functools.partial(_set_counts, setters, before)
        elif _holders == 0:
            from threadpoolctl import threadpool_limits

            _restore = threadpool_limits(limits=1, user_api="blas").restore_original_limits
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _restore is not None:
                _restore()
                _restore = None


def _set_counts(setters: tuple[Callable[[int], int], ...], counts: list[int]) -> None:
    """Give each OpenBLAS its thread count back."""
    for setter, count in zip(setters, counts, strict=True):
        setter(count)
