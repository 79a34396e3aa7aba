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


def test_an_index_saved_with_another_token_form_is_not_loaded(tmp_path: Path):
    root = tmp_path / "bm25"
    BM25Index.build(["a", "b", "c"], TEXTS, generation=3).save(root)
    (root / "gen-00000003" / "form.txt").write_text("folded-1", encoding="utf-8")
    assert BM25Index.load(root) is None  # its folded tokens would not meet today's questions: rebuilt


def test_the_folded_field_meets_ty_typed_ti_and_a_number_typed_without_dots():
    index = BM25Index.build(["a", "b", "c"], TEXTS, generation=1)
    assert index.search("5851 ti dong", 3, field="folded")[0].chunk_id == "a"


def test_an_empty_index_returns_nothing(tmp_path: Path):
    index = BM25Index.build([], [], generation=0)
    assert index.search("bất kỳ", 5) == []
    index.save(tmp_path / "b")
    assert BM25Index.load(tmp_path / "b").search("bất kỳ", 5) == []


def _saved_ids(index: Path) -> list[str]:
    import json

    folders = sorted((index / "bm25").glob("gen-*"))
    assert len(folders) == 1, folders
    return json.loads((folders[0] / "ids.json").read_text(encoding="utf-8"))


def test_a_bm25_folder_listing_other_ids_is_rewritten_by_the_next_ingest_though_its_generation_matches(
    sample_index: Path, sample_dir: Path, embedder, tmp_path: Path
):
    """``CURRENT`` still names the manifest's generation, so only the ids can tell the folder is wrong."""
    import json
    import shutil

    from rag.config import Settings
    from rag.index.store import BM25_DIR, IndexStore
    from rag.ingest.pipeline import Ingestor

    index = shutil.copytree(sample_index, tmp_path / "index")
    settings = Settings(index={"dir": index})
    generation = BM25Index.saved_generation(index / BM25_DIR)
    real = _saved_ids(index)
    ids_file = next((index / BM25_DIR).glob("gen-*/ids.json"))
    ids_file.write_text(json.dumps([f"khac-{i}" for i in range(len(real))]), encoding="utf-8")
    assert BM25Index.saved_generation(index / BM25_DIR) == generation  # the planted folder looks current

    report = Ingestor(settings, embedder=embedder).run([sample_dir], progress=False)

    assert report.ok and not report.indexed  # nothing changed: only the BM25 check can rewrite it
    assert BM25Index.saved_generation(index / BM25_DIR) == generation
    store = IndexStore(index, settings)
    try:
        chunk_ids = set(store.chunks())
        generation_now = store.manifest.generation
    finally:
        store.close()
    assert generation_now == generation
    saved = _saved_ids(index)
    assert len(saved) == len(chunk_ids) and set(saved) == chunk_ids
    loaded = BM25Index.load(index / BM25_DIR)
    assert loaded is not None and loaded.search("ngân sách", k=3)  # the rewritten folder serves hits
    assert all(hit.chunk_id in chunk_ids for hit in loaded.search("ngân sách", k=3))
