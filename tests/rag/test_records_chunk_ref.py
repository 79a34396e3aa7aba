"""``ChunkRef``/``chunk_ref``: one typed record of where a chunk is, read the same from every node."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import NodeWithScore, TextNode

from rag.chunk.chunker import chunk_document
from rag.config import ChunkingSettings, Settings
from rag.index.manifest import DocumentRow
from rag.index.store import IndexStore, StoredChunk, chunk_node
from rag.records import ChunkRef, DocumentMetadata, LoadedDocument, Period, SearchHit, chunk_ref
from rag.retrieve.hybrid import Searcher, hits_from_nodes
from rag.text.normalize import normalize_text

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "sample_reports"
REPORT = SAMPLES / "004_b269466d4823e55e.txt"


def _report() -> LoadedDocument:
    text = normalize_text(REPORT.read_text(encoding="utf-8"))
    return LoadedDocument(REPORT.name, str(REPORT), text, "h", "txt", "utf-8",
                          DocumentMetadata(title="Báo cáo", period=Period("half", 2020, 1)))


def test_the_ref_of_a_chunker_node_has_its_exact_offsets_and_slices_the_chunk_text():
    doc = _report()
    nodes = chunk_document(doc, ChunkingSettings(target_chars=300, max_chars=600, overlap_chars=80))
    assert len(nodes) > 3 and any(n.start_char_idx for n in nodes)  # chunks start past 0 too
    for node in nodes:
        ref = chunk_ref(node)
        assert (ref.start, ref.end) == (node.start_char_idx, node.end_char_idx)
        assert doc.text[ref.start : ref.end] == node.get_content()
        assert (ref.chunk_id, ref.doc_id, ref.section) == (node.node_id, doc.doc_id, node.metadata["section"])
        assert ref.location == (doc.doc_id, ref.start, ref.end) and ref.page is None


def test_a_stored_chunk_ref_survives_its_llama_index_node_page_included():
    doc = _report()
    row = DocumentRow(doc.doc_id, doc.path, "h", 1, 1, "pdf", "utf-8", doc.metadata, 1, 0.0)
    ref = ChunkRef("c1", doc.doc_id, 120, 260, "I. Kinh tế", page=3)
    stored = StoredChunk(ref, 4, doc.text[120:260], row)
    assert (stored.chunk_id, stored.doc_id, stored.start, stored.end, stored.section, stored.page) == (
        "c1", doc.doc_id, 120, 260, "I. Kinh tế", 3)
    assert chunk_ref(chunk_node(stored)) == ref
    hit = hits_from_nodes([NodeWithScore(node=chunk_node(stored), score=0.25)])[0]
    assert hit == SearchHit("c1", doc.doc_id, "Báo cáo", "I. Kinh tế", 120, 260, 0.25, doc.text[120:260], 3)


def test_a_llama_index_splitter_node_reads_its_typed_offsets_and_an_unplaced_one_the_empty_span():
    text = "Thu ngân sách đạt 5.851 tỷ đồng. " * 40
    nodes = SentenceSplitter(chunk_size=64, chunk_overlap=0).get_nodes_from_documents(
        [Document(text=text, metadata={"doc_id": "a.txt"})])
    placed = [chunk_ref(n) for n in nodes]
    assert len(placed) > 1 and all(text[r.start : r.end] == n.get_content() for r, n in zip(placed, nodes, strict=True))
    unplaced = chunk_ref(TextNode(id_="x", text="không có trong tài liệu", metadata={"doc_id": "a.txt"}))
    assert (unplaced.start, unplaced.end) == (0, 0)


def test_a_node_without_a_document_id_is_refused():
    with pytest.raises(ValueError, match="doc_id"):
        chunk_ref(TextNode(id_="x", text="đoạn", start_char_idx=0, end_char_idx=4))


def test_hybrid_hits_carry_the_stored_chunk_ref_and_its_exact_slice(sample_index: Path, embedder):
    store = IndexStore(sample_index, Settings(index={"dir": sample_index}))
    searcher = Searcher(store, embedder, store.settings)
    nodes = searcher.retrieve("thu ngân sách năm 2021", k=5)
    assert nodes
    chunks = store.chunks()
    for node, hit in zip(nodes, hits_from_nodes(nodes), strict=True):
        ref = chunks[hit.chunk_id].ref
        assert chunk_ref(node.node) == ref
        assert (hit.doc, hit.start, hit.end, hit.section, hit.page) == (ref.doc_id, ref.start, ref.end, ref.section,
                                                                        ref.page)
        assert hit.text == (store.document_text(ref.doc_id) or "")[ref.start : ref.end]
