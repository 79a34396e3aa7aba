"""`baocao check`: say which part of an index is damaged, and rebuild what can be rebuilt.

The manifest is the truth; Chroma and BM25 are derived from it. So a damaged Chroma folder is
moved aside and refilled from the manifest's chunks (vectors from the embedding cache, the
model only for what the cache lacks), a BM25 index that lists other chunks is rewritten, and a
damaged manifest is moved aside and made again by ingesting its source files: the folders its
rows still name (whatever SQLite can still read of them), or the paths the user gives.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.index.bm25_store import BM25Index
from rag.index.chroma_store import chroma_path, forget_local_client
from rag.index.errors import one_line
from rag.index.lock import IndexLock
from rag.index.manifest import connect_read_only
from rag.index.store import BM25_DIR, CHROMA_FILE, MANIFEST_FILE, IndexDamaged, IndexStore, is_damage

logger = logging.getLogger(__name__)

OK, REPAIRED, DAMAGED = "tốt (ok)", "đã dựng lại (rebuilt)", "hỏng, chưa sửa được (damaged, not repaired)"


@dataclass(frozen=True)
class PartCheck:
    """One part of the index: its file, what was found, what was done, and how long it took."""

    part: str
    file: Path
    state: str
    detail: str = ""
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"{self.part}: {self.state} · {self.file}" + (f" · {self.detail}" if self.detail else "")


def sqlite_problem(path: Path) -> str | None:
    """What SQLite finds wrong with ``path`` (``PRAGMA quick_check``), or None if it is sound."""
    try:
        db = connect_read_only(path)
    except sqlite3.DatabaseError as exc:
        return one_line(exc)
    try:
        rows = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
        return None if rows == ["ok"] else one_line("; ".join(map(str, rows)), 200)
    except sqlite3.DatabaseError as exc:
        return one_line(exc)
    finally:
        db.close()


def salvage_sources(path: Path) -> list[Path]:
    """The folders (or files) that were ingested, read from what is left of a damaged manifest.

    A document's id is its path relative to the folder given to ingest, so that folder is its
    path less its id; re-ingesting it gives every document the same id again.
    """
    roots: set[Path] = set()

    def add(doc_id: str, stored: str) -> None:
        root = Path(stored[: -len(doc_id)]) if stored.endswith("/" + doc_id) else Path(stored)
        if root.exists():
            roots.add(root)

    try:
        db = connect_read_only(path)
    except sqlite3.DatabaseError:
        return []
    try:
        for doc_id, stored in db.execute("SELECT doc_id, path FROM documents"):
            add(doc_id, stored)
    except sqlite3.DatabaseError as exc:  # the damage hides some rows: read them one by one
        logger.info("reading the damaged %s row by row (%s)", path, exc)
        missed = 0
        for rowid in range(1, 10_000_000):
            try:
                row = db.execute("SELECT doc_id, path FROM documents WHERE rowid = ?", (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                row = None
            missed = 0 if row else missed + 1
            if row:
                add(*row)
            elif missed > 1000:
                break
    finally:
        db.close()
    return sorted(roots)


def _move_aside(path: Path) -> Path:
    """Keep a damaged file or folder for inspection, out of the index's way."""
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target


def check_index(
    index_dir: Path, settings: Settings, sources: Sequence[Path] = (), embedder: Any = None
) -> list[PartCheck]:
    """Check the manifest, Chroma and BM25 of ``index_dir`` in that order, repairing each.

    ``sources``: the files or folders to rebuild a damaged manifest from (default: those its
    readable rows name). Raises ``IndexLocked`` while an ingest writes the index.
    """
    from embeddings import get_embedder

    index_dir = Path(index_dir)
    embedder = embedder or get_embedder(settings.embeddings)
    results = [_check_manifest(index_dir, settings, sources, embedder)]
    if results[0].state == DAMAGED:
        return results
    with IndexLock(index_dir, settings.index.lock_timeout_s):
        store = IndexStore(index_dir, settings, embedder.model_id, create=True)
        try:
            results.append(_check_chroma(store, embedder))
            results.append(_check_bm25(store))
        finally:
            store.close()
    return results


def _check_manifest(index_dir: Path, settings: Settings, sources: Sequence[Path], embedder: Any) -> PartCheck:
    started = time.perf_counter()
    path = index_dir / MANIFEST_FILE
    if not path.exists():
        return PartCheck("manifest", path, DAMAGED, "không có (missing): ingest the documents first")
    problem = sqlite_problem(path)
    if problem is None:
        return PartCheck("manifest", path, OK, seconds=time.perf_counter() - started)
    roots = list(sources) or salvage_sources(path)
    if not roots:
        return PartCheck("manifest", path, DAMAGED, f"{problem}; không biết tệp nguồn: chạy `baocao check "
                         f"--index {index_dir} THƯ_MỤC_NGUỒN` (name the source folders to rebuild it from)")
    from rag.ingest.pipeline import Ingestor

    with IndexLock(index_dir, settings.index.lock_timeout_s):
        aside = _move_aside(path)
    report = Ingestor(settings, index_dir=index_dir, embedder=embedder).run(roots, progress=False)
    detail = (f"{problem}; nạp lại {len(report.indexed)} tệp từ {', '.join(map(str, roots))} "
              f"(re-ingested; the damaged file is kept as {aside.name})")
    if report.failed:
        detail += f"; {len(report.failed)} tệp lỗi (failed): " + "; ".join(map(str, report.failed[:3]))
    return PartCheck("manifest", path, REPAIRED, detail, time.perf_counter() - started)


def _check_chroma(store: IndexStore, embedder: Any) -> PartCheck:
    started = time.perf_counter()
    file = chroma_path(store.dir) / CHROMA_FILE
    if store.settings.index.chroma_url:
        file = Path(store.settings.index.chroma_url)
    detail, aside = "", None
    try:
        store.chroma  # noqa: B018 - opening it is the first check
    except Exception as exc:
        if not is_damage(exc) or store.settings.index.chroma_url:
            raise
        detail = one_line(exc.__cause__ or exc, 160)
        store._chroma = None  # noqa: SLF001 - opened again on the fresh folder below
        aside = _move_aside(chroma_path(store.dir))
        forget_local_client(chroma_path(store.dir))
    try:
        done = store.reconcile(lambda texts: embedder.embed_passages(texts))
    except Exception as exc:
        if is_damage(exc):
            raise IndexDamaged(store.dir, file, one_line(exc)) from exc
        raise
    if aside is None and not done["vectors_restored"] and not done["orphans_removed"]:
        return PartCheck("chroma", file, OK, seconds=time.perf_counter() - started)
    detail = "; ".join(d for d in (
        detail, f"thêm lại {done['vectors_restored']} vector (restored)",
        f"bỏ {done['orphans_removed']} vector thừa (orphans removed)" if done["orphans_removed"] else "",
        f"bản hỏng giữ ở {aside.name} (the damaged folder is kept)" if aside else "",
    ) if d)
    return PartCheck("chroma", file, REPAIRED, detail, time.perf_counter() - started)


def _check_bm25(store: IndexStore) -> PartCheck:
    started = time.perf_counter()
    root = store.dir / BM25_DIR
    generation = store.manifest.generation
    saved = BM25Index.load(root)
    mismatch = store.bm25_mismatch(saved) if saved is not None and saved.generation == generation else None
    if saved is not None and saved.generation == generation and mismatch is None:
        return PartCheck("bm25", root, OK, seconds=time.perf_counter() - started)
    if saved is None:
        detail = "không đọc được (unreadable or missing)"
    elif saved.generation != generation:
        detail = f"thế hệ {saved.generation}, manifest {generation} (stale)"
    else:
        detail = mismatch or ""
    store.save_bm25()
    return PartCheck("bm25", root, REPAIRED, detail, time.perf_counter() - started)


def diagnose(exc: BaseException, index_dir: Path) -> IndexDamaged | None:
    """``exc`` as the damaged file of ``index_dir`` it came from (None: not damage).

    SQLite's "database disk image is malformed" names no file, so each database file of the
    index is asked in turn which of them is damaged.
    """
    if isinstance(exc, IndexDamaged):
        return exc
    if not is_damage(exc):
        return None
    index_dir = Path(index_dir)
    for file in (index_dir / MANIFEST_FILE, chroma_path(index_dir) / CHROMA_FILE):
        problem = sqlite_problem(file) if file.exists() else None
        if problem is not None:
            return IndexDamaged(index_dir, file, problem)
    return IndexDamaged(index_dir, index_dir, one_line(exc, 200))
