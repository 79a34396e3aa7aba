"""The domain reranker: what a report reader checks after a search hit.

Same-template reports differ only in period and place, so a passage from the right report must
beat an almost identical one from another month. The final score mixes the fused retrieval
score with: period match (document period, else years the passage names), province match,
whether the passage holds the answer type asked for, and how close together the question's
content words stand (best single-sentence coverage). Weights are settings
(``RerankSettings``), chosen by measurement (docs/retrieval.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle
from pydantic import Field, PrivateAttr

from rag.config import RerankSettings
from rag.index.store import IndexStore
from rag.query.analyze import QueryAnalysis, analyze
from rag.records import DocumentMetadata, chunk_ref
from rag.rerank.evidence import (
    KeywordMatcher,
    asked_unit,
    period_match,
    province_match,
    proximity,
)
from rag.text.abbreviations import Abbreviations, load_abbreviations
from rag.text.entities import holds_answer_type
from rag.text.sentences import split_sentences

# The weights' defaults are the settings' defaults: one place to change them (rag/config.py).
_DEFAULTS = RerankSettings()


class DomainReranker(BaseNodePostprocessor):
    """Rerank fused candidates by period, province, answer type and term proximity."""

    top_n: int = Field(default=_DEFAULTS.top_n, gt=0)
    w_retrieval: float = _DEFAULTS.w_retrieval
    w_proximity: float = _DEFAULTS.w_proximity
    w_period: float = _DEFAULTS.w_period
    w_province: float = _DEFAULTS.w_province
    w_answer_type: float = _DEFAULTS.w_answer_type

    _store: IndexStore = PrivateAttr()
    _abbreviations: Abbreviations = PrivateAttr()
    _analyze: Callable[[str], QueryAnalysis] = PrivateAttr()

    def __init__(self, store: IndexStore, abbreviations: Abbreviations | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._store = store
        self._abbreviations = abbreviations or load_abbreviations()
        # Assistant.ask runs in the web server's worker threads: lru_cache locks its own bookkeeping
        self._analyze = lru_cache(maxsize=256)(partial(analyze, abbreviations=self._abbreviations))

    @classmethod
    def from_settings(
        cls, store: IndexStore, settings: RerankSettings, abbreviations: Abbreviations | None = None
    ) -> DomainReranker:
        """The reranker with the weights and ``top_n`` of ``settings`` (``Settings.rerank``)."""
        shared = set(cls.model_fields) & set(RerankSettings.model_fields)  # top_n and the w_* weights
        return cls(store, abbreviations, **settings.model_dump(include=shared))

    @classmethod
    def class_name(cls) -> str:
        return "DomainReranker"

    def analysis(self, question: str) -> QueryAnalysis:
        """The question's analysis, computed once per question (the last 256 are kept)."""
        return self._analyze(question)

    def matcher(self, analysis: QueryAnalysis) -> KeywordMatcher:
        bm25 = self._store.bm25()
        return KeywordMatcher(analysis, lambda t: bm25.idf(t, "folded"), self._abbreviations)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes or query_bundle is None:
            return nodes[: self.top_n]
        analysis = self.analysis(query_bundle.query_str)
        matcher = self.matcher(analysis)
        top = max((n.score or 0.0) for n in nodes) or 1.0
        rescored = []
        for item in nodes:
            text = item.node.get_content()
            ref = chunk_ref(item.node)
            meta: DocumentMetadata = self._store.document_metadata(ref.doc_id)
            context = f"{meta.title or ''}\n{ref.section}"
            features = {
                "retrieval": (item.score or 0.0) / top,
                "proximity": proximity(matcher, split_sentences(text) or [text]),
                "period": period_match(analysis, meta, f"{context}\n{text}").score,
                "province": province_match(analysis, meta),
                "answer_type": 1.0 if holds_answer_type(text, analysis.answer_type, asked_unit(analysis.text)) else 0.0,
            }
            score = (
                self.w_retrieval * features["retrieval"]
                + self.w_proximity * features["proximity"]
                + self.w_period * features["period"]
                + self.w_province * features["province"]
                + self.w_answer_type * features["answer_type"]
            )
            item.node.metadata["rerank_features"] = {k: round(v, 3) for k, v in features.items()}
            rescored.append(NodeWithScore(node=item.node, score=score))
        rescored.sort(key=lambda n: n.score or 0.0, reverse=True)
        return rescored[: self.top_n]
