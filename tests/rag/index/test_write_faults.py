"""The pieces behind ingest fault handling: the fault hook, the write-error diagnosis, the BM25
rollback and queries that skip orphan vectors without losing results."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.index import errors
from rag.index.bm25_store import BM25Index
from rag.index.errors import DISK_FULL, FILE_TOO_LARGE, NO_PERMISSION, READ_ONLY, write_failure_reason
from rag.index.faults import ENV_VAR

TEXTS = ["Thu ngân sách nhà nước đạt 5.851 tỷ đồng", "Kim ngạch xuất khẩu đạt 1.112,5 triệu USD"]


def _hit_point_three_times(fault: str | None) -> subprocess.CompletedProcess[str]:
    code = (
        "from rag.index.faults import fault_point\n"
        "for i in range(3):\n    fault_point('here'); fault_point('elsewhere'); print(i, flush=True)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if fault:
        env[ENV_VAR] = fault
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_fault_point_kills_the_process_at_its_nth_hit_only():
    run = _hit_point_three_times("here:2")
    assert run.returncode == -signal.SIGKILL
    assert run.stdout.split() == ["0"] and f"{ENV_VAR}: kill at here:2" in run.stderr


def test_fault_point_can_raise_enospc_instead():
    run = _hit_point_three_times("here:1:enospc")
    assert run.returncode == 1 and "OSError: [Errno 28]" in run.stderr


def test_fault_points_do_nothing_without_the_variable_or_for_other_names():
    assert _hit_point_three_times(None).stdout.split() == ["0", "1", "2"]
    assert _hit_point_three_times("nowhere:1").stdout.split() == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), DISK_FULL),
        (OSError(errno.EFBIG, "File too large"), FILE_TOO_LARGE),
        (OSError(errno.EROFS, "Read-only file system"), READ_ONLY),
        (PermissionError(errno.EACCES, "Permission denied"), NO_PERMISSION),
        (sqlite3.OperationalError("database or disk is full"), DISK_FULL),
        (sqlite3.OperationalError("attempt to write a readonly database"), NO_PERMISSION),
        (RuntimeError("error returned from database: (code: 13) database or disk is full"), DISK_FULL),
    ],
)
def test_storage_errors_are_named_whatever_library_raised_them(exc: BaseException, reason: str):
    assert write_failure_reason(exc) == reason
    try:
        try:
            raise exc
        except BaseException as inner:
            raise RuntimeError("Error in compaction") from inner
    except RuntimeError as outer:
        assert write_failure_reason(outer) == reason  # found on the cause too


def test_an_unexplained_error_is_asked_of_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    opaque = RuntimeError("Error in compaction: Failed to apply logs to the metadata segment")
    assert write_failure_reason(opaque, tmp_path) is None  # a healthy folder: a real bug, re-raised

    def no_space(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(errors.os, "posix_fallocate", no_space)
    assert write_failure_reason(opaque, tmp_path) == DISK_FULL
    assert not list(tmp_path.iterdir())  # the probe file is gone


def test_a_write_is_refused_before_it_starts_on_a_nearly_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    errors.require_free_space(tmp_path)
    real = os.statvfs(tmp_path)
    full = os.statvfs_result((*real[:4], 10, *real[5:]))  # f_bavail: 10 blocks
    monkeypatch.setattr(errors.os, "statvfs", lambda path: full)
    with pytest.raises(OSError) as caught:
        errors.require_free_space(tmp_path)
    assert caught.value.errno == errno.ENOSPC and write_failure_reason(caught.value) == DISK_FULL


def test_a_failed_bm25_save_keeps_current_and_leaves_no_half_written_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = tmp_path / "bm25"
    BM25Index.build(["a", "b"], TEXTS, generation=1).save(root)
    newer = BM25Index.build(["a"], TEXTS[:1], generation=2)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(newer.models["folded"], "save", disk_full)
    with pytest.raises(OSError):
        newer.save(root)
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", "gen-00000001"]
    loaded = BM25Index.load(root)
    assert loaded is not None and loaded.generation == 1 and loaded.ids == ["a", "b"]


def test_queries_skip_orphan_vectors_without_losing_results(tmp_path: Path):
    from llama_index.core.vector_stores.types import VectorStoreQuery

    from rag.config import IndexSettings
    from rag.index.chroma_store import ChromaStore, make_client

    committed = {"a", "b", "c"}
    store = ChromaStore(make_client(tmp_path, IndexSettings()), "test-model", lambda: committed)
    vectors = {"orphan": [1.0, 0.0], "a": [0.9, 0.1], "b": [0.7, 0.3], "c": [0.0, 1.0]}
    store.add(list(vectors), np.array(list(vectors.values())), ["doc"] * len(vectors))

    result = store.vector_store.query(VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=2))
    assert result.ids == ["a", "b"]  # the nearest vector is an orphan: two committed ones all the same
    assert result.nodes is None and len(result.similarities) == 2  # ids and scores: nodes come from the manifest
    assert np.allclose(sorted(result.similarities, reverse=True), result.similarities)
    committed.add("orphan")  # no orphans left: a plain query
    result = store.vector_store.query(VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=2))
    assert result.ids == ["orphan", "a"]
