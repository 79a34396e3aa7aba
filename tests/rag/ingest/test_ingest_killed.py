"""An ingest killed with SIGKILL leaves an index that opens and answers; the next run completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rag.config import Settings
from rag.index.store import IndexStore
from rag.retrieve.hybrid import Searcher


def _split_corpus(sample_dir: Path, target: Path) -> int:
    """Many small files cut from the sample reports, so a kill lands between documents too."""
    target.mkdir()
    count = 0
    for path in sorted(sample_dir.glob("*.txt")):
        paragraphs = [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        for i in range(0, len(paragraphs), 4):
            (target / f"{path.stem}-{i:03d}.txt").write_text("\n\n".join(paragraphs[i : i + 4]), encoding="utf-8")
            count += 1
    return count


def test_sigkill_during_ingest_never_corrupts_the_index(tmp_path: Path, sample_dir: Path):
    docs = tmp_path / "docs"
    n_files = _split_corpus(sample_dir, docs)
    index = tmp_path / "index"
    env = {**os.environ, "BAOCAO_EMBEDDINGS__CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "rag.cli", "ingest", str(docs), "--index", str(index), "--quiet"]
    settings = Settings(index={"dir": index}, embeddings={"cache_dir": tmp_path / "cache"})

    kills = 0
    for delay in (2.0, 3.0, 3.5, 4.0, 5.0):
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if not (index / "manifest.sqlite").exists():
            continue
        # the index opens and every query works, returning only committed chunks
        searcher = Searcher.open(index, settings)
        committed = searcher.store.manifest.chunk_ids()
        for mode in ("hybrid", "dense", "bm25"):
            hits = searcher.search("thu ngân sách nhà nước", k=5, mode=mode)
            assert all(h.chunk_id in committed for h in hits)
            assert all(searcher.store.document_text(h.doc)[h.start : h.end] == h.text for h in hits)
        searcher.close()
    assert kills >= 2, "the ingest finished before it could be killed; the test proves nothing"

    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    store = IndexStore(index, settings)
    assert len(store.documents()) == n_files
    manifest_ids = store.manifest.chunk_ids()
    assert store.chroma.all_ids() == manifest_ids and store.chroma.count() == len(manifest_ids)
    assert sorted(store.bm25().ids) == sorted(manifest_ids)
