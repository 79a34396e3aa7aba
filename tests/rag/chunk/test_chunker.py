from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from llama_index.core.schema import TextNode

from rag.chunk.chunker import chunk_document, contextual_text
from rag.config import ChunkingSettings
from rag.records import DocumentMetadata, LoadedDocument, Period
from rag.text.normalize import normalize_text

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "sample_reports"


def _doc(text: str, doc_id: str = "x.txt", metadata: DocumentMetadata | None = None) -> LoadedDocument:
    return LoadedDocument(
        doc_id=doc_id, path="/tmp/" + doc_id, text=text, content_hash="h", format="txt", encoding="utf-8",
        metadata=metadata or DocumentMetadata(),
    )


def _report_doc() -> LoadedDocument:
    path = SAMPLES / "004_b269466d4823e55e.txt"
    return _doc(normalize_text(path.read_text(encoding="utf-8")), path.name)


def test_every_sample_chunk_is_an_exact_slice_and_a_text_node():
    for path in sorted(SAMPLES.glob("*.txt")):
        doc = _doc(normalize_text(path.read_text(encoding="utf-8")), path.name)
        nodes = chunk_document(doc)
        assert nodes
        for node in nodes:
            assert isinstance(node, TextNode)
            assert doc.text[node.start_char_idx : node.end_char_idx] == node.text
            assert node.metadata["start"] == node.start_char_idx and node.metadata["doc_id"] == path.name


def test_chunks_never_cross_a_top_level_section():
    doc = _report_doc()
    part_two = doc.text.index("\nII. ")
    for node in chunk_document(doc):
        assert not (node.start_char_idx < part_two < node.end_char_idx)


def test_chunks_carry_their_section_path():
    nodes = chunk_document(_report_doc())
    sections = [n.metadata["section"] for n in nodes]
    assert any(
        s.startswith("I. KẾT QUẢ HOẠT ĐỘNG CỦA ỦY BAN NHÂN DÂN TỈNH > 1. Quản lý phát triển kinh tế - xã hội > 1.1.")
        for s in sections
    )
    assert any(" > a) Phòng, chống hạn hán" in s for s in sections)


def test_chunk_sizes_follow_the_settings():
    cfg = ChunkingSettings(target_chars=400, max_chars=600, overlap_chars=100)
    nodes = chunk_document(_report_doc(), cfg)
    assert all(len(n.text) <= 600 for n in nodes)
    assert sum(len(n.text) > 200 for n in nodes) > len(nodes) // 2


def test_chunk_ids_are_stable_and_unique():
    first = [n.node_id for n in chunk_document(_report_doc())]
    again = [n.node_id for n in chunk_document(_report_doc())]
    assert first == again and len(set(first)) == len(first)


def test_numbers_and_abbreviations_are_not_cut_between_chunks():
    sentence = "Tại TP. Hồ Chí Minh, theo Nghị quyết số 84/NQ-CP, thu đạt 5.851 tỷ đồng, tăng 74,4%. "
    doc = _doc(normalize_text(sentence * 40))
    for node in chunk_document(doc, ChunkingSettings(target_chars=300, max_chars=500, overlap_chars=0)):
        assert node.text.startswith("Tại TP. Hồ Chí Minh") and node.text.endswith("74,4%.")


def test_overlap_repeats_whole_sentences():
    doc = _doc(" ".join(f"Câu số {i} nói về chỉ tiêu thứ {i}." for i in range(60)))
    nodes = chunk_document(doc, ChunkingSettings(target_chars=300, max_chars=500, overlap_chars=80))
    assert len(nodes) > 2
    for prev, nxt in zip(nodes, nodes[1:]):
        assert nxt.start_char_idx < prev.end_char_idx  # overlapping
        assert doc.text[nxt.start_char_idx : nxt.start_char_idx + 4] == "Câu "


def test_document_metadata_is_copied_to_every_chunk():
    meta = DocumentMetadata(title="Báo cáo", date="2020-06-23", period=Period("half", 2020, 1), province="Cà Mau",
                            kind="report")
    nodes = chunk_document(_doc("Nội dung báo cáo. " * 10, metadata=meta))
    assert nodes[0].metadata["period"] == "2020-H1" and nodes[0].metadata["province"] == "Cà Mau"


report_lines = st.lists(
    st.one_of(
        st.sampled_from(["I. PHẦN MỘT", "II. PHẦN HAI", "1. Mục", "1.1. Tiểu mục", "a) Điểm", "- Ý", ""]),
        st.text(alphabet=st.sampled_from(list("abc đêơ. ,;!?%5.1\u00a0")), min_size=0, max_size=300),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(report_lines, st.integers(min_value=60, max_value=500), st.integers(min_value=0, max_value=59))
def test_property_chunks_are_exact_slices_and_cover_the_text(lines: list[str], target: int, overlap: int):
    text = normalize_text("\n".join(lines))
    doc = _doc(text)
    cfg = ChunkingSettings(target_chars=target, max_chars=target + 100, overlap_chars=overlap)
    nodes = chunk_document(doc, cfg)
    covered = [False] * len(text)
    for node in nodes:
        assert text[node.start_char_idx : node.end_char_idx] == node.text
        assert node.text and len(node.text) <= cfg.max_chars
        for i in range(node.start_char_idx, node.end_char_idx):
            covered[i] = True
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())


def test_embedded_text_puts_title_and_section_before_the_body():
    assert contextual_text("Báo cáo tháng 9", "I. KINH TẾ", "Thu ngân sách đạt 74,4%.") == (
        "Báo cáo tháng 9\nI. KINH TẾ\nThu ngân sách đạt 74,4%."
    )


def test_embedded_text_does_not_repeat_a_title_the_body_opens_with():
    body = "Báo cáo tháng 9\n\nThu ngân sách đạt 74,4%."
    assert contextual_text("Báo cáo tháng 9", None, body) == body
    assert contextual_text("Báo cáo tháng 9", "I. KINH TẾ", body) == "I. KINH TẾ\n" + body
    # a title that only appears later in the body is still given as context
    later = contextual_text("Thu ngân sách", None, "Tháng 9: Thu ngân sách đạt 74,4%.")
    assert later.startswith("Thu ngân sách\n")
