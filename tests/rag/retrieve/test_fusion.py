"""Reciprocal-rank fusion weights: settings (RetrievalSettings), the same values as before they were."""

from __future__ import annotations

from pathlib import Path

from rag.config import RetrievalSettings, Settings
from rag.retrieve.fusion import fusion_weights
from rag.retrieve.hybrid import Searcher


def test_the_default_weights_favour_bm25_and_swap_the_two_bm25_fields_for_an_unaccented_question():
    defaults = RetrievalSettings()
    assert fusion_weights("Thu ngân sách năm 2021", defaults) == {"bm25": 1.0, "bm25_folded": 0.3, "dense": 0.6}
    assert fusion_weights("thu ngan sach nam 2021", defaults) == {"bm25": 0.3, "bm25_folded": 1.0, "dense": 0.6}
    assert fusion_weights("2021", defaults) == {"bm25": 1.0, "bm25_folded": 0.3, "dense": 0.6}  # no letters


def test_the_weights_are_the_retrieval_settings():
    chosen = RetrievalSettings(w_bm25=0.1, w_bm25_folded=0.2, w_dense=0.3, w_bm25_unaccented=0.4,
                               w_bm25_folded_unaccented=0.5, w_dense_unaccented=0.6)
    assert list(fusion_weights("Thu ngân sách", chosen).values()) == [0.1, 0.2, 0.3]
    assert list(fusion_weights("thu ngan sach", chosen).values()) == [0.4, 0.5, 0.6]


def test_hybrid_search_fuses_with_the_configured_weights(sample_index: Path):
    """With both BM25 weights at 0 the fused ranking is the dense ranking: the Searcher reads them."""
    question = "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?"
    settings = Settings(index={"dir": sample_index}, retrieval={"w_bm25": 0.0, "w_bm25_folded": 0.0})
    searcher = Searcher.open(sample_index, settings)
    dense = [h.chunk_id for h in searcher.search(question, k=5, retrieval_mode="dense")]
    hybrid = [h.chunk_id for h in searcher.search(question, k=5, retrieval_mode="hybrid")]
    default = Searcher.open(sample_index, Settings(index={"dir": sample_index}))
    assert hybrid == dense
    assert [h.chunk_id for h in default.search(question, k=5, retrieval_mode="hybrid")] != dense
