"""Document rows are read once per manifest generation: questions look them up per candidate."""

from __future__ import annotations

from pathlib import Path

from rag.config import Settings
from rag.index.manifest import ChunkRow
from rag.index.store import IndexStore
from rag.records import DocumentMetadata


def _commit(store: IndexStore, doc_id: str, title: str) -> None:
    store.manifest.commit_document(
        doc_id=doc_id, path=f"/x/{doc_id}", content_hash=title, size=6, mtime_ns=1, format="txt",
        encoding="utf-8", text="abcdef", metadata=DocumentMetadata(title=title),
        chunks=[ChunkRow(f"{doc_id}#0", doc_id, 0, 0, 3, "")],
    )


def test_document_rows_are_read_once_until_a_commit_changes_the_generation(tmp_path: Path, monkeypatch):
    store = IndexStore(tmp_path / "index", Settings(), model_id="test-model", create=True)
    _commit(store, "a.txt", "Báo cáo A")
    reads = []
    documents = store.manifest.documents
    monkeypatch.setattr(store.manifest, "documents", lambda: reads.append(1) or documents())

    for _ in range(5):
        assert store.document_metadata("a.txt").title == "Báo cáo A"
    assert len(reads) == 1

    _commit(store, "a.txt", "Báo cáo A, bản sửa")  # a re-ingest of the same file
    assert store.document_metadata("a.txt").title == "Báo cáo A, bản sửa"
    assert len(reads) == 2


def test_metadata_of_a_deleted_document_is_empty(tmp_path: Path):
    store = IndexStore(tmp_path / "index", Settings(), model_id="test-model", create=True)
    _commit(store, "a.txt", "Báo cáo A")
    assert store.document_metadata("a.txt").title == "Báo cáo A"
    store.manifest.delete_document("a.txt")
    assert store.document_metadata("a.txt") == DocumentMetadata()
    assert "a.txt" not in store.documents_by_id()


def test_reconcile_restoring_vectors_moves_the_generation_and_keeps_its_client(tmp_path: Path):
    """Other processes reload their vector view only on a new generation; the writer's own stays."""
    import numpy as np

    store = IndexStore(tmp_path / "index", Settings(), model_id="test-model", create=True)
    _commit(store, "a.txt", "Báo cáo A")  # rows committed, vectors never written (as after a crash)
    client = store.chroma.client
    before = store.manifest.generation

    def fake_embed(texts: list[str]) -> np.ndarray:  # a fake embedder: fixed unit vectors
        return np.ones((len(texts), 8), dtype=np.float32) / np.sqrt(8)

    assert store.reconcile(fake_embed) == {"orphans_removed": 0, "vectors_restored": 1}
    assert store.manifest.generation == before + 1
    assert store.chroma.client is client
    assert store.chroma.all_ids() == {"a.txt#0"}
    assert store.reconcile(fake_embed) == {"orphans_removed": 0, "vectors_restored": 0}
    assert store.manifest.generation == before + 1  # nothing restored: no new generation
