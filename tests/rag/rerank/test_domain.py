"""The domain reranker's weights: the settings' values, from one place (rag/config.py)."""

from __future__ import annotations

from pathlib import Path

from rag.config import RerankSettings, Settings
from rag.index.store import IndexStore
from rag.rerank.domain import DomainReranker

_WEIGHTS = ("top_n", "w_retrieval", "w_proximity", "w_period", "w_province", "w_answer_type")


def _store(sample_index: Path) -> IndexStore:
    return IndexStore(sample_index, Settings(index={"dir": sample_index}))


def test_a_reranker_built_without_weights_has_the_settings_defaults(sample_index: Path):
    reranker = DomainReranker(_store(sample_index))
    defaults = RerankSettings()
    assert {name: getattr(reranker, name) for name in _WEIGHTS} == {name: getattr(defaults, name) for name in _WEIGHTS}


def test_a_reranker_from_settings_takes_every_weight_and_top_n_of_them(sample_index: Path):
    chosen = RerankSettings(top_n=3, w_retrieval=0.5, w_proximity=0.4, w_period=0.1, w_province=0.2, w_answer_type=0.7)
    reranker = DomainReranker.from_settings(_store(sample_index), chosen)
    assert {name: getattr(reranker, name) for name in _WEIGHTS} == {name: getattr(chosen, name) for name in _WEIGHTS}


def test_threads_asking_at_once_share_one_analysis_per_question(sample_index: Path):
    """Assistant.ask is called from the web server's threads; the reranker's analysis cache is shared."""
    from concurrent.futures import ThreadPoolExecutor

    reranker = DomainReranker(_store(sample_index))
    questions = [f"Thu ngân sách năm {2000 + i % 40} của Cà Mau đạt bao nhiêu?" for i in range(400)]
    with ThreadPoolExecutor(8) as pool:
        analyses = list(pool.map(reranker.analysis, questions))
    assert all(a.text == q for a, q in zip(analyses, questions, strict=True))
    assert reranker.analysis(questions[0]) is reranker.analysis(questions[0])
