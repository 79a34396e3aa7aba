"""Chroma in server mode: a real `chroma run` on loopback, ingested into over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.index.store import IndexStore
from rag.ingest.pipeline import Ingestor
from rag.retrieve.hybrid import Searcher


@pytest.fixture()
def chroma_server(tmp_path: Path, chroma_run):
    with chroma_run(tmp_path / "server-data") as url:
        yield url


def test_ingest_into_a_chroma_server_and_search_it(chroma_server: str, tmp_path: Path, sample_dir: Path, embedder):
    settings = Settings(index={"dir": tmp_path / "index", "chroma_url": chroma_server})
    report = Ingestor(settings, embedder=embedder).run([sample_dir], progress=False)
    assert len(report.indexed) == 5
    assert not (tmp_path / "index" / "chroma").exists()  # vectors went to the server, not to disk
    store = IndexStore(settings.index.dir, settings)
    assert store.chroma.all_ids() == store.manifest.chunk_ids()
    hits = Searcher.open(settings.index.dir, settings).search("thu ngân sách năm 2021", k=5, retrieval_mode="dense")
    assert hits and all(h.doc.endswith(".txt") for h in hits)
