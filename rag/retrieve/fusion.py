"""Weighted reciprocal-rank fusion of several retrievers, keyed by chunk id.

llama-index's ``QueryFusionRetriever`` keys its fusion by node *text* and runs sub-queries
through an LLM; we need neither, and we need per-retriever weights, hence this small class.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle


def reciprocal_rank_fusion(
    ranked_lists: Sequence[list[NodeWithScore]], weights: Sequence[float], k: int = 60
) -> list[NodeWithScore]:
    """``score(d) = Σ w_i / (k + rank_i(d))`` over the lists that contain ``d``; best first."""
    scores: dict[str, float] = {}
    nodes: dict[str, NodeWithScore] = {}
    for hits, weight in zip(ranked_lists, weights, strict=True):
        for rank, hit in enumerate(hits, start=1):
            node_id = hit.node.node_id
            scores[node_id] = scores.get(node_id, 0.0) + weight / (k + rank)
            nodes.setdefault(node_id, hit)
    ordered = sorted(scores, key=lambda nid: scores[nid], reverse=True)
    return [NodeWithScore(node=nodes[nid].node, score=scores[nid]) for nid in ordered]


class FusionRetriever(BaseRetriever):
    """Run each retriever on the same question and fuse their rankings."""

    def __init__(
        self, retrievers: Sequence[BaseRetriever], weights: Sequence[float] | None = None, rrf_k: int = 60,
        top_k: int = 10,
    ) -> None:
        super().__init__()
        self._retrievers = list(retrievers)
        self._weights = list(weights) if weights is not None else [1.0] * len(self._retrievers)
        if len(self._weights) != len(self._retrievers):
            raise ValueError("one weight per retriever")
        self._rrf_k = rrf_k
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        lists = [r.retrieve(query_bundle) for r in self._retrievers]
        return reciprocal_rank_fusion(lists, self._weights, self._rrf_k)[: self._top_k]
