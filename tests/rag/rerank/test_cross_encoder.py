from __future__ import annotations

from llama_index.core.schema import NodeWithScore, TextNode

from rag.rerank.cross_encoder import CrossEncoderReranker


class FakeCrossEncoder:
    """A fake cross-encoder that scores by word overlap: tests the combination logic, not a model."""

    def predict(self, pairs):
        return [float(len(set(q.split()) & set(p.split()))) * 4 - 2 for q, p in pairs]


def test_cross_encoder_scores_are_added_to_the_previous_scores():
    nodes = [
        NodeWithScore(node=TextNode(id_="a", text="thời tiết hôm nay"), score=0.5),
        NodeWithScore(node=TextNode(id_="b", text="thu ngân sách đạt 5.851 tỷ đồng"), score=0.4),
    ]
    reranker = CrossEncoderReranker(encoder=FakeCrossEncoder(), model="fake", weight=1.0, top_n=2)
    out = reranker.postprocess_nodes(nodes, query_str="thu ngân sách")
    assert [n.node.node_id for n in out] == ["b", "a"]
    assert out[0].score > 1.0


def test_cross_encoder_waits_for_the_lock_every_local_model_shares():
    """A fake encoder records whether the shared model lock was held while it scored."""
    from embeddings.base import LOCAL_COMPUTE_LOCK

    held: list[bool] = []

    class RecordingEncoder(FakeCrossEncoder):
        def predict(self, pairs):
            held.append(LOCAL_COMPUTE_LOCK.locked())
            return super().predict(pairs)

    nodes = [NodeWithScore(node=TextNode(id_="a", text="thu ngân sách"), score=0.1)]
    CrossEncoderReranker(encoder=RecordingEncoder(), model="fake").postprocess_nodes(nodes, query_str="thu")
    assert held == [True]
    assert not LOCAL_COMPUTE_LOCK.locked()
