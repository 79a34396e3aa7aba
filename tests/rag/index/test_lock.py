from __future__ import annotations

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
