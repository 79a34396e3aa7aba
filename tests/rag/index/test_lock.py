from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag.index.lock import IndexLock, IndexLocked


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path: Path):
    with IndexLock(tmp_path):
        with pytest.raises(IndexLocked, match="another process"):
            IndexLock(tmp_path).acquire()
    with IndexLock(tmp_path):  # released: can be taken again
        pass


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path: Path):
    code = (
        "import sys, time; from pathlib import Path; from rag.index.lock import IndexLock;"
        f"IndexLock(Path({str(tmp_path)!r})).acquire(); print('locked', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLocked):
            IndexLock(tmp_path).acquire()
    finally:
        proc.kill()
        proc.wait()
    with IndexLock(tmp_path):
        pass


def _holder(index: Path, then: str = "time.sleep(60)") -> subprocess.Popen[str]:
    """Another process that takes the index lock, prints its pid, then runs ``then``."""
    code = (
        "import os, sys, time; from pathlib import Path; from rag.index.lock import IndexLock;"
        f"lock = IndexLock(Path({str(index)!r})); lock.acquire(); print(os.getpid(), flush=True)\n{then}"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_a_refused_writer_is_told_the_pid_of_the_process_holding_the_index(tmp_path: Path):
    proc = _holder(tmp_path)
    try:
        pid = proc.stdout.readline().strip()
        with pytest.raises(IndexLocked, match=rf"pid {pid}\)"):
            IndexLock(tmp_path).acquire()
    finally:
        proc.kill()
        proc.wait()


def test_a_second_writer_with_a_timeout_waits_for_the_holder_then_writes(tmp_path: Path):
    proc = _holder(tmp_path, "time.sleep(0.5); lock.release(); time.sleep(60)")
    try:
        proc.stdout.readline()
        with IndexLock(tmp_path, timeout_s=30):
            assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
    finally:
        proc.kill()
        proc.wait()


def test_a_child_forked_by_the_holder_does_not_keep_the_index_locked_once_the_holder_is_killed(tmp_path: Path):
    """An ingest forks parsing workers while it holds the lock; they inherit its descriptor. A bare
    flock stayed held by such a child after the ingest was killed, refusing the next ingest."""
    # the child says its pid once it runs (after the fork's hooks); the holder just waits
    proc = _holder(tmp_path, "if os.fork() == 0:\n    print(os.getpid(), flush=True); time.sleep(60); os._exit(0)\n"
                             "time.sleep(60)")
    child = 0
    try:
        proc.stdout.readline()
        child = int(proc.stdout.readline())
        proc.kill()
        proc.wait()
        assert Path(f"/proc/{child}").exists()  # the forked child lives on
        with IndexLock(tmp_path):
            pass
    finally:
        proc.kill()
        proc.wait()
        if child:
            os.kill(child, signal.SIGKILL)
