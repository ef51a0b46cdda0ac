"""perftel.blas_threads: a transcribing thread computes NumPy products on one BLAS thread, bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import perftel.blas_threads as blas_threads
from perftel.blas_threads import one_blas_thread

# the product faster-whisper computes its log-mel features with, over a 30 s window
RNG = np.random.default_rng(7)
FILTERS, MAGNITUDES = RNG.random((80, 201), np.float32), RNG.random((201, 3000), np.float32)


@pytest.fixture(params=["openblas", "threadpoolctl"])
def way(request, monkeypatch):
    if request.param == "threadpoolctl":  # a BLAS without OpenBLAS's own setter (MKL, Accelerate)
        monkeypatch.setattr(blas_threads, "_openblas_setters", lambda: ((), True))
    elif not blas_threads._openblas_setters()[0]:
        pytest.fail("NumPy's BLAS here is not an OpenBLAS with openblas_set_num_threads_local (0.3.27+)")
    return request.param


def test_openblas_own_setter_is_there_with_numpys_wheel():
    setters, process_wide = blas_threads._openblas_setters()
    assert setters, "NumPy's OpenBLAS should offer openblas_set_num_threads_local"
    assert process_wide  # NumPy's wheels: OpenBLAS built with pthreads (one count for the process)


def test_the_features_are_those_of_one_thread_whatever_the_limit_before(way):
    with threadpool_limits(limits=1, user_api="blas"):
        one = FILTERS @ MAGNITUDES
    with threadpool_limits(limits=2, user_api="blas"):
        with one_blas_thread():
            assert np.array_equal(FILTERS @ MAGNITUDES, one)
            with one_blas_thread():  # re-entrant
                assert np.array_equal(FILTERS @ MAGNITUDES, one)
            assert np.array_equal(FILTERS @ MAGNITUDES, one)
        two = FILTERS @ MAGNITUDES  # the earlier limit is back (on one core, two threads give one's bits)
        with threadpool_limits(limits=2, user_api="blas"):
            assert np.array_equal(FILTERS @ MAGNITUDES, two)


def test_calls_on_worker_threads_after_the_main_thread_set_a_limit():
    """What a notebook does: the main thread (or a library) sets BLAS threads, then the pipeline
    transcribes two calls on worker threads; each must compute on one BLAS thread the whole time, also
    after the other call has finished (OpenBLAS ignores threadpoolctl's limit from a worker thread then,
    and its count is process-wide in NumPy's build: the first call to leave must not lift it)."""
    with threadpool_limits(limits=1, user_api="blas"):
        one = FILTERS @ MAGNITUDES
    both_inside, first_left = threading.Barrier(2), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with one_blas_thread():
            both_inside.wait(timeout=60)
            seen["first"] = np.array_equal(FILTERS @ MAGNITUDES, one)
        first_left.set()

    def second() -> None:
        with one_blas_thread():
            both_inside.wait(timeout=60)
            first_left.wait(timeout=60)
            seen["second, after the first left"] = np.array_equal(FILTERS @ MAGNITUDES, one)

    with threadpool_limits(limits=2, user_api="blas"):
        workers = [threading.Thread(target=first), threading.Thread(target=second)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert seen == {"first": True, "second, after the first left": True}
        with threadpool_limits(limits=2, user_api="blas"):
            two = FILTERS @ MAGNITUDES
        assert np.array_equal(FILTERS @ MAGNITUDES, two)  # the count from before is back
