"""embeddings.compute: model calls never overlap, queries jump waiting passage slices, threads are capped."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from embeddings import compute
from embeddings.compute import ComputeLock, local_threads, prepare_openmp, run_locked, token_slices


def _vectors(batch: list[str]) -> np.ndarray:
    return np.array([[float(len(t)), 1.0] for t in batch], dtype=np.float32)


def test_a_waiting_query_goes_before_waiting_passages():
    lock = ComputeLock()
    order: list[str] = []
    lock.acquire()  # an ingest slice is running

    def take(name: str, urgent: bool) -> None:
        with lock.hold(urgent=urgent):
            order.append(name)

    passage = threading.Thread(target=take, args=("passage", False))
    passage.start()
    time.sleep(0.05)  # the passage slice queued first
    query = threading.Thread(target=take, args=("query", True))
    query.start()
    time.sleep(0.05)
    lock.release()
    passage.join(2)
    query.join(2)
    assert order == ["query", "passage"]


def test_plain_with_still_serialises_model_calls():
    lock = ComputeLock()
    inside = 0
    overlap = False

    def call() -> None:
        nonlocal inside, overlap
        with lock:
            inside += 1
            overlap |= inside > 1
            time.sleep(0.005)
            inside -= 1

    workers = [threading.Thread(target=call) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(5)
    assert not overlap and not lock.locked()


def test_a_query_during_a_long_passage_batch_waits_for_one_slice_not_the_batch():
    lock = ComputeLock()
    calls: list[str] = []
    slice_started = threading.Event()

    def slow(batch: list[str]) -> np.ndarray:
        calls.append(batch[0][:1])
        slice_started.set()
        time.sleep(0.02)
        return _vectors(batch)

    passages = [f"p{i}" for i in range(20)]
    slices = len(passages) // (compute.SLICE_TEXTS_PER_THREAD * 2)  # 2 threads
    ingest = threading.Thread(target=run_locked, args=(lock, slow, passages, False, 2))
    ingest.start()
    slice_started.wait(2)
    run_locked(lock, slow, ["q?"], urgent=True, threads=2)
    ingest.join(5)
    assert calls.index("q") <= 2  # at most the running slice (and one that raced it) went first
    assert len(calls) == slices + 1 and slices > 2


def test_slices_keep_input_order_and_one_row_per_text():
    texts = ["a", "bbb", "cc", "dddd", "e"]
    out = run_locked(ComputeLock(), _vectors, texts, urgent=False, threads=1)
    assert out.shape == (5, 2) and out[:, 0].tolist() == [1, 3, 2, 4, 1]


def test_token_slices_pack_short_texts_and_give_a_long_one_its_own_slice():
    # padded size = texts x longest: 4 x 250 fits 1,024, a fifth does not; 600 pairs with nothing
    assert token_slices([100, 200, 250, 250, 250, 600, 2000], 1024) == [
        slice(0, 4), slice(4, 5), slice(5, 6), slice(6, 7)
    ]
    assert token_slices([512, 512, 512], 1024) == [slice(0, 2), slice(2, 3)]
    assert token_slices([], 1024) == []


def test_passage_slices_by_tokens_hold_more_short_texts_in_order_and_within_the_budget():
    calls: list[list[str]] = []

    def record(batch: list[str]) -> np.ndarray:
        calls.append(batch)
        return _vectors(batch)

    texts = [f"t{i}" for i in range(10)]
    tokens = [60] * 8 + [512, 512]
    out = run_locked(ComputeLock(), record, texts, urgent=False, threads=2, tokens=tokens)
    assert [len(c) for c in calls] == [8, 2]  # 8 x 60 and 2 x 512 both fit 2 x 512
    assert [t for c in calls for t in c] == texts and out.shape == (10, 2)
    with pytest.raises(ValueError, match="token counts"):
        run_locked(ComputeLock(), record, texts, urgent=False, threads=2, tokens=[1])


def test_threads_default_to_the_cores_capped_and_respect_settings_and_env(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(compute, "usable_cores", lambda: 16)
    assert local_threads(None) == compute.DEFAULT_MAX_THREADS
    monkeypatch.setattr(compute, "usable_cores", lambda: 2)
    assert local_threads(None) == 2
    assert local_threads(3) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert local_threads(None) == 1


def test_openmp_waits_passively_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    prepare_openmp(2)
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE" and os.environ["OMP_NUM_THREADS"] == "2"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    prepare_openmp(2)
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
