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

_SETTER_NAMES = (  # OpenBLAS's thread-count setter, as NumPy's and other builds export it
    "openblas_set_num_threads_local",
    "scipy_openblas_set_num_threads_local64_",
    "scipy_openblas_set_num_threads_local",
)


@functools.cache
def _openblas_setters() -> tuple[tuple[Callable[[int], int], ...], bool]:
    """(``openblas_set_num_threads_local`` of every OpenBLAS loaded that has it, whether all of those count
    threads process-wide — pthreads builds, like NumPy's — rather than per thread — OpenMP builds). Each
    setter sets the count and returns the one before. An OpenBLAS older than 0.3.27 has none."""
    import numpy  # noqa: F401  (loads NumPy's BLAS, so threadpoolctl can see it)
    from threadpoolctl import ThreadpoolController

    setters, process_wide = [], True
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        try:
            library = ctypes.CDLL(lib.filepath)
        except OSError:
            continue
        setter = next((getattr(library, n) for n in _SETTER_NAMES if hasattr(library, n)), None)
        if setter is None:
            continue
        setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
        setters.append(setter)
        process_wide = process_wide and getattr(lib, "threading_layer", "pthreads") != "openmp"
    return tuple(setters), process_wide


_lock = threading.Lock()
_holders = 0
_restore: Callable[[], None] | None = None  # gives the counts from before the first holder back


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Context in which NumPy's BLAS runs matrix products on one thread (see the module's text); re-entrant
    and safe from several threads at once. Where the count is process-wide (OpenBLAS's pthreads builds,
    threadpoolctl's limit) the count from before the first holder comes back when the last one leaves;
    where it is per thread (OpenBLAS's OpenMP builds) each holder gives its own thread's count back.
    Source: OpenBLAS's ``openblas_set_num_threads_local`` (0.3.27+), else threadpoolctl's
    ``threadpool_limits(limits=1, user_api="blas")``."""
    global _holders, _restore
    setters, process_wide = _openblas_setters()
    if setters and not process_wide:
        before = [setter(1) for setter in setters]
        try:
            yield
        finally:
            _set_counts(setters, before)
        return
    with _lock:
        if setters:
            before = [setter(1) for setter in setters]
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
