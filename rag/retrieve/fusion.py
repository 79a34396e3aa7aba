"""Weighted reciprocal-rank fusion of several rankings, keyed by chunk id.

llama-index's ``QueryFusionRetriever`` keys its fusion by node *text* and runs sub-queries
through an LLM; we need neither, and we need per-retriever weights, hence this small function.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.schema import NodeWithScore


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
