"""An exclusive lock on an index folder, so two ingests never write the same index at once.

``filelock``'s ``UnixFileLock`` takes ``flock`` on ``<index>/.lock``, so the OS releases it when the
holder dies, even on SIGKILL. It is asked for exactly that and nothing softer: the lock file stays
in place on release (waiters and later writers then lock one and the same inode), and no
"soft" lock (a marker file a killed holder would leave behind) stands in where the filesystem has
no ``flock`` (an OSError then, as before). The holder writes its pid into the file, so a refused
writer can say who holds it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import TracebackType

from filelock import Timeout, UnixFileLock

logger = logging.getLogger(__name__)

# seconds between two tries while waiting for the holder
_POLL_S = 0.2
# Held locks, so that one lasts until release() or the end of the process, as a bare flock does,
# even when its IndexLock is dropped (filelock releases a lock when the object is collected).
_HELD: set[UnixFileLock] = set()


class IndexLocked(RuntimeError):
    """Another process is writing this index."""


def _write_pid(fd: int) -> None:
    """Called by filelock with the locked descriptor: the file says who holds it."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)


class IndexLock:
    """``flock`` on ``<index>/.lock`` through filelock; ``timeout_s``: how long a second writer waits."""

    def __init__(self, index_dir: Path, timeout_s: float = 0.0) -> None:
        self.path = index_dir / ".lock"
        self.timeout_s = timeout_s
        # thread_local=False: whichever thread releases it, the lock is one per IndexLock (as flock is)
        self._lock = UnixFileLock(
            self.path, thread_local=False, poll_interval=_POLL_S, fallback_to_soft=False,
            preserve_lock_file=True, on_acquired=_write_pid,
        )

    def holder(self) -> str:
        """The pid written by the process holding the lock ("?" when it cannot be read yet)."""
        try:
            return self.path.read_bytes()[:64].decode(errors="replace").strip() or "?"
        except OSError:
            return "?"

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            if self.timeout_s <= 0:
                raise self._locked() from None
            logger.warning("index %s is being written by pid %s; waiting up to %g s",
                           self.path.parent, self.holder(), self.timeout_s)
            try:
                self._lock.acquire(timeout=self.timeout_s)
            except Timeout:
                raise self._locked() from None
        _HELD.add(self._lock)

    def _locked(self) -> IndexLocked:
        return IndexLocked(
            f"index {self.path.parent} đang được một tiến trình khác ghi "
            f"(is being written by another process, pid {self.holder()}); try again when it finishes"
        )

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)
        _HELD.discard(self._lock)

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
