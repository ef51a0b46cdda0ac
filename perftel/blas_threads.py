"""One BLAS thread while perftel transcribes, so a call reads the same in any process.

faster-whisper computes the log-mel features with NumPy (``mel_filters @ magnitudes``), and NumPy's BLAS
(OpenBLAS) splits a matrix product over as many threads as it is allowed. Different thread counts sum in a
different order, the features differ in the last bits, and Whisper's beam search can then choose other
words for the same audio: a Dask worker (``OMP_NUM_THREADS=1``/``OPENBLAS_NUM_THREADS=1``, set by
distributed) read a sandbox call differently from the notebook's process (issue 20, found with
``tests/test_executors.py::test_pipeline_on_dask_matches_local``). Whisper's own work runs on
CTranslate2's threads (``cpu_threads``), so BLAS threads only compete with it for the cores.

:func:`one_blas_thread` holds NumPy's BLAS at one thread for the thread that transcribes. With OpenBLAS
(NumPy's wheels on PyPI) that is OpenBLAS's thread-local ``openblas_set_num_threads_local``: other threads
of the process keep their BLAS threads, and calls on several threads do not disturb each other. With
another BLAS (MKL, Accelerate) the limit is process-wide (threadpoolctl's ``threadpool_limits``), held
while any call runs and given back when the last one finishes; note that OpenBLAS ignores a process-wide
limit set from a thread other than the one that set it first, which is why the thread-local call is used
where it exists.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_holders = 0
_limit: Any = None  # threadpoolctl's process-wide limiter while some call holds it


@functools.cache
def _thread_local_setters() -> tuple[Callable[[int], int], ...]:
    """``openblas_set_num_threads_local`` of every OpenBLAS NumPy has loaded (empty without one)."""
    import numpy  # noqa: F401  (loads NumPy's BLAS, so threadpoolctl can see it)
    from threadpoolctl import ThreadpoolController

    setters = []
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        try:
            setter = ctypes.CDLL(lib.filepath).openblas_set_num_threads_local
        except (OSError, AttributeError):  # OpenBLAS before 0.3.27 has no thread-local count
            return ()
        setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
        setters.append(setter)
    return tuple(setters)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Context in which NumPy's BLAS runs matrix products on one thread for the calling thread (see the
    module's text for the OpenBLAS and other-BLAS cases); re-entrant and thread-safe, earlier limits come
    back on leaving. Source: OpenBLAS's ``openblas_set_num_threads_local`` (0.3.27+), else threadpoolctl's
    ``threadpool_limits(limits=1, user_api="blas")``."""
    setters = _thread_local_setters()
    if setters:
        before = [setter(1) for setter in setters]
        try:
            yield
        finally:
            for setter, count in zip(setters, before, strict=True):
                setter(count)
        return
    global _holders, _limit
    with _lock:
        if _holders == 0:
            from threadpoolctl import threadpool_limits

            _limit = threadpool_limits(limits=1, user_api="blas")
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _limit is not None:
                _limit.restore_original_limits()
                _limit = None
