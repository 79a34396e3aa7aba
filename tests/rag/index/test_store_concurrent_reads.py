"""A serving process reads the manifest while another writer commits: the chunk table never breaks."""

from __future__ import annotations

from pathlib import Path

from rag.config import Settings
from rag.index.manifest import ChunkRow
from rag.index.store import IndexStore
from rag.records import DocumentMetadata


def _commit(store: IndexStore, doc_id: str) -> None:
    store.manifest.commit_document(
        doc_id=doc_id,
        path=f"/x/{doc_id}",
        content_hash=doc_id,
        size=6,
        mtime_ns=1,
        format="txt",
        encoding="utf-8",
        text="abcdef",
        metadata=DocumentMetadata(title=doc_id),
        chunks=[ChunkRow(f"{doc_id}#0", doc_id, 0, 0, 3, "")],
    )


def test_a_document_committed_between_the_two_reads_waits_for_the_next_generation(
    tmp_path: Path, monkeypatch
):
    store = IndexStore(tmp_path / "index", Settings(), model_id="test-model", create=True)
    _commit(store, "a.txt")
    documents = store.manifest.documents

    def documents_then_a_commit():  # the documents are read, then another writer commits b.txt
        rows = documents()
        _commit(store, "b.txt")
        return rows

    monkeypatch.setattr(store.manifest, "documents", documents_then_a_commit)
    assert set(store.chunks()) == {"a.txt#0"}  # b.txt's chunk has no document row yet: skipped, no KeyError
    monkeypatch.setattr(store.manifest, "documents", documents)
    assert set(store.chunks()) == {"a.txt#0", "b.txt#0"}  # the newer generation is read whole
