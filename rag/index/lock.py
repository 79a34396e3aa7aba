"""An exclusive lock on an index folder, so two ingests never write the same index at once."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)


class IndexLocked(RuntimeError):
    """Another process is writing this index."""


class IndexLock:
    """``fcntl.flock`` on ``<index>/.lock``; released by the OS if the holder dies (even on SIGKILL)."""

    def __init__(self, index_dir: Path, timeout_s: float = 0.0) -> None:
        self.path = index_dir / ".lock"
        self.timeout_s = timeout_s
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_s
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise IndexLocked(
                        f"index {self.path.parent} đang được một tiến trình khác ghi "
                        f"(is being written by another process, pid {holder}); try again when it finishes"
                    ) from None
                if not waited:
                    logger.warning("index %s is being written by pid %s; waiting up to %g s",
                                   self.path.parent, holder, self.timeout_s)
                    waited = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
