from __future__ import annotations

from pathlib import Path

from rag.index.manifest import ChunkRow, Manifest
from rag.records import DocumentMetadata, Period


def _commit(m: Manifest, doc_id: str, chunk_ids: list[str], text: str = "abcdef") -> list[str]:
    return m.commit_document(
        doc_id=doc_id, path=f"/x/{doc_id}", content_hash="h-" + "".join(chunk_ids), size=6, mtime_ns=1,
        format="txt", encoding="utf-8", text=text,
        metadata=DocumentMetadata(title="T", period=Period("month", 2020, 8), province="Cà Mau", kind="report"),
        chunks=[ChunkRow(cid, doc_id, i, i, i + 1, "I") for i, cid in enumerate(chunk_ids)],
    )


def test_commit_replaces_a_documents_chunks_and_returns_the_old_ids(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    assert _commit(m, "a.txt", ["c1", "c2"]) == []
    assert _commit(m, "a.txt", ["c3"]) == ["c1", "c2"]
    assert m.chunk_ids() == {"c3"}
    assert m.document("a.txt").n_chunks == 1


def test_generation_changes_with_every_commit_and_delete(tmp_path: Path):
    m = Manifest(tmp_path / "m.sqlite")
    g0 = m.generation
    _commit(m, "a.txt", ["c1"])
    g1 = m.generation
    assert m.delete_document("a.txt") == ["c1"]
    assert g0 < g1 < m.generation
    assert m.documents() == []


def test_metadata_and_text_round_trip(tmp_path: Path):
    path = tmp_path / "m.sqlite"
    _commit(Manifest(path), "a.txt", ["c1"], text="Thu ngân sách 5.851 tỷ đồng")
    again = Manifest(path, read_only=True)
    row = again.document("a.txt")
    assert row.metadata.period == Period("month", 2020, 8) and row.metadata.province == "Cà Mau"
    assert again.document_text("a.txt") == "Thu ngân sách 5.851 tỷ đồng"


def test_pages_round_trip_and_go_with_their_document(tmp_path: Path):
    from rag.records import PageSpan, page_at

    m = Manifest(tmp_path / "m.sqlite")
    pages = (PageSpan(1, 0, 3), PageSpan(2, 5, 9, ocr=True, confidence=91.5))
    m.commit_document(
        doc_id="a.pdf", path="/x/a.pdf", content_hash="h", size=6, mtime_ns=1, format="pdf", encoding="pdf+ocr",
        text="abc\n\ndefg", metadata=DocumentMetadata(), chunks=[ChunkRow("c1", "a.pdf", 0, 0, 9, "")], pages=pages,
    )
    assert m.pages("a.pdf") == pages
    assert page_at(m.pages("a.pdf"), 6) == pages[1] and page_at(m.pages("a.pdf"), 0) == pages[0]
    m.delete_document("a.pdf")
    assert m.pages("a.pdf") == ()


def test_an_index_without_the_pages_table_opened_read_only_has_no_pages(tmp_path: Path):
    import sqlite3

    path = tmp_path / "m.sqlite"
    _commit(Manifest(path), "a.txt", ["c1"])
    with sqlite3.connect(path) as db:  # as an index written before pages were kept
        db.execute("DROP TABLE pages")
    assert Manifest(path, read_only=True).pages("a.txt") == ()
