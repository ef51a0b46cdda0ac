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


@pytest.fixture(params=["thread-local", "process-wide"])
def way(request, monkeypatch):
    if request.param == "process-wide":  # a BLAS without OpenBLAS's thread-local count
        monkeypatch.setattr(blas_threads, "_thread_local_setters", lambda: ())
    elif not blas_threads._thread_local_setters():
        pytest.fail("NumPy's BLAS here is not an OpenBLAS with openblas_set_num_threads_local (0.3.27+)")
    return request.param


def test_the_thread_local_way_is_there_with_numpys_wheel():
    assert blas_threads._thread_local_setters(), (
        "NumPy's OpenBLAS should offer openblas_set_num_threads_local"
    )


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
    transcribes on worker threads; each call must still compute on one BLAS thread (OpenBLAS ignores a
    process-wide limit set from a worker thread then: the reason for the thread-local way)."""
    with threadpool_limits(limits=1, user_api="blas"):
        one = FILTERS @ MAGNITUDES
    entered = threading.Barrier(2)
    seen: list[bool] = []

    def call() -> None:
        with one_blas_thread():
            entered.wait(timeout=60)
            seen.append(np.array_equal(FILTERS @ MAGNITUDES, one))

    with threadpool_limits(limits=2, user_api="blas"):
        workers = [threading.Thread(target=call) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert seen == [True, True]
