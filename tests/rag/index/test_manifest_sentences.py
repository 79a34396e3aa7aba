from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from rag.index.manifest import ChunkRow, Manifest
from rag.records import DocumentMetadata

TEXT = "Câu một. Câu hai. Câu ba."
SPANS = [(0, 8), (9, 17), (18, 25)]


def _commit(m: Manifest, doc_id: str = "a.txt", spans=SPANS, vectors: np.ndarray | None = None) -> None:
    m.commit_document(
        doc_id=doc_id, path=f"/x/{doc_id}", content_hash="h", size=len(TEXT), mtime_ns=1, format="txt",
        encoding="utf-8", text=TEXT, metadata=DocumentMetadata(title="T"),
        chunks=[ChunkRow(f"{doc_id}-c0", doc_id, 0, 0, len(TEXT), "")],
        sentences=spans, sentence_vectors=vectors,
    )


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 8)).astype(np.float32)


def test_sentence_vectors_come_back_by_span_as_float32_of_the_float16_stored(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    vectors = _vectors(3)
    _commit(m, vectors=vectors)
    got = m.sentence_vectors("a.txt", 0, len(TEXT))
    assert set(got) == set(SPANS)
    for i, span in enumerate(SPANS):
        assert got[span].dtype == np.float32 and got[span].shape == (8,)
        np.testing.assert_array_equal(got[span], vectors[i].astype(np.float16).astype(np.float32))
        np.testing.assert_allclose(got[span], vectors[i], rtol=1e-3, atol=1e-3)
    assert m.count_sentences() == 3


def test_only_sentences_inside_the_range_come_back(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    _commit(m, vectors=_vectors(3))
    assert set(m.sentence_vectors("a.txt", 9, 25)) == {(9, 17), (18, 25)}
    assert set(m.sentence_vectors("a.txt", 5, 20)) == {(9, 17)}  # partly covered sentences stay out
    assert m.sentence_vectors("a.txt", 26, 40) == {}
    assert m.sentence_vectors("other.txt", 0, 25) == {}


def test_recommitting_a_document_replaces_its_sentence_vectors(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    _commit(m, vectors=_vectors(3, seed=1))
    new = _vectors(2, seed=2)
    _commit(m, spans=[(0, 8), (9, 25)], vectors=new)
    got = m.sentence_vectors("a.txt", 0, len(TEXT))
    assert set(got) == {(0, 8), (9, 25)}
    np.testing.assert_allclose(got[(9, 25)], new[1], atol=1e-2)
    assert m.count_sentences() == 2


def test_recommitting_without_vectors_removes_the_old_ones(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    _commit(m, vectors=_vectors(3))
    _commit(m, vectors=None)
    assert m.sentence_vectors("a.txt", 0, len(TEXT)) == {}


def test_other_documents_keep_their_vectors(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    _commit(m, "a.txt", vectors=_vectors(3))
    _commit(m, "b.txt", vectors=_vectors(3, seed=5))
    m.delete_document("a.txt")
    assert m.sentence_vectors("a.txt", 0, len(TEXT)) == {}
    assert set(m.sentence_vectors("b.txt", 0, len(TEXT))) == set(SPANS)
    assert m.count_sentences() == 3


def test_deleting_a_document_removes_its_sentence_vectors(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    _commit(m, vectors=_vectors(3))
    m.delete_document("a.txt")
    assert m.sentence_vectors("a.txt", 0, len(TEXT)) == {}
    assert m.count_sentences() == 0


def test_vectors_written_are_read_by_a_read_only_manifest(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    writer = Manifest(path)
    _commit(writer, vectors=_vectors(3))
    writer.close()
    reader = Manifest(path, read_only=True)
    assert set(reader.sentence_vectors("a.txt", 0, len(TEXT))) == set(SPANS)


def test_a_read_only_manifest_written_before_sentence_vectors_gives_none(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    _old_manifest(path)  # written before sentence vectors (and uploaders) were kept
    old = Manifest(path, read_only=True)
    assert old.generation == 3
    assert old.sentence_vectors("a.txt", 0, 100) == {}
    assert old.count_sentences() == 0


def _old_manifest(path: Path) -> None:
    """A manifest written before uploaders were kept: its documents table has no ``uploaded_by``."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1'), ('generation', '3');
        CREATE TABLE documents (doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, content_hash TEXT NOT NULL,
            size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, format TEXT NOT NULL, encoding TEXT NOT NULL,
            text TEXT NOT NULL, metadata TEXT NOT NULL, indexed_at REAL NOT NULL);
        CREATE TABLE chunks (chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, idx INTEGER NOT NULL,
            start INTEGER NOT NULL, end INTEGER NOT NULL, section TEXT NOT NULL);
        INSERT INTO documents VALUES ('old.txt', '/x/old.txt', 'h', 1, 1, 'txt', 'utf-8', 'Văn bản.', '{}', 5.0);
        """
    )
    db.commit()
    db.close()


def test_an_old_manifest_opened_read_only_lists_its_documents_with_no_uploader(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    _old_manifest(path)
    [row] = Manifest(path, read_only=True).documents()
    assert row.doc_id == "old.txt" and row.uploaded_by is None and row.indexed_at == 5.0


def test_a_writer_adds_the_uploader_column_and_a_recommit_keeps_the_uploader(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    _old_manifest(path)
    writer = Manifest(path)
    assert writer.document("old.txt").uploaded_by is None  # migrated, nothing invented
    writer.set_uploaded_by(["old.txt"], "web:lan")
    writer.commit_document(doc_id="old.txt", path="/x/old.txt", content_hash="h2", size=2, mtime_ns=2,
                           format="txt", encoding="utf-8", text="Văn bản mới.", metadata=DocumentMetadata(),
                           chunks=[])
    assert writer.document("old.txt").uploaded_by == "web:lan"
