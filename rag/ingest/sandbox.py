"""Run one file's parsing in a forked child with a wall-clock deadline and a memory ceiling.

PDF, .docx and HTML parsers are large C and Python libraries, and a hostile file can make one
loop, recurse or allocate without end. A forked child starts with everything already imported
(pages are shared copy-on-write: a fork costs milliseconds, not an interpreter start), may map
at most ``memory_mb`` more than it inherited (``RLIMIT_AS``), and is killed at the deadline. The parent
only ever gets the result back, or a :class:`LoadError` whose reason says which limit was hit.
Where ``os.fork`` does not exist the function simply runs in-process.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rag.ingest.loaders import LoadError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_OK, _REFUSED, _NO_MEMORY, _ERROR = "ok", "refused", "no-memory", "error"


def _mapped_bytes() -> int | None:
    """The address space this process maps now (VmSize), or None where /proc says nothing."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _lower(limit: int, value: int) -> None:
    """Set a soft resource limit, never above the hard one."""
    _, hard = resource.getrlimit(limit)
    resource.setrlimit(limit, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))


@dataclass(frozen=True)
class _Limits:
    timeout_s: float
    memory_mb: int


def _limit_child(limits: _Limits) -> None:
    """Memory above what the child inherited; CPU time as a backstop should the parent die (an
    orphan is never killed at the deadline); no core files from crashing parsers."""
    mapped = _mapped_bytes()
    if mapped is not None:
        _lower(resource.RLIMIT_AS, mapped + limits.memory_mb * 1024 * 1024)
    _lower(resource.RLIMIT_CPU, math.ceil(limits.timeout_s) + 1)
    _lower(resource.RLIMIT_CORE, 0)


def _outcome(fn: Callable[..., Any], args: tuple[Any, ...], limits: _Limits) -> bytes:
    """What the child sends back: a pickled (kind, payload) pair; never raises."""
    try:
        _limit_child(limits)
        return pickle.dumps((_OK, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
    except LoadError as exc:
        return pickle.dumps((_REFUSED, exc.reason))
    except MemoryError:
        return pickle.dumps((_NO_MEMORY, None))
    except BaseException as exc:  # a bug or a library failure: report it as this file's problem
        logger.warning("parsing failed", exc_info=True)
        return pickle.dumps((_ERROR, f"{type(exc).__name__}: {exc}"))


def _child(write_fd: int, fn: Callable[..., Any], args: tuple[Any, ...], limits: _Limits) -> None:
    """Body of the forked child; always ends in os._exit so no parent code runs twice."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        payload = _outcome(fn, args, limits)
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view) :]
    finally:
        os._exit(0)


def _collect(read_fd: int, pid: int, deadline: float) -> tuple[bytes, int] | None:
    """The child's output and wait status, or None when the deadline passed first."""
    parts: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([read_fd], [], [], remaining)
        if not ready:
            continue
        part = os.read(read_fd, 1 << 20)
        if not part:
            break
        parts.append(part)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return b"".join(parts), status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.001)


def _result(output: bytes, status: int, memory_mb: int) -> Any:
    if os.WIFSIGNALED(status) or not output:
        code = os.waitstatus_to_exitcode(status)
        how = f"signal {-code}" if code < 0 else f"exit {code}"
        raise LoadError(f"trình đọc tệp bị dừng đột ngột (the parser crashed: {how})")
    kind, payload = pickle.loads(output)
    if kind == _OK:
        return payload
    if kind == _REFUSED:
        raise LoadError(payload)
    if kind == _NO_MEMORY:
        limit = f"vượt giới hạn bộ nhớ {memory_mb} MB khi đọc tệp"
        raise LoadError(f"{limit} (memory limit reached; raise ingest.file_memory_mb)")
    raise LoadError(f"lỗi không mong đợi khi đọc tệp (unexpected error: {payload})")


def run_bounded(fn: Callable[..., T], *args: Any, timeout_s: float, memory_mb: int) -> T:
    """``fn(*args)`` computed in a forked child under the limits; failures raise LoadError.

    ``fn``'s result must pickle. A LoadError raised by ``fn`` keeps its reason.
    """
    if not hasattr(os, "fork"):
        return fn(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(write_fd, fn, args, _Limits(timeout_s, memory_mb))
    os.close(write_fd)
    reaped = False
    try:
        collected = _collect(read_fd, pid, time.monotonic() + timeout_s)
        if collected is None:
            raise LoadError(f"đọc tệp quá {timeout_s:g} giây (took too long; raise ingest.file_timeout_s)")
        reaped = True
        return _result(*collected, memory_mb)
    finally:
        os.close(read_fd)
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
