"""Weighted reciprocal-rank fusion of several rankings, keyed by chunk id.

llama-index's ``QueryFusionRetriever`` keys its fusion by node *text* and runs sub-queries
through an LLM; we need neither, and we need per-retriever weights, hence this small function.
The weights and ``k`` are settings (``RetrievalSettings``).
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.schema import NodeWithScore

from rag.config import RetrievalSettings
from rag.text.normalize import fold_diacritics


def fusion_weights(query: str, settings: RetrievalSettings) -> dict[str, float]:
    """Each retriever's weight for ``query`` (bm25, bm25_folded, dense, in this order): a question
    typed without diacritics leans on the folded BM25 field (the ``*_unaccented`` weights)."""
    has_letters = any(ch.isalpha() for ch in query)
    if has_letters and fold_diacritics(query) == query:
        return {"bm25": settings.w_bm25_unaccented, "bm25_folded": settings.w_bm25_folded_unaccented,
                "dense": settings.w_dense_unaccented}
    return {"bm25": settings.w_bm25, "bm25_folded": settings.w_bm25_folded, "dense": settings.w_dense}


def reciprocal_rank_fusion(
    ranked_lists: Sequence[list[NodeWithScore]], weights: Sequence[float], k: int
) -> list[NodeWithScore]:
    """``score(d) = Σ w_i / (k + rank_i(d))`` over the lists that contain ``d``; best first
    (``k``: ``RetrievalSettings.rrf_k``)."""
    scores: dict[str, float] = {}
    nodes: dict[str, NodeWithScore] = {}
    for hits, weight in zip(ranked_lists, weights, strict=True):
        for rank, hit in enumerate(hits, start=1):
            node_id = hit.node.node_id
            scores[node_id] = scores.get(node_id, 0.0) + weight / (k + rank)
            nodes.setdefault(node_id, hit)
    ordered = sorted(scores, key=lambda nid: scores[nid], reverse=True)
    return [NodeWithScore(node=nodes[nid].node, score=scores[nid]) for nid in ordered]
