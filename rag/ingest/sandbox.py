"""Parse files in a long-lived worker process, each file under a wall-clock deadline and a memory ceiling.

PDF, .docx and HTML parsers are large C and Python libraries, and a hostile file can make one
loop, recurse or allocate without end. Files are parsed in a forked worker kept by pebble's
``ProcessPool``: it kills the worker at a file's deadline and when it crashes, and starts a new
one for the next file. Before each file the worker lowers its own limits: it may map at most
``memory_mb`` more than it maps now (``RLIMIT_AS``), and use ``timeout_s`` more CPU seconds
(should the parent die, no orphan loops for ever). The parent only ever gets the result back,
or a :class:`LoadError` whose reason says which limit was hit.

One worker serves a whole ingest: forking a process that holds the embedding model costs
about 40 ms a file, more than parsing a report. Where ``os.fork`` does not exist, files are
parsed in-process.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from rag.ingest.loaded import LoadError
from rag.proc_status import proc_status_kib

logger = logging.getLogger(__name__)

T = TypeVar("T")

_OK, _REFUSED, _NO_MEMORY, _ERROR = "ok", "refused", "no-memory", "error"
# A worker is replaced after this many files, so that what one parser leaves mapped (allocator
# arenas, caches) never eats into the next files' memory allowance for long.
_FILES_PER_WORKER = 200


def _mapped_bytes() -> int | None:
    """The address space this process maps now (VmSize), or None where /proc says nothing."""
    kib = proc_status_kib("VmSize")
    return None if kib is None else kib * 1024


def _lower(limit: int, value: int) -> None:
    """Set a soft resource limit, never above the hard one."""
    _, hard = resource.getrlimit(limit)
    resource.setrlimit(limit, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))


@dataclass(frozen=True)
class _Limits:
    timeout_s: float
    memory_mb: int


def _start_worker() -> None:
    """Ctrl-C is the parent's to handle; no core files from crashing parsers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lower(resource.RLIMIT_CORE, 0)


def _limit_this_file(limits: _Limits) -> None:
    """Memory above what the worker maps now; CPU seconds above what it has used so far."""
    mapped = _mapped_bytes()
    if mapped is not None:
        _lower(resource.RLIMIT_AS, mapped + limits.memory_mb * 1024 * 1024)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _lower(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime + limits.timeout_s) + 1)


def _outcome(fn: Callable[..., Any], args: tuple[Any, ...], limits: _Limits | None) -> tuple[str, Any]:
    """What the worker sends back for one file: a (kind, payload) pair; never raises."""
    try:
        if limits is not None:
            _limit_this_file(limits)
        return _OK, fn(*args)
    except LoadError as exc:
        return _REFUSED, exc.reason
    except MemoryError:
        return _NO_MEMORY, None
    except BaseException as exc:  # a bug or a library failure: report it as this file's problem
        logger.warning("parsing failed", exc_info=True)
        return _ERROR, f"{type(exc).__name__}: {exc}"


# How long past its own deadline a file not yet taken up by the worker is waited for (files
# submitted ahead may be parsed first) before the worker is taken to have never started: a child
# forked from a process with many threads was seen to hang in CPython's own after-fork clean-up
# (threading._after_fork) before it took up any file, so no deadline ever ran.
START_GRACE_S = 30.0


class _WorkerStalled(Exception):
    """The worker never took the file up, or was stopped before it did: the worker's fault, not
    the file's."""


_NO_WORKER = "trình đọc tệp không khởi động được (the parsing worker did not start or broke down)"


def _result(future: Any, limits: _Limits, wait_s: float | None = None) -> Any:
    """Wait for a file's outcome; a deadline or a dead worker become that file's LoadError. Not
    taken up by the worker within ``wait_s``: :class:`_WorkerStalled`."""
    try:
        outcome = future.result(timeout=wait_s)
    except (CancelledError, BrokenProcessPool):  # stopped with a stalled worker before its turn
        raise _WorkerStalled from None
    except FutureTimeout:
        if not future.done():
            if future.running():  # taken up: its own deadline ends it
                return _result(future, limits)
            raise _WorkerStalled from None
        raise LoadError(
            f"đọc tệp quá {limits.timeout_s:g} giây (took too long; raise ingest.file_timeout_s)"
        ) from None
    except ProcessExpired as exc:
        code = exc.exitcode
        how = f"signal {-code}" if code < 0 else f"exit {code}"
        raise LoadError(f"trình đọc tệp bị dừng đột ngột (the parser crashed: {how})") from None
    return _ready(outcome, limits)()


def _ready(outcome: tuple[str, Any], limits: _Limits) -> Callable[[], Any]:
    """The result call of a finished outcome: returns the value or raises the file's LoadError."""
    kind, payload = outcome

    def result() -> Any:
        if kind == _OK:
            return payload
        if kind == _REFUSED:
            raise LoadError(payload)
        if kind == _NO_MEMORY:
            limit = f"vượt giới hạn bộ nhớ {limits.memory_mb} MB khi đọc tệp"
            raise LoadError(f"{limit} (memory limit reached; raise ingest.file_memory_mb)")
        raise LoadError(f"lỗi không mong đợi khi đọc tệp (unexpected error: {payload})")

    return result


def _warm_parent() -> None:
    """Build the parsers' data tables (the gazetteer of districts) in this process before forking.

    Every worker then shares them (copy on write) instead of building them again each time one
    starts; and a worker forked from a busy test process (a Chroma server client, many threads)
    was seen to stall building the gazetteer itself until its file's deadline.
    """
    from rag.text.gazetteer import warm

    warm()


class ParsePool:
    """One parsing worker for many files; use as a context manager so the worker is always stopped."""

    def __init__(self, timeout_s: float, memory_mb: int) -> None:
        self.limits = _Limits(timeout_s, memory_mb)
        self._pool: ProcessPool | None = None

    def _worker(self) -> ProcessPool:
        if self._pool is None:
            _warm_parent()
            self._pool = ProcessPool(
                max_workers=1, max_tasks=_FILES_PER_WORKER, initializer=_start_worker,
                context=multiprocessing.get_context("fork"),
            )
        return self._pool

    def submit(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """Start ``fn(*args)`` in the worker; the returned call waits for its result.

        Files submitted ahead are parsed while the caller embeds earlier ones. The result call
        raises LoadError for a failed file (its reason kept when ``fn`` raised LoadError).
        ``fn``'s result must pickle.
        """
        return self.submit_within(self.limits.timeout_s, fn, *args)

    def submit_within(self, timeout_s: float, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """:meth:`submit` with a deadline of its own (an OCR page), under the same memory limit."""
        limits = _Limits(timeout_s, self.limits.memory_mb)
        if not hasattr(os, "fork"):
            return _ready(_outcome(fn, args, None), limits)
        pool = self._worker()
        future = pool.schedule(_outcome, args=(fn, args, limits), timeout=timeout_s)
        wait_s = timeout_s + max(START_GRACE_S, 2 * self.limits.timeout_s)

        def result() -> T:
            try:
                return _result(future, limits, wait_s)
            except _WorkerStalled:
                self._restart(pool)
            again_pool = self._worker()
            again = again_pool.schedule(_outcome, args=(fn, args, limits), timeout=timeout_s)
            try:
                return _result(again, limits, wait_s)
            except _WorkerStalled:
                self._restart(again_pool)
                raise LoadError(_NO_WORKER) from None

        return result

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` computed in the worker under the limits; failures raise LoadError."""
        return self.submit(fn, *args)()

    def _restart(self, stalled: ProcessPool) -> None:
        """Stop ``stalled`` if it is still the worker; the next file starts a new one. Files
        submitted ahead to it are cancelled with it, and each is sent again when its result is
        asked for."""
        if self._pool is stalled:
            logger.warning("the parsing worker never took up its file; starting a new one")
            self.close()

    def close(self) -> None:
        """Stop the worker (a file still running is killed) and wait for it."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.stop()
            pool.join()

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def run_bounded(fn: Callable[..., T], *args: Any, timeout_s: float, memory_mb: int) -> T:
    """``fn(*args)`` in a worker of its own under the limits (one file; see :class:`ParsePool`)."""
    with ParsePool(timeout_s, memory_mb) as pool:
        return pool.run(fn, *args)
