from __future__ import annotations

from pathlib import Path

from rag.index.bm25_store import BM25Index

TEXTS = [
    "Thu ngân sách nhà nước đạt 5.851 tỷ đồng, vượt 6,8% kế hoạch",
    "Kim ngạch xuất khẩu đạt 1.112,5 triệu USD",
    "Công tác y tế ở các xã được chú trọng",
]


def test_numbers_and_one_letter_syllables_are_searchable():
    index = BM25Index.build(["a", "b", "c"], TEXTS, generation=1)
    assert index.search("5.851", 3)[0].chunk_id == "a"
    assert index.search("1.112,5 triệu USD", 3)[0].chunk_id == "b"
    assert index.search("y tế ở xã", 3)[0].chunk_id == "c"


def test_folded_field_finds_questions_typed_without_accents():
    index = BM25Index.build(["a", "b", "c"], TEXTS, generation=1)
    assert index.search("thu ngan sach dat bao nhieu", 3, field="folded")[0].chunk_id == "a"
    assert index.search("ngan sach dat", 3, field="text") == []


def test_save_then_load_keeps_results_and_generation(tmp_path: Path):
    BM25Index.build(["a", "b", "c"], TEXTS, generation=7).save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded is not None and loaded.generation == 7
    assert [h.chunk_id for h in loaded.search("xuất khẩu", 3)] == ["b"]
    assert BM25Index.saved_generation(tmp_path / "bm25") == 7


def test_a_newer_save_replaces_the_old_folder_atomically(tmp_path: Path):
    root = tmp_path / "bm25"
    BM25Index.build(["a"], TEXTS[:1], generation=1).save(root)
    BM25Index.build(["a", "b"], TEXTS[:2], generation=2).save(root)
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", "gen-00000002"]
    # a crash that leaves a half-written folder behind does not affect loading
    (root / "gen-00000003.tmp").mkdir()
    assert BM25Index.load(root).generation == 2


def test_an_empty_index_returns_nothing(tmp_path: Path):
    index = BM25Index.build([], [], generation=0)
    assert index.search("bất kỳ", 5) == []
    index.save(tmp_path / "b")
    assert BM25Index.load(tmp_path / "b").search("bất kỳ", 5) == []
